package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	moby "github.com/moby/moby/client"

	"berth/engine"
	"berth/engine/attach"
	"berth/engine/logfile"
)

// Start with WaitAttach holds the container until a client attaches: over
// the API that is an attach made before the start, so the client keeps the
// start for its next Attach of that container.

// startOnAttach records that the next Attach of id starts it.
func (c *Client) startOnAttach(ctx context.Context, ref string) error {
	ctr, err := c.Inspect(ctx, ref)
	if err != nil {
		return err
	}
	if ctr.State.Running {
		return nil
	}
	c.pending.Store(ctr.ID, true)
	return nil
}

// Attach pumps streams to and from a running container until it exits (its
// exit code) or the client types its detach keys (engine.ErrDetached).
func (c *Client) Attach(ctx context.Context, ref string, o engine.AttachOptions, s engine.IO) (int, error) {
	ctr, err := c.Inspect(ctx, ref)
	if err != nil {
		return -1, err
	}
	res, err := c.api.ContainerAttach(ctx, ctr.ID, moby.ContainerAttachOptions{Stream: true,
		Stdin: s.Stdin != nil, Stdout: true, Stderr: true})
	if err != nil {
		return -1, wire(err, "attach to the container")
	}
	defer res.Close()
	if _, ok := c.pending.LoadAndDelete(ctr.ID); ok {
		if _, err := c.api.ContainerStart(ctx, ctr.ID, moby.ContainerStartOptions{}); err != nil {
			return -1, wire(err, "start the container")
		}
	}
	resize := func(w engine.WinSize) {
		_, _ = c.api.ContainerResize(ctx, ctr.ID, moby.ContainerResizeOptions{Width: uint(w.Width), Height: uint(w.Height)})
	}
	if err := pump(ctx, res.HijackedResponse, ctr.Config.Tty, s, o.DetachKeys, resize); err != nil {
		return -1, err
	}
	return c.Wait(ctx, ctr.ID)
}

// Exec runs a process in a running container and returns its exit code:
// an exec instance created and started.
func (c *Client) Exec(ctx context.Context, ref string, o engine.ExecOptions, s engine.IO) (int, error) {
	if o.Detach && o.Tty {
		return -1, invalidArgument("exec -d cannot keep a terminal: the process would lose it when berth exits, drop -t")
	}
	o.Interactive = o.Interactive && s.Stdin != nil && !o.Detach
	id, err := c.ExecCreate(ctx, ref, engine.ExecConfig{ExecOptions: o, AttachStdout: !o.Detach, AttachStderr: !o.Detach})
	if err != nil {
		return -1, err
	}
	return c.execStart(ctx, id, engine.ExecStartOptions{Detach: o.Detach}, s, o.DetachKeys)
}

// execExit reads an ended exec's exit code; the server may take a moment to
// record it after the output stream closed.
func (c *Client) execExit(ctx context.Context, id string) (int, error) {
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 250*time.Millisecond) {
		in, err := c.api.ExecInspect(ctx, id, moby.ExecInspectOptions{})
		if err != nil {
			return -1, wire(err, "read the exec's exit code")
		}
		if !in.Running {
			return in.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// pump copies s.Stdin to a hijacked connection (watching for the detach
// keys) and its output to s.Stdout and s.Stderr (demultiplexed unless tty)
// until the output ends, and sends terminal sizes from s.Resize. It returns
// engine.ErrDetached when the keys were typed.
func pump(ctx context.Context, h moby.HijackedResponse, tty bool, s engine.IO, keys []byte, resize func(engine.WinSize)) error {
	detached := make(chan struct{})
	if s.Stdin != nil { // stopped when the output ends: no read of s.Stdin outlives pump
		in := attach.NewInput(s.Stdin)
		send := func(b []byte) error { _, err := h.Conn.Write(b); return err }
		in.Start(attach.NewDetector(keys), send, func() { _ = h.CloseWrite() }, detached)
		defer in.Stop()
	}
	stop := make(chan struct{})
	defer close(stop)
	if s.Resize != nil {
		go func() {
			for {
				select {
				case w, ok := <-s.Resize:
					if !ok {
						return
					}
					resize(w)
				case <-stop:
					return
				}
			}
		}()
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-detached:
		case <-stop:
			return
		}
		h.Close() // ends the output copy below
	}()
	stdout, stderr := orDiscard(s.Stdout), orDiscard(s.Stderr)
	var err error
	if tty {
		_, err = io.Copy(stdout, h.Reader)
	} else {
		_, err = stdcopy.StdCopy(stdout, stderr, h.Reader)
	}
	select {
	case <-detached:
		return engine.ErrDetached
	default:
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return wire(err, "read the output")
	}
	return nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// Logs streams the container's log entries from GET /containers/{id}/logs
// (with timestamps, which give each entry its time).
func (c *Client) Logs(ctx context.Context, ref string, o logfile.ReadOptions) (<-chan logfile.Entry, <-chan error, error) {
	ctr, err := c.Inspect(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	tail := "all"
	if o.Tail >= 0 {
		tail = strconv.Itoa(o.Tail)
	}
	rc, err := c.api.ContainerLogs(ctx, ctr.ID, moby.ContainerLogsOptions{ShowStdout: true, ShowStderr: true,
		Timestamps: true, Follow: o.Follow, Tail: tail, Since: apiTime(o.Since), Until: apiTime(o.Until)})
	if err != nil {
		return nil, nil, wire(err, "read the container's logs")
	}
	entries, errs := make(chan logfile.Entry), make(chan error, 1)
	go func() {
		defer close(errs)
		defer close(entries)
		defer rc.Close()
		framed := !ctr.Config.Tty
		out := &lineWriter{ctx: ctx, stream: "stdout", to: entries, framed: framed}
		errw := &lineWriter{ctx: ctx, stream: "stderr", to: entries, framed: framed}
		var err error
		if ctr.Config.Tty {
			_, err = io.Copy(out, rc)
		} else {
			_, err = stdcopy.StdCopy(out, errw, rc)
		}
		out.flush()
		errw.flush()
		if err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
			errs <- wire(err, "read the container's logs")
		}
	}()
	return entries, errs, nil
}

// apiTime is a time as the API's since/until take it ("" for the zero time).
func apiTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10) + "." + strconv.FormatInt(int64(t.Nanosecond())+1e9, 10)[1:]
}

// lineWriter cuts one stream of timestamped log lines into entries. When
// framed, each write is one frame of the multiplexed stream, which the server
// sends per log entry: a frame without a newline is a partial entry.
type lineWriter struct {
	ctx    context.Context
	stream string
	to     chan<- logfile.Entry
	framed bool
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	if w.framed {
		if err := w.send(p, !bytes.HasSuffix(p, []byte("\n"))); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if err := w.send(w.buf[:i+1], false); err != nil {
			return 0, err
		}
		w.buf = w.buf[i+1:]
	}
}

// flush sends an unterminated last line as a partial entry.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		_ = w.send(w.buf, true)
		w.buf = nil
	}
}

func (w *lineWriter) send(line []byte, partial bool) error {
	e := logfile.Entry{Stream: w.stream, Partial: partial}
	if ts, rest, ok := bytes.Cut(line, []byte(" ")); ok {
		if t, err := time.Parse(time.RFC3339Nano, string(ts)); err == nil {
			e.Time, line = t, rest
		}
	}
	e.Line = append([]byte(nil), line...)
	select {
	case w.to <- e:
		return nil
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
}
