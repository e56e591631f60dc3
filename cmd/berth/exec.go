package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"berth/engine"
	"berth/engine/attach"
	"berth/engine/attach/session"
	"berth/engine/opts"
)

func (a *app) execCommand() *cobra.Command {
	var o engine.ExecOptions
	var env []string
	var detachKeys string
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := detachKeyBytes(detachKeys)
			if err != nil {
				return err
			}
			if o.Env, err = opts.ParseEnv(nil, env, os.LookupEnv); err != nil {
				return err
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			o.Cmd = args[1:]
			if o.Detach {
				_, err := e.Exec(cmd.Context(), args[0], o, engine.IO{})
				return err
			}
			so := session.Options{TTY: o.Tty, Stdin: o.Interactive, DetachKeys: keys}
			code, err := session.Run(cmd.Context(), a.terminal(), so, func(ctx context.Context, keys []byte, s engine.IO) (int, error) {
				eo := o
				eo.DetachKeys = keys
				return e.Exec(ctx, args[0], eo, s)
			})
			return a.sessionEnd(code, err, true)
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.BoolVarP(&o.Interactive, "interactive", "i", false, "keep STDIN open")
	fl.BoolVarP(&o.Tty, "tty", "t", false, "allocate a pseudo-TTY")
	fl.BoolVarP(&o.Detach, "detach", "d", false, "detached mode: run the command in the background")
	fl.StringVar(&detachKeys, "detach-keys", "", "override the key sequence for detaching (default "+attach.DefaultDetachKeys+")")
	fl.BoolVar(&o.Privileged, "privileged", false, "give extended privileges to the command")
	fl.StringVarP(&o.User, "user", "u", "", "user[:group] or uid[:gid]")
	fl.StringVarP(&o.WorkingDir, "workdir", "w", "", "working directory inside the container")
	stringArrayVarP(fl, &env, "env", "e", "set environment variables")
	return cmd
}

func (a *app) attachCommand() *cobra.Command {
	f := attachFlags{}
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			c, err := e.Inspect(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			code, err := a.attach(cmd.Context(), c, f)
			return a.sessionEnd(code, err, true)
		},
	}
	f.register(cmd.Flags(), true)
	return cmd
}

// attachFlags are docker's flags for an attached session: attach takes all
// three, run takes --detach-keys and --sig-proxy, start --detach-keys.
type attachFlags struct {
	detachKeys string
	sigProxy   bool
	noStdin    bool
}

// register adds --detach-keys and --sig-proxy, and --no-stdin when asked.
func (f *attachFlags) register(fs *pflag.FlagSet, noStdin bool) {
	fs.StringVar(&f.detachKeys, "detach-keys", "", "override the key sequence for detaching (default "+attach.DefaultDetachKeys+")")
	fs.BoolVar(&f.sigProxy, "sig-proxy", true, "proxy received signals to the process (without a TTY)")
	if noStdin {
		fs.BoolVar(&f.noStdin, "no-stdin", false, "do not attach STDIN")
	}
}

// detachKeyBytes parses a --detach-keys value; empty gives docker's default.
func detachKeyBytes(s string) ([]byte, error) {
	if s == "" {
		s = attach.DefaultDetachKeys
	}
	keys, err := attach.ParseDetachKeys(s)
	if err != nil {
		return nil, invalid("invalid --detach-keys: %v", err)
	}
	return keys, nil
}

// terminal is this process's standard streams as a session's terminal.
func (a *app) terminal() session.Terminal {
	return session.Terminal{In: a.stdin, Out: a.stdout, Err: a.stderr}
}

// attach connects this terminal to a container (see package session): raw
// mode and resizes for a TTY, the detach keys, signals forwarded with
// --sig-proxy.
func (a *app) attach(ctx context.Context, c *engine.Container, f attachFlags) (int, error) {
	keys, err := detachKeyBytes(f.detachKeys)
	if err != nil {
		return -1, err
	}
	e, err := a.engine()
	if err != nil {
		return -1, err
	}
	o := session.Options{
		TTY: c.Config.Tty, Stdin: c.Config.OpenStdin && !f.noStdin, DetachKeys: keys,
		SigProxy: f.sigProxy, Redraw: c.State.Running,
		Signal: func(s unix.Signal) { _ = e.Kill(context.Background(), c.ID, fmt.Sprint(int(s))) },
	}
	return session.Run(ctx, a.terminal(), o, func(ctx context.Context, keys []byte, s engine.IO) (int, error) {
		return e.Attach(ctx, c.ID, engine.AttachOptions{DetachKeys: keys}, s)
	})
}

// sessionEnd turns a session's end into the verb's result: the exit code; on
// the detach keys docker's message and exit 1 (attach, exec) or nothing and
// exit 0 (run, start); on a signal that ended it, 128 + the signal.
func (a *app) sessionEnd(code int, err error, sayDetached bool) error {
	var intr *session.Interrupted
	switch {
	case errors.Is(err, engine.ErrDetached):
		if !sayDetached {
			return nil
		}
		fmt.Fprintln(a.stderr, err)
		return exitError{1}
	case errors.As(err, &intr):
		return exitError{128 + int(intr.Signal)}
	case err != nil:
		return err
	}
	return exitWith(code)
}
