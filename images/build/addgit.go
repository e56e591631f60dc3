package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
)

// gitSource is one ADD source that is a git repository
// ("https://host/repo.git#ref:subdir", "git://...", "git@host:repo").
type gitSource struct {
	src    string
	ref    *gitRef
	commit string // what the ref names, found when the step is planned
	keep   bool   // --keep-git-dir
}

// gitRef is a git source's parts: "REMOTE#REF:SUBDIR".
type gitRef struct {
	Remote, Ref, SubDir string
}

// isGitURL says whether an ADD source names a git repository berth clones,
// as BuildKit's dfgitutil decides: git:// URLs and http(s) URLs whose path
// ends in ".git" (git over ssh is not supported: see isSSHGit).
func isGitURL(src string) bool {
	remote, _, _ := strings.Cut(src, "#")
	switch {
	case strings.HasPrefix(remote, "git://"):
		return true
	case isURL(remote):
		u, err := url.Parse(remote)
		return err == nil && strings.HasSuffix(u.Path, ".git")
	}
	return false
}

// isSSHGit says whether an ADD source is a git repository over ssh
// (ssh://…, git@host:path), which berth does not clone: it would need the
// user's keys and agent, which a build does not forward.
func isSSHGit(src string) bool {
	return strings.HasPrefix(src, "ssh://") || strings.HasPrefix(src, "git@") && strings.Contains(src, ":")
}

// parseGitRef splits a git source into its remote, ref and subdirectory.
func parseGitRef(src string) (*gitRef, error) {
	remote, frag, _ := strings.Cut(src, "#")
	ref, sub, _ := strings.Cut(frag, ":")
	if strings.HasPrefix(ref, "-") || strings.HasPrefix(remote, "-") {
		return nil, errors.New("a ref or remote may not start with -")
	}
	if sub != "" {
		sub = path.Clean("/" + sub)
		if sub == "/" {
			sub = ""
		}
	}
	return &gitRef{Remote: remote, Ref: ref, SubDir: sub}, nil
}

var commitRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{40}$`) })

// planGit resolves each repository's ref to its commit (git ls-remote, as
// BuildKit does): the commit, subdirectory and --keep-git-dir are the
// step's key, so a moved branch misses the cache and nothing is fetched
// while the step is cached.
func planGit(ctx context.Context, srcs []string, keep bool) ([]*gitSource, string, error) {
	var out []*gitSource
	var key strings.Builder
	for _, src := range srcs {
		ref, err := parseGitRef(src)
		if err != nil {
			return nil, "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid git source %s: %v", src, err))
		}
		g := &gitSource{src: src, ref: ref, keep: keep}
		if g.commit, err = resolveGitRef(ctx, ref); err != nil {
			return nil, "", err
		}
		fmt.Fprintf(&key, "\x00git %s commit %s subdir %s keep %v", ref.Remote, g.commit, ref.SubDir, g.keep)
		out = append(out, g)
	}
	return out, key.String(), nil
}

// resolveGitRef finds the commit a ref names on the remote: a full commit
// hash as is, else a tag (peeled), a branch, or HEAD when no ref is given.
func resolveGitRef(ctx context.Context, ref *gitRef) (string, error) {
	if commitRe().MatchString(ref.Ref) {
		return ref.Ref, nil
	}
	name := ref.Ref
	if name == "" {
		name = "HEAD"
	}
	out, err := runGit(ctx, "", "ls-remote", "--", ref.Remote, name)
	if err != nil {
		return "", err
	}
	found := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if sha, refName, ok := strings.Cut(line, "\t"); ok {
			found[refName] = sha
		}
	}
	for _, cand := range []string{"refs/tags/" + name + "^{}", "refs/tags/" + name, "refs/heads/" + name, name} {
		if sha, ok := found[cand]; ok && commitRe().MatchString(sha) {
			return sha, nil
		}
	}
	return "", errdefs.ErrNotFound.WithMessage(fmt.Sprintf("git ref %q not found in %s", name, ref.Remote))
}

// runGit runs git (in dir when set) without prompts or the user's
// configuration and returns its output; a failure is one line from git.
func runGit(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "protocol.file.allow=never", "-c", "advice.detachedHead=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_ASKPASS=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errdefs.ErrUnavailable.WithMessage("ADD of a git repository needs git installed on this machine")
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return "", fmt.Errorf("git %s: %s", args[0], strings.TrimPrefix(msg, "fatal: "))
	}
	return stdout.String(), nil
}

// checkout fetches the source's commit into a fresh directory and returns
// it; done removes it.
func (g *gitSource) checkout(ctx context.Context) (dir string, done func(), err error) {
	dir, err = os.MkdirTemp("", "berth-git-")
	if err != nil {
		return "", nil, fmt.Errorf("ADD %s: %w", g.src, err)
	}
	done = func() { os.RemoveAll(dir) }
	steps := [][]string{{"init", "-q"}, {"remote", "add", "origin", g.ref.Remote}}
	for _, args := range steps {
		if _, err := runGit(ctx, dir, args...); err != nil {
			done()
			return "", nil, fmt.Errorf("ADD %s: %w", g.src, err)
		}
	}
	// The commit itself first (shallow); servers that refuse a bare commit get the ref.
	if _, err := runGit(ctx, dir, "fetch", "-q", "--depth=1", "origin", g.commit); err != nil {
		name := g.ref.Ref
		if name == "" {
			name = "HEAD"
		}
		if _, err := runGit(ctx, dir, "fetch", "-q", "origin", name); err != nil {
			done()
			return "", nil, fmt.Errorf("ADD %s: %w", g.src, err)
		}
	}
	if _, err := runGit(ctx, dir, "checkout", "-q", "--detach", g.commit); err != nil {
		done()
		return "", nil, fmt.Errorf("ADD %s: %w", g.src, err)
	}
	return dir, done, nil
}

// copyGit checks out each git source and copies its tree (or its subdir)
// to the ADD's destination; .git stays only with --keep-git-dir.
func (bd *build) copyGit(ctx context.Context, root string, cs copySpec) error {
	for _, g := range cs.git {
		if err := bd.copyOneGit(ctx, root, cs, g); err != nil {
			return err
		}
	}
	return nil
}

func (bd *build) copyOneGit(ctx context.Context, root string, cs copySpec, g *gitSource) error {
	dir, done, err := g.checkout(ctx)
	if err != nil {
		return err
	}
	defer done()
	src := dir
	if g.ref.SubDir != "" {
		if src, err = securejoin.SecureJoin(dir, g.ref.SubDir); err != nil {
			return fmt.Errorf("ADD %s: %w", g.src, err)
		}
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("ADD %s: no directory %s in the repository", g.src, g.ref.SubDir))
		}
	}
	in := cs
	in.srcs, in.unpack, in.parents, in.remote, in.git = []string{"."}, false, false, nil, nil
	excl := append([]string{}, cs.excl...)
	if !g.keep {
		excl = append(excl, ".git")
	}
	if in.exclude, err = excludeMatcher("ADD", excl); err != nil {
		return err
	}
	return bd.copyFiles(src, root, in, false)
}
