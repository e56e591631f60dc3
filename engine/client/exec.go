package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	moby "github.com/moby/moby/client"

	"berth/engine"
)

// ExecCreate creates an exec instance on the server. Detach keys stay on
// this side: ExecStart watches for them, as the docker CLI does.
func (c *Client) ExecCreate(ctx context.Context, ref string, cfg engine.ExecConfig) (string, error) {
	o := moby.ExecCreateOptions{User: cfg.User, Privileged: cfg.Privileged, TTY: cfg.Tty,
		AttachStdin: cfg.Interactive, AttachStdout: cfg.AttachStdout, AttachStderr: cfg.AttachStderr,
		Env: cfg.Env, WorkingDir: cfg.WorkingDir, Cmd: cfg.Cmd}
	if cfg.ConsoleSize != nil {
		o.ConsoleSize = moby.ConsoleSize{Height: uint(cfg.ConsoleSize.Height), Width: uint(cfg.ConsoleSize.Width)}
	}
	res, err := c.api.ExecCreate(ctx, ref, o)
	if err != nil {
		return "", wire(err, "create the exec")
	}
	return res.ID, nil
}

// ExecStart starts an exec instance: detached, it returns once the server
// started it; otherwise it pumps the streams until the process ends and
// returns its exit code.
func (c *Client) ExecStart(ctx context.Context, ref string, so engine.ExecStartOptions, s engine.IO) (int, error) {
	return c.execStart(ctx, ref, so, s, nil)
}

// execStart is ExecStart watching for keys (else the instance's own).
func (c *Client) execStart(ctx context.Context, ref string, so engine.ExecStartOptions, s engine.IO, keys []byte) (int, error) {
	x, err := c.ExecInspect(ctx, ref)
	if err != nil {
		return -1, err
	}
	if keys == nil {
		keys = x.Config.DetachKeys
	}
	if x.Started { // the server's 409 would come back as a failed upgrade
		if x.Running {
			return -1, errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s is already running", x.ID))
		}
		return -1, errdefs.ErrConflict.WithMessage(fmt.Sprintf("exec instance %s has already run", x.ID))
	}
	var size moby.ConsoleSize
	if so.ConsoleSize != nil {
		size = moby.ConsoleSize{Height: uint(so.ConsoleSize.Height), Width: uint(so.ConsoleSize.Width)}
	}
	if so.Detach {
		_, err := c.api.ExecStart(ctx, x.ID, moby.ExecStartOptions{Detach: true, TTY: x.Config.Tty, ConsoleSize: size})
		return 0, wire(err, "start the exec")
	}
	res, err := c.api.ExecAttach(ctx, x.ID, moby.ExecAttachOptions{TTY: x.Config.Tty, ConsoleSize: size})
	if err != nil {
		return -1, wire(err, "start the exec")
	}
	defer res.Close()
	if !x.Config.Interactive {
		s.Stdin = nil
	}
	resize := func(w engine.WinSize) { _ = c.ExecResize(ctx, x.ID, w) }
	if err := pump(ctx, res.HijackedResponse, x.Config.Tty, s, keys, resize); err != nil {
		return -1, err
	}
	return c.execExit(ctx, x.ID)
}

// ExecInspect reads an exec instance, its configuration included (moby's
// client keeps only some fields of Docker's answer).
func (c *Client) ExecInspect(ctx context.Context, ref string) (*engine.ExecInstance, error) {
	var in container.ExecInspectResponse
	if err := c.berthCall(ctx, http.MethodGet, "/exec/"+url.PathEscape(ref)+"/json", nil, "inspect the exec", &in); err != nil {
		return nil, err
	}
	x := &engine.ExecInstance{ID: in.ID, ContainerID: in.ContainerID, Running: in.Running, ExitCode: in.ExitCode,
		Started: in.Running || in.ExitCode != nil}
	x.Config.Interactive, x.Config.AttachStdout, x.Config.AttachStderr = in.OpenStdin, in.OpenStdout, in.OpenStderr
	x.Config.DetachKeys = in.DetachKeys
	if pc := in.ProcessConfig; pc != nil {
		x.Config.Tty, x.Config.User = pc.Tty, pc.User
		x.Config.Cmd = append([]string{pc.Entrypoint}, pc.Arguments...)
		x.Config.Privileged = pc.Privileged != nil && *pc.Privileged
	}
	return x, nil
}

// ExecResize sets a running terminal exec's size.
func (c *Client) ExecResize(ctx context.Context, ref string, ws engine.WinSize) error {
	_, err := c.api.ExecResize(ctx, ref, moby.ExecResizeOptions{Width: uint(ws.Width), Height: uint(ws.Height)})
	return wire(err, "resize the exec")
}
