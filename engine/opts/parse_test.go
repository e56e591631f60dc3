package opts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/monitor"
)

func TestParseRestart(t *testing.T) {
	good := map[string]monitor.RestartPolicy{
		"": {Name: "no"}, "no": {Name: "no"}, "always": {Name: "always"}, "unless-stopped": {Name: "unless-stopped"},
		"on-failure": {Name: "on-failure"}, "on-failure:3": {Name: "on-failure", MaximumRetryCount: 3}, "on-failure:0": {Name: "on-failure"},
	}
	for in, want := range good {
		if p, err := ParseRestart(in); err != nil || p != want {
			t.Errorf("ParseRestart(%q) = %+v, %v", in, p, err)
		}
	}
	for in, msg := range map[string]string{"sometimes": "want no, always", "always:3": "want no, always", "on-failure:x": "want no, always",
		"on-failure:-1": "must not be negative"} {
		if _, err := ParseRestart(in); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseRestart(%q) = %v, want %q", in, err, msg)
		}
	}
}

func TestParseSizesAndCPUs(t *testing.T) {
	for _, tt := range []struct {
		in        string
		mem, swap int64
		cpus      int64
		memErr    bool
		swapErr   bool
		cpuErr    string
	}{
		{in: "", mem: 0, swap: 0, cpus: 0},
		{in: "0", mem: 0, swap: 0, cpus: 0},
		{in: "-1", memErr: true, swap: -1, cpuErr: "must not be negative"},
		{in: "1g", mem: 1 << 30, swap: 1 << 30, cpuErr: "not a number"},
		{in: "1.5", mem: 1, swap: 1, cpus: 1.5e9},
		{in: "0.000000001", cpus: 1},
		{in: "1e-10", cpuErr: "nine decimal places"},
		{in: "1e30", memErr: true, swapErr: true, cpuErr: "too many CPUs"},
		{in: "lots", memErr: true, swapErr: true, cpuErr: "not a number"},
	} {
		m, err := ParseMemory(tt.in)
		if (err != nil) != tt.memErr || (err == nil && m != tt.mem) {
			t.Errorf("ParseMemory(%q) = %d, %v", tt.in, m, err)
		}
		s, err := ParseMemorySwap(tt.in)
		if (err != nil) != tt.swapErr || (err == nil && s != tt.swap) {
			t.Errorf("ParseMemorySwap(%q) = %d, %v", tt.in, s, err)
		}
		n, err := ParseCPUs(tt.in)
		if tt.cpuErr == "" && (err != nil || n != tt.cpus) || tt.cpuErr != "" && (err == nil || !strings.Contains(err.Error(), tt.cpuErr)) {
			t.Errorf("ParseCPUs(%q) = %d, %v", tt.in, n, err)
		}
	}
}

func TestParseLabelsAndEnv(t *testing.T) {
	ls, err := ParseLabels([]string{"a=b", "c", "a=d", "e=f=g"})
	if err != nil || !reflect.DeepEqual(ls, map[string]string{"a": "d", "c": "", "e": "f=g"}) {
		t.Errorf("ParseLabels = %v, %v", ls, err)
	}
	if _, err := ParseLabels([]string{"=x"}); err == nil || err.Error() != `invalid label "=x": empty key` {
		t.Errorf("ParseLabels(=x) = %v", err)
	}
	file := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(file, []byte("# c\nF=1\nHOME_ONLY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) { v, ok := map[string]string{"HOME_ONLY": "h", "X": "x"}[k]; return v, ok }
	env, err := ParseEnv([]string{file}, []string{"A=1", "X", "UNSET", "B="}, lookup)
	if err != nil || !reflect.DeepEqual(env, []string{"F=1", "HOME_ONLY=h", "A=1", "X=x", "B="}) {
		t.Errorf("ParseEnv = %q, %v", env, err)
	}
	for _, bad := range []string{"=1", "A B=1", "\t"} {
		if _, err := ParseEnv(nil, []string{bad}, lookup); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ParseEnv(-e %q) = %v", bad, err)
		}
	}
	if _, err := ParseEnv([]string{filepath.Join(t.TempDir(), "none")}, nil, lookup); !errdefs.IsInvalidArgument(err) {
		t.Errorf("a missing env file: %v", err)
	}
}

func TestPortsAndMounts(t *testing.T) {
	pm, err := ParsePorts([]string{"8080:80", "127.0.0.1:5353:53/udp"})
	if err != nil || len(pm["80/tcp"]) != 1 || pm["80/tcp"][0].HostPort != "8080" || pm["53/udp"][0].HostIP != "127.0.0.1" {
		t.Errorf("ports: %+v %v", pm, err)
	}
	if _, err := ParsePorts([]string{"70000:80"}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("port 70000: %v", err)
	}
	var h engine.HostConfig
	err = Mounts(&h, []string{"data:/d", "/srv:/www:ro", "/scratch"}, []string{"type=bind,src=/tmp,dst=/x"}, []string{"/t:size=64m,mode=1777"})
	if err != nil || len(h.Mounts) != 5 || !reflect.DeepEqual(h.Binds, []string{"data:/d", "/srv:/www:ro"}) {
		t.Fatalf("mounts: %+v %q %v", h.Mounts, h.Binds, err)
	}
	want := []engine.MountSpec{{Type: "volume", Source: "data", Target: "/d", FromShort: true},
		{Type: "bind", Source: "/srv", Target: "/www", ReadOnly: true, FromShort: true, Mode: "ro"}, {Type: "volume", Target: "/scratch", FromShort: true},
		{Type: "bind", Source: "/tmp", Target: "/x"}, {Type: "tmpfs", Target: "/t", TmpfsSize: 64 << 20, TmpfsMode: 0o1777}}
	for i, m := range h.Mounts {
		m.Propagation = ""
		if !reflect.DeepEqual(m, want[i]) {
			t.Errorf("mount %d = %+v, want %+v", i, m, want[i])
		}
	}
	if err := Mounts(&engine.HostConfig{}, []string{"data:relative"}, nil, nil); !errdefs.IsInvalidArgument(err) {
		t.Errorf("a relative target: %v", err)
	}
}

// fakeEngine records Run's calls; startErr fails Start.
type fakeEngine struct {
	calls    []string
	startErr error
}

func (f *fakeEngine) Create(_ context.Context, o engine.CreateOptions) (*engine.Container, error) {
	f.calls = append(f.calls, "create")
	return &engine.Container{ID: "c1", Name: "/" + o.Name}, nil
}

func (f *fakeEngine) Start(_ context.Context, ref string, o engine.StartOptions) error {
	f.calls = append(f.calls, "start "+ref+map[bool]string{true: " attach", false: ""}[o.WaitAttach])
	return f.startErr
}

func (f *fakeEngine) Remove(ctx context.Context, ref string, o engine.RemoveOptions) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	f.calls = append(f.calls, "remove "+ref+map[bool]string{true: " volumes", false: ""}[o.Volumes])
	return nil
}

func TestRun(t *testing.T) {
	attach := func(context.Context, *engine.Container) (int, error) { return 3, nil }
	wait := func(context.Context, string) (int, error) { return 3, nil }
	rm := engine.CreateOptions{HostConfig: engine.HostConfig{AutoRemove: true}}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name      string
		ctx       context.Context
		o         engine.CreateOptions
		ro        RunOptions
		startErr  error
		wantCalls string
		wantCode  int
	}{
		{"detached", context.Background(), engine.CreateOptions{}, RunOptions{}, nil, "create,start c1", 0},
		{"detached --rm is the engine's to remove", context.Background(), rm, RunOptions{}, nil, "create,start c1", 0},
		{"start fails", context.Background(), engine.CreateOptions{}, RunOptions{}, errors.New("boom"), "create,start c1,remove c1", 0},
		{"start fails on a cancelled context", canceled, engine.CreateOptions{}, RunOptions{}, context.Canceled, "create,start c1,remove c1", 0},
		{"attached", context.Background(), engine.CreateOptions{}, RunOptions{Attach: attach, Wait: wait}, nil, "create,start c1 attach", 3},
		{"attached --rm", context.Background(), rm, RunOptions{Attach: attach, Wait: wait}, nil, "create,start c1 attach,remove c1 volumes", 3},
	} {
		f := &fakeEngine{startErr: tt.startErr}
		c, code, err := Run(tt.ctx, f, tt.o, tt.ro)
		if got := strings.Join(f.calls, ","); got != tt.wantCalls || code != tt.wantCode || !errors.Is(err, tt.startErr) {
			t.Errorf("%s: calls %s, code %d, err %v", tt.name, got, code, err)
		}
		if (c == nil) != (tt.startErr != nil) {
			t.Errorf("%s: container %v", tt.name, c)
		}
	}
}
