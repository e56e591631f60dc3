package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"berth/engine"
	"berth/engine/events"
	"berth/engine/logfile"
	"berth/engine/spec"
	"berth/engine/xray"
	"berth/images"
	"berth/images/build"
)

// testNow is the fixed clock of the golden frames.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// fakeEngine is a hand-made Engine with fixed containers and logs, for
// golden frames and benchmarks. Actions change its state as the real engine
// would, in memory.
type fakeEngine struct {
	mu   sync.Mutex
	cs   []*engine.Container
	logs map[string][]logfile.Entry
	ev   *events.Log
	root string
	acts []string
	imgs *fakeImages // where Build stores its image (nil: nowhere)
}

func ts(d time.Duration) string { return testNow.Add(-d).Format(time.RFC3339Nano) }

func fakeContainer(i int, name, image, status string, exit int, up time.Duration) *engine.Container {
	c := &engine.Container{
		ID: fmt.Sprintf("%02x%062x", i, i*7919), Name: "/" + name, Created: testNow.Add(-up - time.Hour),
		ImageRef: image, Path: "sh", Args: []string{"-c", "run"},
		Config: engine.Config{Image: image, Cmd: []string{"sh", "-c", "run"},
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "MODE=demo"}},
		State: engine.State{Status: status, ExitCode: exit, StartedAt: ts(up), FinishedAt: "0001-01-01T00:00:00Z"},
	}
	switch status {
	case "running":
		c.State.Running, c.State.Pid = true, 4000+i
	case "paused":
		c.State.Running, c.State.Paused, c.State.Pid = true, true, 4000+i
	case "exited":
		c.State.FinishedAt = ts(up / 2)
	case "created":
		c.State.StartedAt = "0001-01-01T00:00:00Z"
	}
	return c
}

func newFakeEngine(t testing.TB) *fakeEngine {
	cpus := fakeContainer(2, "demo-cpu", "busybox", "running", 0, 3*time.Minute)
	cpus.HostConfig.Resources = spec.Resources{NanoCPUs: 5e8, Memory: 64 << 20}
	f := &fakeEngine{
		cs: []*engine.Container{
			fakeContainer(1, "demo-logger", "busybox", "running", 0, 3*time.Minute),
			cpus,
			fakeContainer(3, "demo-failed", "busybox:latest", "exited", 3, 4*time.Minute),
			fakeContainer(4, "web", "nginx:1.27", "paused", 0, 2*time.Hour),
			fakeContainer(5, "batch-job", "busybox", "exited", 137, 26*time.Hour),
			fakeContainer(6, "fresh", "alpine", "created", 0, 0),
		},
		logs: map[string][]logfile.Entry{},
		ev:   events.Open(filepath.Join(t.TempDir(), "events.log")),
		root: "/var/lib/berth-test",
	}
	var ents []logfile.Entry
	for i := 1; i <= 40; i++ {
		ents = append(ents, logfile.Entry{Stream: "stdout", Time: testNow.Add(time.Duration(i-40) * 500 * time.Millisecond),
			Line: []byte(fmt.Sprintf("line %d hello from the logger\n", i))})
		if i%7 == 0 {
			ents = append(ents, logfile.Entry{Stream: "stderr", Time: testNow.Add(time.Duration(i-40) * 500 * time.Millisecond),
				Line: []byte(fmt.Sprintf("warning %d: disk is slow\n", i))})
		}
	}
	f.logs[f.cs[0].ID] = ents
	return f
}

func (f *fakeEngine) find(ref string) (*engine.Container, error) {
	for _, c := range f.cs {
		if c.ID == ref || c.Name == "/"+ref {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no such container %s", ref)
}

func (f *fakeEngine) ListContainers(ctx context.Context, o engine.ContainerListOptions) ([]*engine.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*engine.Container, 0, len(f.cs))
	for _, c := range f.cs {
		cc := *c
		out = append(out, &cc)
	}
	return out, nil
}

func (f *fakeEngine) set(ref, act string, fn func(c *engine.Container)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.find(ref)
	if err != nil {
		return err
	}
	f.acts = append(f.acts, act+" "+c.Name[1:])
	fn(c)
	return nil
}

func (f *fakeEngine) Start(ctx context.Context, ref string, o engine.StartOptions) error {
	return f.set(ref, "start", func(c *engine.Container) { c.State.Status, c.State.Running = "running", true })
}

func (f *fakeEngine) Stop(ctx context.Context, ref string, o engine.StopOptions) error {
	return f.set(ref, "stop", func(c *engine.Container) {
		c.State.Status, c.State.Running, c.State.ExitCode, c.State.FinishedAt = "exited", false, 143, ts(time.Second)
	})
}

func (f *fakeEngine) Restart(ctx context.Context, ref string, o engine.StopOptions) error {
	return f.set(ref, "restart", func(c *engine.Container) { c.State.Status, c.State.Running = "running", true })
}

func (f *fakeEngine) Kill(ctx context.Context, ref, signal string) error {
	return f.set(ref, "kill "+signal, func(c *engine.Container) {
		c.State.Status, c.State.Running, c.State.ExitCode = "exited", false, 137
	})
}

func (f *fakeEngine) Pause(ctx context.Context, ref string) error {
	return f.set(ref, "pause", func(c *engine.Container) { c.State.Status, c.State.Paused = "paused", true })
}

func (f *fakeEngine) Unpause(ctx context.Context, ref string) error {
	return f.set(ref, "unpause", func(c *engine.Container) { c.State.Status, c.State.Paused = "running", false })
}

func (f *fakeEngine) Remove(ctx context.Context, ref string, o engine.RemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.cs {
		if c.ID == ref {
			f.acts = append(f.acts, "rm "+c.Name[1:])
			f.cs = append(f.cs[:i], f.cs[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("no such container %s", ref)
}

func (f *fakeEngine) PruneContainers(ctx context.Context, _ engine.PruneFilters) (engine.PruneReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rep engine.PruneReport
	kept := f.cs[:0]
	for _, c := range f.cs {
		if c.State.Running {
			kept = append(kept, c)
		} else {
			rep.ContainersDeleted = append(rep.ContainersDeleted, c.ID)
		}
	}
	f.cs = kept
	return rep, nil
}

func (f *fakeEngine) Rename(ctx context.Context, ref, name string) error {
	return f.set(ref, "rename", func(c *engine.Container) { c.Name = "/" + name })
}

func (f *fakeEngine) Logs(ctx context.Context, ref string, o logfile.ReadOptions) (<-chan logfile.Entry, <-chan error, error) {
	f.mu.Lock()
	ents := f.logs[ref]
	f.mu.Unlock()
	ch := make(chan logfile.Entry, len(ents))
	for _, e := range ents {
		ch <- e
	}
	close(ch)
	errc := make(chan error)
	close(errc)
	return ch, errc, nil
}

func (f *fakeEngine) ImageUsers(ctx context.Context, imageID string) ([]string, error) {
	return nil, nil
}
func (f *fakeEngine) Subscribe(ctx context.Context, fl events.Filter) (<-chan events.Event, <-chan error) {
	return f.ev.Subscribe(ctx, fl)
}
func (f *fakeEngine) Root() string { return f.root }

// fakeImages is a fixed image store that records removals.
type fakeImages struct {
	mu        sync.Mutex
	imgs      []engine.Image
	removed   []string
	cancelled []string
}

func newFakeImages() *fakeImages {
	return &fakeImages{imgs: []engine.Image{
		{ID: "sha256:f1f4b3e78916db6ea0fd0b01442e0e1a30ef0df431d6927381a53eb839339ac8", RepoTags: []string{"busybox:latest"},
			Created: testNow.Add(-800 * 24 * time.Hour), Size: 2 << 20, Layers: []images.Layer{{DiffID: "sha256:aa", Size: 2 << 20}}},
		{ID: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", RepoTags: []string{"nginx:1.27"},
			Created: testNow.Add(-30 * 24 * time.Hour), Size: 68 << 20, Layers: make([]images.Layer, 7)},
	}}
}

func (f *fakeImages) List(ctx context.Context, o engine.ImageListOptions) ([]engine.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]engine.Image(nil), f.imgs...), nil
}

func (f *fakeImages) History(ctx context.Context, ref string) ([]engine.HistoryEntry, error) {
	return []engine.HistoryEntry{
		{ID: ref, Created: testNow.Add(-800 * 24 * time.Hour), CreatedBy: `CMD ["sh"]`, EmptyLayer: true},
		{ID: "<missing>", Created: testNow.Add(-800 * 24 * time.Hour), CreatedBy: "ADD busybox-static /bin/", Size: 2 << 20},
	}, nil
}

func (f *fakeImages) Remove(ctx context.Context, ref string, force bool) ([]engine.ImageDeleteResponse, error) {
	f.mu.Lock()
	f.removed = append(f.removed, ref)
	f.mu.Unlock()
	return []engine.ImageDeleteResponse{{Untagged: ref}}, nil
}

// fakeStats is a fixed history of samples for demo-cpu and demo-logger.
func fakeStats(f *fakeEngine) [][]engine.StatsSample {
	var out [][]engine.StatsSample
	for i := 0; i < 60; i++ {
		t := testNow.Add(time.Duration(i-60) * time.Second)
		cpu := 40 + float64(i%10)
		out = append(out, []engine.StatsSample{
			{ID: f.cs[0].ID, Time: t, CPUPercent: float64(i%5) / 2, MemUsage: 700 << 10, MemLimit: 8 << 30,
				NetRxBytes: uint64(i) * 1000, PIDs: 2},
			{ID: f.cs[1].ID, Time: t, CPUPercent: cpu, MemUsage: uint64(300+i) << 10, MemLimit: 64 << 20,
				MemPercent: float64(300+i) / 65536 * 100, NrThrottled: uint64(i * 10), ThrottledNS: uint64(i) * 5e8,
				BlkWrite: uint64(i) * 4096, PIDs: 1},
		})
	}
	return out
}

func (f *fakeEngine) XRay(ctx context.Context, ref string) (xray.Report, error) {
	c, err := f.find(ref)
	if err != nil {
		return xray.Report{}, err
	}
	return fakeXRay(ctx, c)
}

// Stats streams nothing: the tests send the UI fixed batches themselves.
func (f *fakeEngine) Stats(ctx context.Context, refs []string, o engine.StatsOptions) (<-chan []engine.StatsEntry, <-chan error, error) {
	ch, errc := make(chan []engine.StatsEntry), make(chan error)
	go func() {
		<-ctx.Done()
		close(ch)
		close(errc)
	}()
	return ch, errc, nil
}

// Top is a fixed list of one busy shell.
func (f *fakeEngine) Top(ctx context.Context, ref string) ([]engine.Process, error) {
	return []engine.Process{{PID: 4002, NSPID: 1, User: "root", CPUPercent: 49.5, CPUTime: 89 * time.Second,
		RSS: 1 << 20, Command: "sh -c while :; do :; done"}}, nil
}

// HostUsage is a fixed host: 25% busy, 2 of 8 GiB in use.
func (f *fakeEngine) HostUsage(ctx context.Context) (engine.HostSample, error) {
	return engine.HostSample{Busy: 100, Total: 400, MemTotal: 8 << 30, MemAvailable: 6 << 30}, nil
}

// fakeXRay is a fixed X-ray of a container limited to 0.5 CPUs and 64 MiB.
func fakeXRay(ctx context.Context, c *engine.Container) (xray.Report, error) {
	ns := func(t string, own bool) xray.Namespace {
		n := xray.Namespace{Type: t, Inode: 4026531835, HostInode: 4026531835}
		if own {
			n.Inode = 4026532200 + uint64(len(t))
		}
		return n
	}
	ns2 := []xray.Namespace{ns("cgroup", true), ns("ipc", true), ns("mnt", true), ns("net", true), ns("pid", true), ns("user", false), ns("uts", true)}
	for i := range ns2 {
		ns2[i].Own = ns2[i].Inode != ns2[i].HostInode
	}
	dir := "/var/lib/berth-test/containers/" + c.ID[:12]
	return xray.Report{ID: c.ID, Name: c.Name[1:], Pid: c.State.Pid, Namespaces: ns2, CgroupPath: engine.CgroupPath(c.ID),
		Cgroup: []xray.CgroupFile{{Name: "memory/memory.limit_in_bytes", Value: "67108864"}, {Name: "memory/memory.usage_in_bytes", Value: "344064"},
			{Name: "cpu/cpu.cfs_quota_us", Value: "50000"}, {Name: "cpu/cpu.cfs_period_us", Value: "100000"},
			{Name: "pids/pids.max", Value: "max"}, {Name: "pids/pids.current", Value: "1"}, {Name: "cpuset/cpuset.cpus", Value: "0-1"}},
		Lower:    []xray.Layer{{Dir: "/var/lib/berth-test/images/l/ABCDEF", Step: "ADD busybox-static /bin/", Size: 2 << 20}},
		UpperDir: dir + "/fs/upper", WorkDir: dir + "/fs/work", MergedDir: dir + "/rootfs", Writes: 12 << 10, WriteFiles: 3,
		CapEff: spec.CapsFromMask(0xa80425fb), CapBnd: spec.CapsFromMask(0xa80425fb), Seccomp: 2, NoNewPrivs: false,
		Network: fakeNetwork(c), Mounts: c.Mounts}, nil
}

// Create adds a created container, as the engine would.
func (f *fakeEngine) Create(ctx context.Context, o engine.CreateOptions) (*engine.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := o.Name
	if name == "" {
		name = fmt.Sprintf("auto_%d", len(f.cs))
	}
	c := fakeContainer(len(f.cs)+10, name, o.Config.Image, "created", 0, 0)
	c.Config, c.HostConfig = o.Config, o.HostConfig
	f.cs = append([]*engine.Container{c}, f.cs...)
	f.acts = append(f.acts, "create "+name)
	return c, nil
}

// Pull sends progress for three layers; a reference ending in ":slow" then
// waits until it is cancelled, others are stored.
func (f *fakeImages) Pull(ctx context.Context, ref string, o engine.PullOptions) (*engine.Image, error) {
	send := func(p engine.PullProgress) {
		select {
		case o.Progress <- p:
		case <-ctx.Done():
		}
	}
	send(engine.PullProgress{ID: "a3ed95caeb02", Status: "Already exists", Total: 32})
	send(engine.PullProgress{ID: "9ad63333ebc9", Status: "Downloading", Current: 3 << 20, Total: 4 << 20})
	send(engine.PullProgress{ID: "4f4fb700ef54", Status: "Pulling fs layer"})
	if strings.HasSuffix(ref, ":slow") {
		<-ctx.Done()
		f.mu.Lock()
		f.cancelled = append(f.cancelled, ref)
		f.mu.Unlock()
		return nil, fmt.Errorf("pull %s: %w", ref, ctx.Err())
	}
	send(engine.PullProgress{ID: "9ad63333ebc9", Status: "Download complete", Current: 4 << 20, Total: 4 << 20})
	send(engine.PullProgress{ID: "4f4fb700ef54", Status: "Download complete", Current: 100, Total: 100})
	img := engine.Image{ID: "sha256:" + strings.Repeat("ab", 32), RepoTags: []string{ref}, Created: testNow}
	f.mu.Lock()
	f.imgs = append([]engine.Image{img}, f.imgs...)
	f.mu.Unlock()
	send(engine.PullProgress{ID: "abababababab", Status: "Pull complete"})
	return &img, nil
}

// Attach records the attach and writes one line, as a container would.
func (f *fakeEngine) Attach(ctx context.Context, ref string, o engine.AttachOptions, s engine.IO) (int, error) {
	f.mu.Lock()
	f.acts = append(f.acts, "attach "+ref)
	f.mu.Unlock()
	if s.Stdout != nil {
		fmt.Fprintln(s.Stdout, "attached")
	}
	return 0, nil
}

// Exec records the exec.
func (f *fakeEngine) Exec(ctx context.Context, ref string, o engine.ExecOptions, s engine.IO) (int, error) {
	f.mu.Lock()
	f.acts = append(f.acts, "exec "+ref+" "+strings.Join(o.Cmd, " "))
	f.mu.Unlock()
	return 0, nil
}

// Build plays a script chosen by the tag: FROM from the cache, a COPY, then
// a RUN with output. A tag ending in ":slow" then waits until the build is
// cancelled, one ending in ":fail" fails the RUN; others finish and store
// the image.
func (f *fakeEngine) Build(ctx context.Context, o engine.BuildOptions, progress func(build.Event)) (*engine.Image, error) {
	tag := strings.Join(o.Tags, ",")
	f.mu.Lock()
	f.acts = append(f.acts, fmt.Sprintf("build %s %s %q", o.ContextDir, tag, o.Dockerfile))
	f.mu.Unlock()
	steps := []build.Event{
		{ID: 1, Instruction: "FROM busybox", Line: 1},
		{ID: 2, Instruction: "COPY . /app", Line: 2},
		{ID: 3, Instruction: "RUN cd /app && \\\n    make all", Line: 3},
		{ID: 4, Instruction: `CMD ["/app/server"]`, Line: 5},
	}
	for i := range steps {
		steps[i].Stage, steps[i].Step, steps[i].Total = "stage-0", i+1, len(steps)
	}
	emit := func(ev build.Event, kind build.EventKind, set func(*build.Event)) {
		ev.Kind = kind
		if set != nil {
			set(&ev)
		}
		progress(ev)
	}
	emit(steps[0], build.StepStarted, nil)
	emit(steps[0], build.StepCached, nil)
	emit(steps[1], build.StepStarted, nil)
	emit(steps[1], build.StepDone, func(ev *build.Event) { ev.Duration = 120 * time.Millisecond })
	emit(steps[2], build.StepStarted, nil)
	for i := 1; i <= 14; i++ {
		emit(steps[2], build.StepOutput, func(ev *build.Event) { ev.Output = fmt.Sprintf("compiling module %d of 14", i) })
	}
	switch {
	case strings.HasSuffix(tag, ":slow"):
		<-ctx.Done()
		f.mu.Lock()
		f.acts = append(f.acts, "build cancelled")
		f.mu.Unlock()
		return nil, ctx.Err()
	case strings.HasSuffix(tag, ":fail"):
		emit(steps[2], build.StepOutput, func(ev *build.Event) { ev.Output = "make: *** [Makefile:4: all] Error 2" })
		err := fmt.Errorf("Dockerfile:3: RUN cd /app && make all: the command did not complete successfully: %w", &build.ExitError{Code: 2})
		emit(steps[2], build.StepError, func(ev *build.Event) { ev.Err = err })
		return nil, err
	}
	emit(steps[2], build.StepDone, func(ev *build.Event) { ev.Duration = 2340 * time.Millisecond })
	emit(steps[3], build.StepStarted, nil)
	emit(steps[3], build.StepDone, func(ev *build.Event) { ev.Duration = 10 * time.Millisecond })
	img := engine.Image{ID: "sha256:" + strings.Repeat("cd", 32), RepoTags: o.Tags, Created: testNow}
	if f.imgs != nil {
		f.imgs.mu.Lock()
		f.imgs.imgs = append([]engine.Image{img}, f.imgs.imgs...)
		f.imgs.mu.Unlock()
	}
	return &img, nil
}
