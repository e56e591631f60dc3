// Package session connects this process's terminal to an attached container
// or an exec'd process, for every front end (the CLI's attach, run, start and
// exec, and the TUI's attach and exec): it sets the terminal's mode, reports
// its size, proxies or handles signals, and restores everything when the
// session ends, so that a long-lived caller gets its terminal back intact.
//
// With a TTY the terminal is raw (ctrl+c is a byte for the container). Without
// one it stays cooked, so that typed lines can be edited and read back, but
// XON/XOFF flow control is off and the last detach key ends a line, so that
// the detach keys arrive as they are typed. Signals are forwarded to the
// container when SigProxy is set and there is no TTY; otherwise SIGINT,
// SIGQUIT and SIGTERM end the session (returning *Interrupted) and leave the
// container running.
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"berth/engine"
)

// Terminal is the caller's end: usually os.Stdin, os.Stdout and os.Stderr.
type Terminal struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Options say what the other end is and how to treat input and signals.
type Options struct {
	// TTY is set when the container or process has a pseudo-terminal.
	TTY bool
	// Stdin forwards input (docker attaches it when the container keeps
	// stdin open and --no-stdin is not given; exec with -i).
	Stdin bool
	// DetachKeys are the keys that detach (see attach.ParseDetachKeys); they
	// are watched for with a TTY, or when the input is a terminal, so that
	// piped data is never taken for them.
	DetachKeys []byte
	// SigProxy forwards the signals this process receives to Signal (only
	// without a TTY, as docker's --sig-proxy).
	SigProxy bool
	// Signal delivers a proxied signal.
	Signal func(unix.Signal)
	// Redraw nudges a TTY's size so that a program already running redraws
	// (as docker attach does).
	Redraw bool
}

// Interrupted ends a session that a signal stopped (without proxying it).
type Interrupted struct{ Signal unix.Signal }

func (i *Interrupted) Error() string { return fmt.Sprintf("detached on %v", unix.SignalName(i.Signal)) }

// Func runs the engine side: engine.Engine's Attach or Exec with the keys
// and streams given.
type Func func(ctx context.Context, keys []byte, s engine.IO) (int, error)

// Run prepares the terminal, runs fn and restores the terminal. It returns
// fn's results, or *Interrupted when a signal ended the session.
func Run(ctx context.Context, t Terminal, o Options, fn Func) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inFd, inTerm := termFd(t.In)
	outFd, outTerm := termFd(t.Out)
	s := engine.IO{Stdout: t.Out, Stderr: t.Err}
	if o.TTY {
		s.Stderr = t.Out
	}
	var keys []byte
	if o.Stdin {
		s.Stdin = t.In
		if o.TTY || inTerm {
			keys = o.DetachKeys
		}
	}
	restore := func() {}
	switch {
	case o.TTY && o.Stdin && inTerm:
		if st, err := term.MakeRaw(inFd); err == nil {
			restore = func() { _ = term.Restore(inFd, st) }
		}
	case !o.TTY && o.Stdin && inTerm:
		restore = detachFriendly(inFd, keys)
	}
	defer restore()
	if o.TTY && outTerm {
		resize, stop := watchSize(outFd, o.Redraw)
		defer stop()
		s.Resize = resize
	}
	sigs := newSignals(o, cancel)
	defer sigs.stop()
	code, err := fn(ctx, keys, s)
	if got := sigs.caught(); got != 0 && (err == nil || errors.Is(err, context.Canceled)) {
		return -1, &Interrupted{Signal: got}
	}
	return code, err
}

// termFd returns r's descriptor and whether it is a terminal.
func termFd(v any) (int, bool) {
	f, ok := v.(*os.File)
	if !ok {
		return -1, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// detachFriendly keeps a terminal cooked but lets the detach keys through as
// they are typed: no XON/XOFF (ctrl+q would be eaten), the last key ends a
// line (so the sequence is read at once), and a key that is also a special
// character (ctrl+c, ctrl+u …) loses that meaning. It returns the undo.
func detachFriendly(fd int, keys []byte) func() {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return func() {}
	}
	t := *old
	t.Iflag &^= unix.IXON
	t.Lflag &^= unix.ECHOCTL
	if len(keys) > 0 {
		for _, i := range []int{unix.VINTR, unix.VQUIT, unix.VERASE, unix.VKILL, unix.VEOF, unix.VEOL2,
			unix.VSUSP, unix.VREPRINT, unix.VWERASE, unix.VLNEXT, unix.VDISCARD} {
			if slices.Contains(keys, t.Cc[i]) {
				t.Cc[i] = 0 // _POSIX_VDISABLE
			}
		}
		t.Cc[unix.VEOL] = keys[len(keys)-1]
	}
	if unix.IoctlSetTermios(fd, unix.TCSETS, &t) != nil {
		return func() {}
	}
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }
}

// watchSize reports the terminal's size now (after a nudge when redraw is
// set) and on every SIGWINCH, until stop.
func watchSize(fd int, redraw bool) (<-chan engine.WinSize, func()) {
	ch := make(chan engine.WinSize, 2)
	size := func() (engine.WinSize, bool) {
		w, h, err := term.GetSize(fd)
		return engine.WinSize{Width: uint16(w), Height: uint16(h)}, err == nil
	}
	if ws, ok := size(); ok {
		if redraw {
			ch <- engine.WinSize{Width: ws.Width + 1, Height: ws.Height + 1}
		}
		ch <- ws
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, unix.SIGWINCH)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-sig:
				if ws, ok := size(); ok {
					select {
					case ch <- ws:
					case <-done:
						return
					}
				}
			case <-done:
				return
			}
		}
	}()
	return ch, func() {
		signal.Stop(sig)
		close(done)
		wg.Wait()
	}
}
