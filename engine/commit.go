package engine

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/go-archive"

	"berth/images"
)

// runtimeFiles are the mount points the runtime makes in a container's upper
// dir for the files it binds over (Docker keeps them in an init layer that
// diff and commit do not see).
func runtimeFiles() []string { return []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"} }

// CommitOptions are `docker commit`'s options.
type CommitOptions struct {
	// Reference is REPO[:TAG] for the new image ("" leaves it untagged).
	Reference string
	// Changes are Dockerfile instructions applied to the config (-c).
	Changes []string
	// Comment and Author go into the image (-m, -a).
	Comment, Author string
	// Pause freezes a running container while its changes are read (-p).
	Pause bool
	// Config, when set, is laid over the container's config before Changes
	// (the body of the Docker Engine API's POST /commit), as dockerd merges
	// it: a field it sets replaces the container's, its Env, Labels,
	// ExposedPorts and Volumes add to the container's, a Healthcheck it sets
	// takes the fields it leaves zero from the container's.
	Config *Config
}

// Commit makes a new image from a container's changes: its overlay upper dir
// becomes one more layer over the container's image (whiteouts in OCI form),
// its config is the container's with Changes applied, and its history gains
// an entry made by the container's command, as Docker's commit does.
func (e *Engine) Commit(ctx context.Context, ref string, o CommitOptions) (*images.Image, error) {
	var scratch v1.Config
	var scratchExt images.ConfigExt
	for _, ch := range o.Changes {
		if err := images.ApplyChange(&scratch, &scratchExt, ch); err != nil {
			return nil, err
		}
	}
	if o.Reference != "" {
		if _, err := images.ParseReference(o.Reference); err != nil {
			return nil, err
		}
	}
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return nil, err
	}
	if o.Pause && c.State.Running && !c.State.Paused {
		if err := e.Pause(ctx, c.ID); err != nil {
			return nil, err
		}
		defer func() { _ = e.Unpause(context.WithoutCancel(ctx), c.ID) }()
	}
	parent, err := e.images.Resolve(c.Image)
	if err != nil {
		return nil, fmt.Errorf("image of container %s: %w", c.Name[1:], err)
	}
	cfg, ext := commitConfig(parent.Config.Config, parent.Ext, overlayConfig(c.Config, o.Config))
	if err := images.ApplyChanges(&cfg, &ext, o.Changes); err != nil {
		return nil, err
	}
	layer, err := images.DiffTar(filepath.Join(e.containerDir(c.ID), "fs/upper"), runtimeFiles()...)
	if err != nil {
		return nil, err
	}
	defer layer.Close()
	opts := images.CommitOptions{Parent: parent, Layer: layer, Config: cfg, Ext: ext,
		CreatedBy: strings.Join(c.Config.Cmd, " "), Comment: o.Comment, Author: o.Author}
	if o.Reference != "" {
		opts.Tags = []string{o.Reference}
	}
	img, err := e.images.Commit(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", c.Name[1:], err)
	}
	imageRef := ""
	if len(opts.Tags) > 0 && len(img.RepoTags) > 0 {
		imageRef = img.RepoTags[0]
	}
	e.emit("commit", c, map[string]string{"comment": o.Comment, "imageID": img.ID, "imageRef": imageRef})
	return img, nil
}

// commitConfig is the image config a commit starts from: the container's
// config (which already holds what it took from its image, its health
// check included, as Docker's commit takes it) over the image's (for what a
// container config does not carry).
func commitConfig(img v1.Config, imgExt images.ConfigExt, c Config) (v1.Config, images.ConfigExt) {
	out, ext := img, imgExt
	if h := c.Healthcheck; h != nil {
		out.Healthcheck = &v1.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, Retries: h.Retries}
		ext.HealthStartInterval = h.StartInterval
	}
	out.Hostname, out.Domainname, out.User = c.Hostname, c.Domainname, c.User
	out.AttachStdin, out.AttachStdout, out.AttachStderr = c.AttachStdin, c.AttachStdout, c.AttachStderr
	out.Tty, out.OpenStdin, out.StdinOnce = c.Tty, c.OpenStdin, c.StdinOnce
	out.Env, out.Cmd, out.Entrypoint, out.WorkingDir = c.Env, c.Cmd, c.Entrypoint, c.WorkingDir
	out.ExposedPorts, out.Volumes, out.Labels, out.StopSignal = c.ExposedPorts, c.Volumes, c.Labels, c.StopSignal
	out.Image = ""
	return out, ext
}

// Diff lists a container's changes to its image's filesystem, as `docker
// diff` does (from its overlay upper dir).
func (e *Engine) Diff(ctx context.Context, ref string) ([]images.Change, error) {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return nil, err
	}
	var lowers []string
	if l := c.GraphDriver.Data["LowerDir"]; l != "" {
		lowers = strings.Split(l, ":")
	}
	return images.OverlayChanges(lowers, c.GraphDriver.Data["UpperDir"], runtimeFiles()...)
}

// Export writes a tar of a container's root filesystem (its image with its
// changes, without its volumes), as `docker export` does. A stopped
// container's filesystem is mounted for the while.
func (e *Engine) Export(ctx context.Context, ref string, w io.Writer) error {
	return e.withMerged(ctx, ref, func(root string) error {
		rc, err := archive.TarWithOptions(root, &archive.TarOptions{})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer rc.Close()
		if _, err := io.Copy(w, &ctxReader{ctx: ctx, r: rc}); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	})
}

// withMerged gives fn the container's merged overlay directory: the mount a
// running container has, or one made for the while under the container's lock.
func (e *Engine) withMerged(ctx context.Context, ref string, fn func(root string) error) error {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if c.State.Running {
		return fn(e.rootfs(c.ID))
	}
	return e.withStoppedRootfs(ctx, c.ID, fn)
}

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads from the underlying reader unless the context is done.
func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
