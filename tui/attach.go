package tui

import (
	"context"
	"errors"
	"fmt"
	"io"

	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/engine/attach"
	"berth/engine/attach/session"
	"berth/views/containers"
)

// sessionCmd is a tea.ExecCommand that runs an attach or exec session in
// this process, through the engine, on the terminal Bubble Tea lends it
// (package session sets the terminal's mode and restores it). No berth
// subprocess is started, so nothing is left behind when the UI ends, and the
// UI is back whenever the session ends: the detach keys, the container or
// process exiting, or ctrl+c (sent to the container as a byte with a TTY).
type sessionCmd struct {
	ctx    context.Context
	banner string
	opts   session.Options
	fn     session.Func
	in     io.Reader
	out    io.Writer
	errOut io.Writer
}

// SetStdin sets the terminal's input.
func (c *sessionCmd) SetStdin(r io.Reader) { c.in = r }

// SetStdout sets the terminal's output.
func (c *sessionCmd) SetStdout(w io.Writer) { c.out = w }

// SetStderr sets where errors go.
func (c *sessionCmd) SetStderr(w io.Writer) { c.errOut = w }

// Run runs the session; a detach (keys or ctrl+c) is not an error.
func (c *sessionCmd) Run() error {
	fmt.Fprintln(c.out, c.banner)
	_, err := session.Run(c.ctx, session.Terminal{In: c.in, Out: c.out, Err: c.errOut}, c.opts, c.fn)
	var intr *session.Interrupted
	if errors.Is(err, engine.ErrDetached) || errors.As(err, &intr) {
		return nil
	}
	return err
}

// defaultDetachKeys are docker's ctrl+p ctrl+q.
func defaultDetachKeys() []byte {
	keys, _ := attach.ParseDetachKeys(attach.DefaultDetachKeys)
	return keys
}

// attach leaves the UI for the container's streams and comes back when the
// user detaches (ctrl+p ctrl+q, or ctrl+c without a TTY: signals are never
// proxied from the UI, so closing the terminal does not signal the
// container) or the container ends.
func (m *Model) attach(r containers.Row) tea.Cmd {
	m.logCommand("berth attach --sig-proxy=false " + r.Name)
	tty, stdin := false, false
	if r.C != nil {
		tty, stdin = r.C.Config.Tty, r.C.Config.OpenStdin
	}
	how := "ctrl+c" // input is not read: the keys cannot come through
	switch {
	case stdin && tty:
		how = "ctrl+p ctrl+q"
	case stdin:
		how = "ctrl+p ctrl+q or ctrl+c"
	}
	eng, id := m.eng, r.ID
	c := &sessionCmd{
		ctx:    m.ctx,
		banner: fmt.Sprintf("berth: attached to %s; %s returns to berth", r.Name, how),
		opts:   session.Options{TTY: tty, Stdin: stdin, DetachKeys: defaultDetachKeys(), Redraw: true},
		fn: func(ctx context.Context, keys []byte, s engine.IO) (int, error) {
			return eng.Attach(ctx, id, engine.AttachOptions{DetachKeys: keys}, s)
		},
	}
	name := r.Name
	return tea.Exec(c, func(err error) tea.Msg { return execDoneMsg{name: name, verb: "attach to", err: err} })
}

// execShell leaves the UI for a shell in the container (`berth exec -it ID
// sh`) and comes back when it exits or the user detaches.
func (m *Model) execShell(r containers.Row) tea.Cmd {
	m.logCommand("berth exec -it " + r.Name + " sh")
	eng, id := m.eng, r.ID
	c := &sessionCmd{
		ctx:    m.ctx,
		banner: fmt.Sprintf("berth: shell in %s; exit or ctrl+p ctrl+q returns to berth", r.Name),
		opts:   session.Options{TTY: true, Stdin: true, DetachKeys: defaultDetachKeys()},
		fn: func(ctx context.Context, keys []byte, s engine.IO) (int, error) {
			o := engine.ExecOptions{Cmd: []string{"sh"}, Tty: true, Interactive: true, DetachKeys: keys}
			return eng.Exec(ctx, id, o, s)
		},
	}
	name := r.Name
	return tea.Exec(c, func(err error) tea.Msg { return execDoneMsg{name: name, err: err} })
}
