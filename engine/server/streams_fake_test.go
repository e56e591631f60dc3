package server

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/api"
	"berth/engine/events"
	"berth/engine/logfile"
	"berth/stats"
)

// fakeEngine is an engine whose one container streams from memory, so that
// the server's stream handling is tested alone: how it frames, ends and
// cleans up. Calls outside the streams panic (the embedded nil interface).
type fakeEngine struct {
	api.Engine
	mu         sync.Mutex
	c          engine.Container
	log        []logfile.Entry
	attaches   int // Attach calls that have not returned yet
	execCode   int
	resized    []engine.WinSize
	waitAttach bool
	execs      map[string]*engine.ExecInstance
}

func newFakeEngine(tty bool) *fakeEngine {
	f := &fakeEngine{execCode: 3}
	f.c.ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	f.c.Name = "/c1"
	f.c.Config.Tty, f.c.Config.OpenStdin = tty, true
	f.c.State.Running = true
	t0 := time.Unix(1700000000, 5)
	f.log = []logfile.Entry{{Stream: "stdout", Line: []byte("one\n"), Time: t0},
		{Stream: "stderr", Line: []byte("two\n"), Time: t0.Add(time.Second)},
		{Stream: "stdout", Line: []byte("three\n"), Time: t0.Add(2 * time.Second)}}
	return f
}

// AwaitStart records nothing: the fake's starts all go through the server,
// whose own wake tells its attach requests.
func (f *fakeEngine) AwaitStart(ctx context.Context, ref string) (<-chan struct{}, func(), error) {
	if _, err := f.Inspect(ctx, ref); err != nil {
		return nil, nil, err
	}
	return make(chan struct{}), func() {}, nil
}

func (f *fakeEngine) Inspect(ctx context.Context, ref string) (*engine.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ref != "c1" && ref != f.c.ID {
		return nil, errdefs.ErrNotFound.WithMessage("no such container: " + ref)
	}
	c := f.c
	return &c, nil
}

func (f *fakeEngine) live() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attaches
}

// Attach echoes stdin to stdout ("said: ..." on stderr too) until stdin
// ends, then stays attached to a silent container until ctx ends.
func (f *fakeEngine) Attach(ctx context.Context, ref string, o engine.AttachOptions, s engine.IO) (int, error) {
	f.mu.Lock()
	f.attaches++
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.attaches--; f.mu.Unlock() }()
	if s.Stdout != nil {
		s.Stdout.Write([]byte("attached\n"))
	}
	if s.Stdin != nil {
		done := make(chan struct{})
		go func() {
			defer close(done)
			b := make([]byte, 512)
			for {
				n, err := s.Stdin.Read(b)
				if n > 0 && s.Stdout != nil {
					s.Stdout.Write(b[:n])
				}
				if err != nil {
					return
				}
			}
		}()
		select {
		case <-done:
			return 0, nil // stdin closed: the container (cat) exits
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}
	<-ctx.Done()
	return -1, ctx.Err()
}

// Logs sends the stored lines that pass the options; with Follow it then
// stays silent until ctx ends.
func (f *fakeEngine) Logs(ctx context.Context, ref string, o logfile.ReadOptions) (<-chan logfile.Entry, <-chan error, error) {
	ents, errs := make(chan logfile.Entry), make(chan error)
	go func() {
		defer close(errs)
		defer close(ents)
		lines := f.log
		if o.Tail >= 0 && o.Tail < len(lines) {
			lines = lines[len(lines)-o.Tail:]
		}
		for _, e := range lines {
			if (!o.Since.IsZero() && e.Time.Before(o.Since)) || (!o.Until.IsZero() && e.Time.After(o.Until)) {
				continue
			}
			select {
			case ents <- e:
			case <-ctx.Done():
				return
			}
		}
		if o.Follow {
			<-ctx.Done()
		}
	}()
	return ents, errs, nil
}

// Stats sends a batch with growing counters every few milliseconds.
func (f *fakeEngine) Stats(ctx context.Context, refs []string, o engine.StatsOptions) (<-chan []engine.StatsEntry, <-chan error, error) {
	out, errs := make(chan []engine.StatsEntry), make(chan error)
	go func() {
		defer close(errs)
		defer close(out)
		for i := uint64(1); ; i++ {
			sm := stats.Sample{Time: time.Unix(int64(i), 0), CPUUsageNS: i * 1e8, SystemUsageNS: i * 2e9, OnlineCPUs: 2,
				MemCgroupUsage: 3000, MemInactiveFile: 1000, MemUsage: 2000, MemLimit: 8000, PIDs: 2}
			select {
			case out <- []engine.StatsEntry{{ID: f.c.ID, Name: "c1", Running: true, Sample: sm}}:
			case <-ctx.Done():
				return
			}
			select {
			case <-time.After(time.Millisecond):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errs, nil
}

// Exec writes its command's first word to stdout and stdin to stderr, and
// exits with execCode.
func (f *fakeEngine) Exec(ctx context.Context, ref string, o engine.ExecOptions, s engine.IO) (int, error) {
	if s.Stdout != nil {
		s.Stdout.Write([]byte(o.Cmd[0] + "\n"))
	}
	if s.Stdin != nil && s.Stderr != nil {
		io.Copy(s.Stderr, s.Stdin)
	}
	if s.Resize != nil {
		select {
		case ws := <-s.Resize:
			f.mu.Lock()
			f.resized = append(f.resized, ws)
			f.mu.Unlock()
		default:
		}
	}
	return f.execCode, nil
}

func (f *fakeEngine) Subscribe(ctx context.Context, flt events.Filter) (<-chan events.Event, <-chan error) {
	evs, errs := make(chan events.Event), make(chan error)
	go func() { <-ctx.Done(); close(evs); close(errs) }()
	return evs, errs
}

// Start marks the container running, remembering whether it was asked to
// wait for its attaching client.
func (f *fakeEngine) Start(ctx context.Context, ref string, o engine.StartOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.c.State.Running = true
	f.waitAttach = o.WaitAttach
	return nil
}

func (f *fakeEngine) Resize(ctx context.Context, ref string, w, h uint16) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.c.State.Running {
		return errdefs.ErrConflict.WithMessage("container c1 is not running")
	}
	f.resized = append(f.resized, engine.WinSize{Width: w, Height: h})
	return nil
}

// The fake's exec instances, in memory: enough of the engine's for the
// server's exec handlers (the engine's own are tested in engine/).

func (f *fakeEngine) ExecCreate(ctx context.Context, ref string, cfg engine.ExecConfig) (string, error) {
	c, err := f.Inspect(ctx, ref)
	if err != nil {
		return "", err
	}
	if !c.State.Running {
		return "", errdefs.ErrConflict.WithMessage("container c1 is not running")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.execs == nil {
		f.execs = map[string]*engine.ExecInstance{}
	}
	id := fmt.Sprintf("%064x", len(f.execs)+1)
	f.execs[id] = &engine.ExecInstance{ID: id, ContainerID: c.ID, Config: cfg}
	return id, nil
}

func (f *fakeEngine) ExecInspect(ctx context.Context, ref string) (*engine.ExecInstance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, x := range f.execs {
		if strings.HasPrefix(id, ref) {
			c := *x
			return &c, nil
		}
	}
	return nil, errdefs.ErrNotFound.WithMessage("No such exec instance: " + ref)
}

func (f *fakeEngine) ExecStart(ctx context.Context, ref string, so engine.ExecStartOptions, s engine.IO) (int, error) {
	x, err := f.ExecInspect(ctx, ref)
	if err != nil {
		return -1, err
	}
	f.mu.Lock()
	f.execs[x.ID].Started, f.execs[x.ID].Running = true, true
	f.mu.Unlock()
	sizes := make(chan engine.WinSize, 1)
	if so.ConsoleSize != nil {
		sizes <- *so.ConsoleSize
	} else if x.Config.ConsoleSize != nil {
		sizes <- *x.Config.ConsoleSize
	}
	s.Resize = sizes
	if !x.Config.Interactive {
		s.Stdin = nil
	}
	code, err := f.Exec(ctx, x.ContainerID, x.Config.ExecOptions, s)
	f.mu.Lock()
	f.execs[x.ID].Running, f.execs[x.ID].ExitCode = false, &code
	f.mu.Unlock()
	return code, err
}

func (f *fakeEngine) ExecResize(ctx context.Context, ref string, ws engine.WinSize) error {
	x, err := f.ExecInspect(ctx, ref)
	if err != nil {
		return err
	}
	if !x.Running {
		return errdefs.ErrConflict.WithMessage("exec instance " + x.ID + " is not running")
	}
	return nil
}
