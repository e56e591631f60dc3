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
	chown   string
	chmod   string
	unpack  bool // ADD: extract local tar archives
	workdir string
	inline  []instructions.SourceContent // heredoc documents (COPY <<EOF /f)
	remote  *remoteFiles                 // ADD's URL sources
	shown   []string                     // the sources as the history shows them (nil: srcs)
}

// loadIgnore reads the context's .dockerignore.
func (bd *build) loadIgnore() error {
	if bd.opts.ContextDir == "" {
		return nil
	}
	f, err := os.Open(filepath.Join(bd.opts.ContextDir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read .dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(".dockerignore: %v", err))
	}
	if bd.ignore, err = patternmatcher.New(patterns); err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(".dockerignore: %v", err))
	}
	return nil
}

// ignored says whether the context path rel (slash-separated) is excluded.
func (bd *build) ignored(rel string) bool {
	if bd.ignore == nil || rel == "." || rel == "" {
		return false
	}
	m, _ := bd.ignore.MatchesOrParentMatches(rel)
	return m
}

func (bd *build) planCopy(ctx context.Context, s *stageState, c *instructions.CopyCommand) (*plan, error) {
	if c.Link || c.Parents || len(c.ExcludePatterns) > 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage("COPY --link, --parents and --exclude are not supported yet")
	}
	return bd.planFiles(ctx, s, copySpec{name: "COPY", srcs: c.SourcePaths, dest: c.DestPath, from: c.From, inline: c.SourceContents,
		chown: c.Chown, chmod: c.Chmod, workdir: s.cfg.WorkingDir})
}

func (bd *build) planAdd(ctx context.Context, s *stageState, c *instructions.AddCommand) (*plan, error) {
	if c.Link || len(c.ExcludePatterns) > 0 || c.KeepGitDir != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage("ADD --link, --exclude and --keep-git-dir are not supported yet")
	}
	var urls, locals []string
	for _, src := range c.SourcePaths {
		switch {
		case isURL(src):
			urls = append(urls, src)
		case strings.Contains(src, "://") || strings.HasPrefix(src, "git@"):
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("ADD of %s is not supported (only http and https URLs)", src))
		default:
			locals = append(locals, src)
		}
	}
	if len(urls)+len(locals)+len(c.SourceContents) > 1 && !strings.HasSuffix(c.DestPath, "/") {
		return nil, errdefs.ErrInvalidArgument.WithMessage("when using ADD with more than one source file, the destination must be a directory and end with a /")
	}
	remote, key, err := bd.planRemote(ctx, urls, c.Checksum, len(locals)+len(c.SourceContents))
	if err != nil {
		return nil, err
	}
	unpack := c.Unpack == nil || *c.Unpack
	p, err := bd.planFiles(ctx, s, copySpec{name: "ADD", srcs: locals, dest: c.DestPath, inline: c.SourceContents,
		chown: c.Chown, chmod: c.Chmod, unpack: unpack, workdir: s.cfg.WorkingDir, remote: remote, shown: c.SourcePaths})
	if err != nil {
		remote.cleanup()
		return nil, err
	}
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
	if len(cs.srcs)+len(cs.inline) == 0 && cs.remote == nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s needs a source and a destination", cs.name))
	}
	if len(cs.srcs) > 0 && len(cs.inline) > 0 && !strings.HasSuffix(cs.dest, "/") {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("when using %s with more than one source file, the destination must be a directory and end with a /", cs.name))
	}
	if _, err := parseChmod(cs.chmod); err != nil {
		return nil, err
	}
	by := cs.name
	if cs.from != "" {
		by += " --from=" + cs.from
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
	p := &plan{createdBy: by + " " + strings.Join(srcs, " ") + " " + cs.dest + " # buildkit"}
	if len(cs.inline) > 0 {
		p.extra = "inline " + hashInline(cs.inline) + "\x00"
	}
	srcImg, err := bd.planSources(ctx, cs, p)
	if err != nil {
		return nil, err
	}
	p.mount = func(ctx context.Context, root string) (bool, error) {
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

// planSources adds what a COPY's files sources are to the step's key: the
// source image's ID (returned), or the content of the context sources.
func (bd *build) planSources(ctx context.Context, cs copySpec, p *plan) (*images.Image, error) {
	if len(cs.srcs) == 0 {
		return nil, nil
	}
	if cs.from != "" {
		img, err := bd.fromImage(ctx, cs.from)
		if err != nil {
			return nil, err
		}
		p.extra += "from " + img.ID
		return img, nil
	}
	if bd.opts.ContextDir == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s needs a build context (the Dockerfile came from stdin)", cs.name))
	}
	rels, err := bd.sources(bd.opts.ContextDir, cs.srcs, true)
	if err != nil {
		return nil, err
	}
	sum, err := bd.hashSources(bd.opts.ContextDir, rels)
	if err != nil {
		return nil, err
	}
	p.extra += "content " + sum
	return nil, nil
}

// fromImage is the image COPY --from names: an earlier stage or a stored image.
func (bd *build) fromImage(ctx context.Context, ref string) (*images.Image, error) {
	cur := len(bd.stages)
	for i := range bd.stages {
		if bd.busy[i] && bd.results[i] == nil {
			cur = i // the stage being built: only earlier ones may be named
		}
	}
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
// in the last element, symlinks resolved inside root, .dockerignore applied
// to context sources.
func (bd *build) sources(root string, srcs []string, context bool) ([]string, error) {
	var out []string
	for _, src := range srcs {
		rel := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(src)), "/")
		if rel == "" {
			rel = "."
		}
		matches := []string{rel}
		if strings.ContainsAny(path.Base(rel), "*?[") {
			var err error
			if matches, err = globIn(root, rel); err != nil {
				return nil, err
			}
		}
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
			out, n = append(out, m), n+1
		}
		if n == 0 {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("source %q not found in the build context (or excluded by .dockerignore)", src))
		}
	}
	return out, nil
}

// globIn matches rel's last element as a pattern in its directory under root.
func globIn(root, rel string) ([]string, error) {
	dir, pat := path.Split(rel)
	full, err := securejoin.SecureJoin(root, dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		return nil, nil
	}
	var out []string
	for _, e := range entries {
		if ok, err := path.Match(pat, e.Name()); err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("bad pattern %q", rel))
		} else if ok {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// hashSources hashes what a COPY reads from the context: each file's path,
// mode, size and content, symlinks' targets.
func (bd *build) hashSources(root string, rels []string) (string, error) {
	h := sha256.New()
	for _, rel := range rels {
		full, err := securejoin.SecureJoin(root, rel)
		if err != nil {
			return "", err
		}
		err = filepath.WalkDir(full, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			crel := path.Join(rel, filepath.ToSlash(strings.TrimPrefix(p, full)))
			if bd.ignored(crel) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			return hashEntry(h, p, crel, d)
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
