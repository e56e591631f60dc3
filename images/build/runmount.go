package build

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"berth/images"
)

// RunMount is one filesystem a RUN step sees besides its image's.
type RunMount struct {
	// Type is "bind" (Source is a host path) or "tmpfs".
	Type string
	// Source is the host file or directory bound at Target.
	Source   string
	Target   string
	ReadOnly bool
}

// mountPlan is one RUN --mount, checked, with what it reads resolved.
type mountPlan struct {
	m      *instructions.Mount
	target string        // absolute, in the container
	img    *images.Image // bind from a stage or image
	secret []byte        // the secret's value (nil: not a secret)
	inline []byte        // a heredoc script's text (nil: not a script)
}

// planRunMounts checks a RUN's --mount flags and returns them with the part
// of the step's cache key they add: each mount's kind and target, a cache's
// id, a bind's source content or image, a secret's id (never its content).
func (bd *build) planRunMounts(ctx context.Context, s *stageState, c *instructions.RunCommand) ([]*mountPlan, string, error) {
	var out []*mountPlan
	var key strings.Builder
	for _, m := range instructions.GetMounts(c) {
		mp := &mountPlan{m: m, target: m.Target}
		if mp.target != "" && !path.IsAbs(mp.target) {
			mp.target = path.Join("/", s.cfg.WorkingDir, mp.target)
		}
		var err error
		var part string
		switch m.Type {
		case instructions.MountTypeCache:
			part, err = planCacheMount(mp)
		case instructions.MountTypeSecret:
			part, err = bd.planSecretMount(mp)
		case instructions.MountTypeBind:
			part, err = bd.planBindMount(ctx, s, mp)
		case instructions.MountTypeTmpfs:
			part, err = mountTarget(mp, "tmpfs")
		default:
			err = errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("RUN --mount=type=%s is not supported", m.Type))
		}
		if err != nil {
			return nil, "", err
		}
		if part == "" {
			continue // an optional secret that was not given
		}
		fmt.Fprintf(&key, "\x00mount %s ro=%v", part, m.ReadOnly)
		out = append(out, mp)
	}
	return out, key.String(), nil
}

// mountTarget checks that a mount has a target.
func mountTarget(mp *mountPlan, kind string) (string, error) {
	if mp.target == "" {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("RUN --mount=type=%s needs a target", kind))
	}
	return kind + " " + mp.target, nil
}

// planCacheMount checks a cache mount; its id defaults to its target.
func planCacheMount(mp *mountPlan) (string, error) {
	part, err := mountTarget(mp, "cache")
	if err != nil {
		return "", err
	}
	if mp.m.From != "" || mp.m.Source != "" {
		return "", errdefs.ErrInvalidArgument.WithMessage("RUN --mount=type=cache with from or source is not supported yet")
	}
	if mp.m.CacheID == "" {
		mp.m.CacheID = mp.target
	}
	return fmt.Sprintf("%s id=%s sharing=%s", part, mp.m.CacheID, mp.m.CacheSharing), nil
}

// planSecretMount finds the secret's file given with --secret; its id
// defaults to the target's name, its target to /run/secrets/ID. A secret
// not given is an error when required, else the mount is left out.
func (bd *build) planSecretMount(mp *mountPlan) (string, error) {
	m := mp.m
	if m.Env != nil {
		return "", errdefs.ErrInvalidArgument.WithMessage("RUN --mount=type=secret with env is not supported yet")
	}
	id := m.CacheID
	if id == "" {
		id = path.Base(mp.target)
	}
	if mp.target == "" {
		mp.target = "/run/secrets/" + id
	}
	val, ok := bd.opts.Secrets[id]
	if !ok {
		if m.Required {
			return "", errdefs.ErrNotFound.WithMessage(fmt.Sprintf("secret %s: not found (give it with --secret id=%s,src=FILE)", id, id))
		}
		return "", nil
	}
	mp.secret = append([]byte{}, val...)
	return fmt.Sprintf("secret %s id=%s", mp.target, id), nil
}

// planBindMount checks a bind mount: of the build context (its source's
// content goes in the key) or of a stage or image (its ID does).
func (bd *build) planBindMount(ctx context.Context, s *stageState, mp *mountPlan) (string, error) {
	m := mp.m
	part, err := mountTarget(mp, "bind")
	if err != nil {
		return "", err
	}
	src := strings.TrimPrefix(path.Clean("/"+m.Source), "/")
	if src == "" {
		src = "."
	}
	m.Source = src
	if m.From != "" {
		if mp.img, err = bd.fromImage(ctx, s.index, m.From); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s from=%s source=%s", part, mp.img.ID, src), nil
	}
	if bd.opts.ContextDir == "" {
		return "", errdefs.ErrInvalidArgument.WithMessage("RUN --mount=type=bind needs a build context (the Dockerfile came from stdin)")
	}
	matches, err := bd.sources(bd.opts.ContextDir, []string{src}, true, false)
	if err != nil {
		return "", err
	}
	sum, err := bd.hashSources(bd.opts.ContextDir, matches, nil)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s source=%s content=%s", part, src, sum), nil
}

// withMounts makes the step's mounts ready (cache directories locked as
// their sharing asks, images mounted, secrets copied to a private file,
// writable context binds copied), runs fn with them, and undoes it all.
func (bd *build) withMounts(ctx context.Context, mps []*mountPlan, done []RunMount, fn func([]RunMount) error) error {
	if len(mps) == 0 {
		return fn(done)
	}
	mp, rest := mps[0], mps[1:]
	next := func(rm RunMount) error {
		rm.Target = mp.target
		return bd.withMounts(ctx, rest, append(done, rm), fn)
	}
	switch {
	case mp.m.Type == instructions.MountTypeTmpfs:
		return next(RunMount{Type: "tmpfs"})
	case mp.m.Type == instructions.MountTypeCache:
		o := images.CacheMountOptions{Sharing: string(mp.m.CacheSharing), Mode: fileMode(mp.m.Mode, 0o755),
			UID: idOf(mp.m.UID), GID: idOf(mp.m.GID)}
		dir, release, err := bd.store.CacheMount(ctx, mp.m.CacheID, o)
		if err != nil {
			return err
		}
		defer release()
		return next(RunMount{Type: "bind", Source: dir, ReadOnly: mp.m.ReadOnly})
	case mp.inline != nil:
		return bd.withFile(mp.inline, 0, 0, 0o755, func(file string) error {
			return next(RunMount{Type: "bind", Source: file, ReadOnly: true})
		})
	case mp.secret != nil:
		return bd.withFile(mp.secret, idOf(mp.m.UID), idOf(mp.m.GID), fileMode(mp.m.Mode, 0o400), func(file string) error {
			return next(RunMount{Type: "bind", Source: file, ReadOnly: true})
		})
	case mp.img != nil:
		return bd.runner.Mount(ctx, mp.img, func(root, _ string) error {
			src, err := securejoin.SecureJoin(root, mp.m.Source)
			if err != nil {
				return err
			}
			return next(RunMount{Type: "bind", Source: src, ReadOnly: mp.m.ReadOnly})
		})
	}
	src, err := securejoin.SecureJoin(bd.opts.ContextDir, mp.m.Source)
	if err != nil {
		return err
	}
	if mp.m.ReadOnly {
		return next(RunMount{Type: "bind", Source: src, ReadOnly: true})
	}
	// rw: the step may write, but what it writes is thrown away, as BuildKit does.
	return bd.runner.Mount(ctx, nil, func(root, _ string) error {
		cs := copySpec{name: "bind", srcs: []string{mp.m.Source}, dest: "/src/"}
		if err := bd.copyFiles(bd.opts.ContextDir, root, cs, true); err != nil {
			return err
		}
		copied := filepath.Join(root, "src")
		if fi, err := os.Stat(src); err == nil && !fi.IsDir() {
			copied = filepath.Join(copied, filepath.Base(src))
		}
		return next(RunMount{Type: "bind", Source: copied})
	})
}

// withFile writes data to a private file with the owner and mode given
// (a secret: root, 0400 by default; a heredoc script: 0755), hands it to
// fn, and removes it. The file lives in a locked temp dir of the image
// store, which the next engine open removes if this process is killed.
func (bd *build) withFile(data []byte, uid, gid int, mode os.FileMode, fn func(string) error) error {
	dir, done, err := bd.store.TempDir("mount-")
	if err != nil {
		return fmt.Errorf("mount file: %w", err)
	}
	defer done()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return fmt.Errorf("mount file: %w", err)
	}
	if err := os.Chown(file, uid, gid); err != nil {
		return fmt.Errorf("mount file: %w", err)
	}
	if err := os.Chmod(file, mode); err != nil {
		return fmt.Errorf("mount file: %w", err)
	}
	return fn(file)
}

func fileMode(m *uint64, def os.FileMode) os.FileMode {
	if m == nil {
		return def
	}
	return os.FileMode(*m) & os.ModePerm
}

func idOf(v *uint64) int {
	if v == nil {
		return 0
	}
	return int(*v)
}

// mountExcludes are the paths a step's mounts left in its upper dir that
// are not the step's work: each target, and each parent directory holding
// nothing else, as BuildKit removes the mount points it made. The runtime's
// own files (/etc/hosts, ...) count as mounts: a RUN that changed nothing
// leaves no etc/ behind.
func mountExcludes(upper string, rms []RunMount) []string {
	targets := runtimeFiles()
	for _, rm := range rms {
		targets = append(targets, rm.Target)
	}
	ex := map[string]bool{}
	var out []string
	for _, t := range targets {
		if !ex[t] {
			ex[t] = true
			out = append(out, t)
		}
	}
	for _, t := range targets {
		for dir := path.Dir(t); dir != "/"; dir = path.Dir(dir) {
			if ex[dir] || !onlyExcluded(filepath.Join(upper, dir), dir, ex) {
				break
			}
			ex[dir] = true
			out = append(out, dir)
		}
	}
	return out
}

// emptyUpper says whether upper holds nothing but the excluded paths ex:
// the step changed nothing, and adds no layer (as BuildKit drops empty
// layers).
func emptyUpper(upper string, ex []string) bool {
	m := map[string]bool{}
	for _, p := range ex {
		m[p] = true
	}
	return onlyExcluded(upper, "/", m)
}

// onlyExcluded says whether the upper dir's directory dir holds only
// excluded entries.
func onlyExcluded(full, dir string, ex map[string]bool) bool {
	entries, err := os.ReadDir(full)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !ex[path.Join(dir, e.Name())] {
			return false
		}
	}
	return true
}
