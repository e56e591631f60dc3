package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"berth/images"
	"berth/images/build"
)

// BuildOptions are `docker build`'s options (see build.Options).
type BuildOptions = build.Options

// Build builds an image from a Dockerfile: each RUN runs as a container of
// this engine on the default bridge, over the previous step's image; each
// step's changes become a layer. progress (may be nil) receives the steps'
// events. A failed step leaves no container, mount or image behind.
func (e *Engine) Build(ctx context.Context, o BuildOptions, progress func(build.Event)) (*images.Image, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	e.sweepBuilds(ctx)
	defer e.holdSpares()() // a monitor ready for each next RUN step
	return build.New(e.images, &buildRunner{e: e, progress: progress}).Build(ctx, o, progress)
}

// buildLabel marks a RUN step's container with the PID of the berth process
// that runs the build.
const buildLabel = "berth.build.pid"

// sweepBuilds removes what builds killed before they could clean up left:
// their RUN containers (the process in the label is gone) and their mounts
// (nobody holds the mount's lock).
func (e *Engine) sweepBuilds(ctx context.Context) {
	if list, err := e.List(ctx, true); err == nil {
		for _, c := range list {
			pid, err := strconv.Atoi(c.Config.Labels[buildLabel])
			if err != nil || pid <= 0 || processAlive(pid) {
				continue
			}
			_ = e.Remove(ctx, c.ID, RemoveOptions{Force: true, Volumes: true})
		}
	}
	e.sweepBuildMounts()
}

// sweepBuildMounts unmounts and removes the filesystems builds that died
// had mounted (nobody holds the mount's lock). The engine's open runs it
// too, so that a build killed in a COPY leaves no mount for long.
func (e *Engine) sweepBuildMounts() {
	// The run root held the mounts before they moved to the data root.
	for _, base := range []string{e.buildMountsDir(), filepath.Join(e.runRoot, "build")} {
		entries, _ := os.ReadDir(base)
		for _, ent := range entries {
			dir := filepath.Join(base, ent.Name())
			f, err := os.Open(filepath.Join(dir, "lock"))
			if err != nil {
				continue // being made, or not a mount dir
			}
			if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
				_ = unix.Unmount(filepath.Join(dir, "merged"), unix.MNT_DETACH)
				_ = os.RemoveAll(dir)
			}
			f.Close()
		}
	}
}

// buildMountsDir holds the filesystems a build mounts for COPY, ADD and
// WORKDIR. It is on the data root's filesystem, as the image store is, so
// that a step's upper dir becomes its layer's snapshot by hard links (the
// run root is often a tmpfs).
func (e *Engine) buildMountsDir() string { return filepath.Join(e.root, "build") }

// buildRunner runs a build's RUN steps as containers and mounts its
// filesystems for COPY, ADD and WORKDIR.
type buildRunner struct {
	e        *Engine
	progress func(build.Event)
}

// Run runs one RUN step as a container, hands its upper dir to commit when
// the process exits 0, and removes the container whatever happened.
func (r *buildRunner) Run(ctx context.Context, spec build.RunSpec, commit func(upperDir string) error) (err error) {
	e := r.e
	// No volumes for the image's VOLUME paths (an empty map, not nil, keeps
	// the image's from being merged in): the step's writes under them stay
	// in its layer, as BuildKit keeps them.
	o := CreateOptions{Config: Config{Image: spec.Image.ID, Cmd: spec.Args, Env: spec.Env, User: spec.User,
		WorkingDir: spec.WorkingDir, AttachStdout: true, AttachStderr: true, Volumes: map[string]struct{}{},
		Labels: map[string]string{buildLabel: strconv.Itoa(os.Getpid())}}, EntrypointSet: true,
		HostConfig: HostConfig{NetworkMode: spec.Network}}
	for _, m := range spec.Mounts {
		o.HostConfig.Mounts = append(o.HostConfig.Mounts, MountSpec{Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	c, err := e.Create(ctx, o)
	if err != nil {
		return err
	}
	if spec.Started != nil {
		spec.Started(c.ID)
	}
	defer func() {
		rerr := e.Remove(context.WithoutCancel(ctx), c.ID, RemoveOptions{Force: true, Volumes: true})
		if err == nil && rerr != nil {
			err = fmt.Errorf("remove build container: %w", rerr)
		}
	}()
	if err := e.Start(ctx, c.ID, StartOptions{WaitAttach: true}); err != nil {
		return err
	}
	out := spec.Output
	if out == nil {
		out = io.Discard
	}
	code, err := e.Attach(ctx, c.ID, AttachOptions{}, IO{Stdin: strings.NewReader(""), Stdout: out, Stderr: out})
	if err != nil {
		return err
	}
	if code != 0 {
		return &build.ExitError{Code: code, Args: spec.Args}
	}
	if _, err := e.Wait(ctx, c.ID); err != nil {
		return err
	}
	return commit(filepath.Join(e.containerDir(c.ID), "fs/upper"))
}

// Mount mounts img's layers under a fresh upper dir in a private directory,
// hands the root and upper dir to fn, then unmounts and removes them.
func (r *buildRunner) Mount(ctx context.Context, img *images.Image, fn func(root, upperDir string) error) error {
	e := r.e
	if img == nil {
		img = &images.Image{}
	}
	lowers, err := e.images.Prepare(ctx, img)
	if err != nil {
		return err
	}
	base := e.buildMountsDir()
	if err := os.MkdirAll(base, 0o700); err != nil {
		return fmt.Errorf("build mount: %w", err)
	}
	dir, err := os.MkdirTemp(base, "mnt-")
	if err != nil {
		return fmt.Errorf("build mount: %w", err)
	}
	defer os.RemoveAll(dir)
	// Held while the mount lives: a sweep takes only the mounts of builds that died.
	// Locked before it takes its name, so a sweep never sees it unlocked.
	lock, err := os.Create(filepath.Join(dir, "lock.new"))
	if err != nil {
		return fmt.Errorf("build mount: %w", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("build mount: %w", err)
	}
	if err := os.Rename(lock.Name(), filepath.Join(dir, "lock")); err != nil {
		return fmt.Errorf("build mount: %w", err)
	}
	root, upper, work := filepath.Join(dir, "merged"), filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	for _, d := range []string{root, upper, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("build mount: %w", err)
		}
	}
	if err := e.mountOverlay(root, lowers, upper, work, true); err != nil { // mounted once: see mountOverlay
		return fmt.Errorf("mount build filesystem: %w", err)
	}
	defer unix.Unmount(root, unix.MNT_DETACH)
	return fn(root, upper)
}
