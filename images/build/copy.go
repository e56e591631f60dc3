package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/moby/sys/user"

	"berth/images"
)

// copySpec is what a COPY or ADD step copies.
type copySpec struct {
	name    string // COPY or ADD
	srcs    []string
	dest    string
	from    string // stage or image name, "" for the context
	stage   int    // the stage the step is in (--from names earlier ones)
	chown   string
	chmod   string
	unpack  bool // ADD: extract local tar archives
	workdir string
	inline  []instructions.SourceContent // heredoc documents (COPY <<EOF /f)
	remote  *remoteFiles                 // ADD's URL sources
	shown   []string                     // the sources as the history shows them (nil: srcs)
	parents bool                         // --parents: keep each source's path under dest
	exclude *patternmatcher.PatternMatcher
	excl    []string     // --exclude's patterns, for the history
	link    bool         // --link: the layer is made apart from the previous ones
	idRoot  string       // the filesystem --chown's names are looked up in ("": the destination)
	git     []*gitSource // ADD's git repositories
}

// loadIgnore reads the Dockerfile's own ignore file when there is one, else
// the context's .dockerignore.
func (bd *build) loadIgnore() error {
	if bd.opts.ContextDir == "" {
		return nil
	}
	name := bd.opts.IgnoreFile
	if name == "" {
		name = filepath.Join(bd.opts.ContextDir, ".dockerignore")
	}
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) && bd.opts.IgnoreFile == "" {
		return nil
	} else if err != nil {
		return fmt.Errorf("read %s: %w", filepath.Base(name), err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: %v", filepath.Base(name), err))
	}
	if bd.ignore, err = patternmatcher.New(patterns); err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: %v", filepath.Base(name), err))
	}
	return nil
}

// ignored says whether the context path rel (slash-separated) is excluded.
func (bd *build) ignored(rel string) bool {
	if bd.ignore == nil || rel == "." || rel == "" {
		return false
	}
	bd.mu.Lock() // a pattern compiles on its first use
	defer bd.mu.Unlock()
	m, _ := bd.ignore.MatchesOrParentMatches(rel)
	return m
}

func (bd *build) planCopy(ctx context.Context, s *stageState, c *instructions.CopyCommand) (*plan, error) {
	exclude, err := excludeMatcher("COPY", c.ExcludePatterns)
	if err != nil {
		return nil, err
	}
	return bd.planFiles(ctx, s, copySpec{name: "COPY", srcs: c.SourcePaths, dest: c.DestPath, from: c.From, inline: c.SourceContents,
		chown: c.Chown, chmod: c.Chmod, workdir: s.cfg.WorkingDir, stage: s.index,
		parents: c.Parents, exclude: exclude, excl: c.ExcludePatterns, link: c.Link})
}

func (bd *build) planAdd(ctx context.Context, s *stageState, c *instructions.AddCommand) (*plan, error) {
	exclude, err := excludeMatcher("ADD", c.ExcludePatterns)
	if err != nil {
		return nil, err
	}
	var urls, gits, locals []string
	for _, src := range c.SourcePaths {
		switch {
		case isGitURL(src):
			gits = append(gits, src)
		case isURL(src):
			urls = append(urls, src)
		case isSSHGit(src):
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("ADD of %s is not supported (git over ssh; only http, https and git:// repositories)", src))
		case strings.Contains(src, "://"):
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("ADD of %s is not supported (only http, https and git URLs)", src))
		default:
			locals = append(locals, src)
		}
	}
	if c.KeepGitDir != nil && len(gits) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("ADD --keep-git-dir needs a git source")
	}
	if len(urls)+len(gits)+len(locals)+len(c.SourceContents) > 1 && !strings.HasSuffix(c.DestPath, "/") {
		return nil, errdefs.ErrInvalidArgument.WithMessage("when using ADD with more than one source file, the destination must be a directory and end with a /")
	}
	remote, key, err := bd.planRemote(ctx, urls, c.Checksum, len(locals)+len(gits)+len(c.SourceContents))
	if err != nil {
		return nil, err
	}
	repos, gitKey, err := planGit(ctx, gits, c.KeepGitDir != nil && *c.KeepGitDir)
	if err != nil {
		remote.cleanup()
		return nil, err
	}
	unpack := c.Unpack == nil || *c.Unpack
	p, err := bd.planFiles(ctx, s, copySpec{name: "ADD", srcs: locals, dest: c.DestPath, inline: c.SourceContents,
		chown: c.Chown, chmod: c.Chmod, unpack: unpack, workdir: s.cfg.WorkingDir, remote: remote, shown: c.SourcePaths,
		stage: s.index, exclude: exclude, excl: c.ExcludePatterns, link: c.Link, git: repos})
	if err != nil {
		remote.cleanup()
		return nil, err
	}
	p.extra += gitKey
	if remote != nil {
		p.extra += "\x00" + key
		p.cleanup = remote.cleanup
		if c.Checksum != "" {
			p.createdBy = strings.Replace(p.createdBy, "ADD ", "ADD --checksum="+c.Checksum+" ", 1)
		}
	}
	return p, nil
}

// planFiles plans a COPY or ADD: the cache key covers the content of the
// context sources (or the source image's ID), the flags and the destination.
func (bd *build) planFiles(ctx context.Context, s *stageState, cs copySpec) (*plan, error) {
	if len(cs.srcs)+len(cs.inline)+len(cs.git) == 0 && cs.remote == nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s needs a source and a destination", cs.name))
	}
	if len(cs.srcs) > 0 && len(cs.inline) > 0 && !strings.HasSuffix(cs.dest, "/") {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("when using %s with more than one source file, the destination must be a directory and end with a /", cs.name))
	}
	if _, err := parseChmod(cs.chmod); err != nil {
		return nil, err
	}
	if cs.link && namedOwner(cs.chown) {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("--chown=%s: user and group names can't be resolved when used with --link, use numeric uid[:gid] instead", cs.chown))
	}
	p := &plan{createdBy: copyHistory(cs), link: cs.link}
	if len(cs.excl) > 0 {
		p.extra = fmt.Sprintf("exclude %q\x00", cs.excl)
	}
	if cs.link {
		p.extra += "link\x00"
	}
	if len(cs.inline) > 0 {
		p.extra += "inline " + hashInline(cs.inline) + "\x00"
	}
	srcImg, err := bd.planSources(ctx, cs, p)
	if err != nil {
		return nil, err
	}
	p.mount = func(ctx context.Context, root string) (bool, error) {
		if err := bd.copyGit(ctx, root, cs); err != nil {
			return false, err
		}
		if len(cs.inline) > 0 {
			if err := bd.copyInline(root, cs); err != nil {
				return false, err
			}
		}
		if cs.remote != nil {
			if err := bd.copyRemote(ctx, root, cs); err != nil {
				return false, err
			}
		}
		switch {
		case len(cs.srcs) == 0:
			return true, nil
		case srcImg == nil:
			return true, bd.copyFiles(bd.opts.ContextDir, root, cs, true)
		}
		return true, bd.runner.Mount(ctx, srcImg, func(src, _ string) error { return bd.copyFiles(src, root, cs, false) })
	}
	return p, nil
}

// copyHistory is a COPY or ADD's history line as BuildKit writes it (with
// --parents, --chown and --chmod; not --link or --exclude).
func copyHistory(cs copySpec) string {
	by := cs.name
	if cs.from != "" {
		by += " --from=" + cs.from
	}
	if cs.parents {
		by += " --parents"
	}
	if cs.chown != "" {
		by += " --chown=" + cs.chown
	}
	if cs.chmod != "" {
		by += " --chmod=" + cs.chmod
	}
	srcs := cs.srcs
	if cs.shown != nil {
		srcs = cs.shown
	}
	srcs = append(append([]string{}, srcs...), inlineNames(cs.inline)...)
	return by + " " + strings.Join(srcs, " ") + " " + cs.dest + " # buildkit"
}

// planSources adds what a COPY's files sources are to the step's key: the
// source image's ID (returned), or the content of the context sources.
func (bd *build) planSources(ctx context.Context, cs copySpec, p *plan) (*images.Image, error) {
	if len(cs.srcs) == 0 {
		return nil, nil
	}
	if cs.from != "" {
		img, err := bd.fromImage(ctx, cs.stage, cs.from)
		if err != nil {
			return nil, err
		}
		p.extra += "from " + img.ID
		return img, nil
	}
	if bd.opts.ContextDir == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s needs a build context (the Dockerfile came from stdin)", cs.name))
	}
	matches, err := bd.sources(bd.opts.ContextDir, cs.srcs, true, cs.parents)
	if err != nil {
		return nil, err
	}
	sum, err := bd.hashSources(bd.opts.ContextDir, matches, cs.exclude)
	if err != nil {
		return nil, err
	}
	p.extra += "content " + sum
	return nil, nil
}

// fromImage is the image COPY --from names: a stage before stage cur, or
// a stored image.
func (bd *build) fromImage(ctx context.Context, cur int, ref string) (*images.Image, error) {
	if j, ok := bd.stageIndex(ref, cur); ok {
		return bd.stage(ctx, j)
	}
	img, err := bd.store.Resolve(ref)
	if errdefs.IsNotFound(err) {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("COPY --from=%s: no such stage before this one, and no such image locally", ref))
	}
	return img, err
}

// sources resolves COPY sources in root to clean relative paths: wildcards
// in any element ("**" too), symlinks resolved inside root, .dockerignore
// applied to context sources; with parents, each match's kept path.
func (bd *build) sources(root string, srcs []string, context, parents bool) ([]srcMatch, error) {
	var out []srcMatch
	for _, src := range srcs {
		rel := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(src)), "/")
		if rel == "" {
			rel = "."
		}
		matches := []string{rel}
		if strings.ContainsAny(rel, "*?[") {
			var err error
			if matches, err = globPath(root, rel); err != nil {
				return nil, err
			}
		}
		depth := pivotDepth(src)
		n := 0
		for _, m := range matches {
			if context && bd.ignored(m) {
				continue
			}
			full, err := securejoin.SecureJoin(root, m)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", src, err)
			}
			if _, err := os.Lstat(full); err != nil {
				continue
			}
			sm := srcMatch{rel: m}
			if parents {
				sm.keep = keptPath(m, depth)
			}
			out, n = append(out, sm), n+1
		}
		if n == 0 {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("source %q not found in the build context (or excluded by .dockerignore)", src))
		}
	}
	return out, nil
}

// hashSources hashes what a COPY reads from the context: each file's path,
// mode, size and content, symlinks' targets; what .dockerignore or
// --exclude leave out is not read.
func (bd *build) hashSources(root string, matches []srcMatch, exclude *patternmatcher.PatternMatcher) (string, error) {
	h := sha256.New()
	for _, m := range matches {
		full, err := securejoin.SecureJoin(root, m.rel)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "keep %s\x00", m.keep)
		err = filepath.WalkDir(full, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			sub := strings.TrimPrefix(p, full)
			crel := path.Join(m.rel, filepath.ToSlash(sub))
			if bd.ignored(crel) || excludedBy(exclude, m.rel, sub, d.IsDir()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			return bd.hashEntry(h, p, crel, d)
		})
		if err != nil {
			return "", fmt.Errorf("read build context: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// parseChmod reads --chmod's octal mode ("" is none).
func parseChmod(s string) (*os.FileMode, error) {
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --chmod %q: an octal mode is needed", s))
	}
	m := os.FileMode(n)
	return &m, nil
}

// resolveChown turns --chown's user[:group] into IDs with the destination
// filesystem's /etc/passwd and /etc/group (a number needs neither); without
// a group, a user name takes its passwd group and a user ID the same number,
// as in BuildKit.
func resolveChown(root, spec string) (*[2]int, error) {
	if spec == "" {
		return nil, nil
	}
	passwd, _ := securejoin.SecureJoin(root, "/etc/passwd")
	group, _ := securejoin.SecureJoin(root, "/etc/group")
	u, g, hasGroup := strings.Cut(spec, ":")
	eu, err := user.GetExecUserPath(u, nil, passwd, group)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("--chown=%s: %v", spec, err))
	}
	ids := [2]int{eu.Uid, eu.Gid} // a user name: its passwd group, as BuildKit
	if _, err := strconv.Atoi(u); err == nil {
		ids[1] = eu.Uid // a user ID: the same group ID
	}
	if hasGroup {
		eg, err := user.GetExecUserPath("0:"+g, nil, passwd, group)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("--chown=%s: %v", spec, err))
		}
		ids[1] = eg.Gid
	}
	return &ids, nil
}
