package main

import (
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"berth/engine"
)

func (a *app) execCommand() *cobra.Command {
	var o engine.ExecOptions
	var env []string
	var detach bool
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if detach {
				return invalid("exec -d is not supported: the exec'd process lives in this berth process")
			}
			if o.Env, err = readEnv(nil, env); err != nil {
				return err
			}
			o.Cmd = args[1:]
			streams := engine.IO{Stdout: a.stdout, Stderr: a.stderr}
			if o.Interactive {
				streams.Stdin = a.stdin
			}
			if o.Tty {
				restore, resize := a.rawTerminal()
				defer restore()
				streams.Resize = resize
			}
			code, err := e.Exec(cmd.Context(), args[0], o, streams)
			if err != nil {
				return err
			}
			return exitWith(code)
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.BoolVarP(&o.Interactive, "interactive", "i", false, "keep STDIN open")
	fl.BoolVarP(&o.Tty, "tty", "t", false, "allocate a pseudo-TTY")
	fl.BoolVarP(&detach, "detach", "d", false, "detached mode (not supported)")
	fl.BoolVar(&o.Privileged, "privileged", false, "give extended privileges to the command")
	fl.StringVarP(&o.User, "user", "u", "", "user[:group] or uid[:gid]")
	fl.StringVarP(&o.WorkingDir, "workdir", "w", "", "working directory inside the container")
	fl.StringArrayVarP(&env, "env", "e", nil, "set environment variables")
	return cmd
}

func (a *app) attachCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "attach CONTAINER",
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
			code, err := a.attach(cmd.Context(), c)
			if err != nil {
				return err
			}
			return exitWith(code)
		},
	}
}

// rawTerminal puts this terminal in raw mode (when stdin is one) and reports
// its size now and on every SIGWINCH.
func (a *app) rawTerminal() (restore func(), resize <-chan engine.WinSize) {
	fd := int(os.Stdin.Fd())
	ch := make(chan engine.WinSize, 1)
	if !term.IsTerminal(fd) {
		close(ch)
		return func() {}, ch
	}
	state, err := term.MakeRaw(fd)
	if err != nil {
		close(ch)
		return func() {}, ch
	}
	send := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			select {
			case ch <- engine.WinSize{Width: uint16(w), Height: uint16(h)}:
			default:
			}
		}
	}
	send()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, unix.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				send()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
		term.Restore(fd, state)
	}, ch
}
