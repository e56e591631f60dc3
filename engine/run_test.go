package engine_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/spec"
)

func TestRunOutputAndExitCodes(t *testing.T) {
	e := newEngine(t)
	tests := []struct {
		name     string
		opts     engine.CreateOptions
		stdout   string
		stderr   string
		exitCode int
	}{
		{"echo", opts("echo", "hello"), "hello\n", "", 0},
		{"exit code", opts("sh", "-c", "exit 3"), "", "", 3},
		{"stderr apart", opts("sh", "-c", "echo out; echo err >&2"), "out\n", "err\n", 0},
		// ash prints "Killed" or not depending on when it reaps the child, so its
		// wait's message is silenced; the exit code is what is checked.
		{"child killed by signal", opts("sh", "-c", "sleep 10 & kill -9 $!; wait $! 2>/dev/null"), "", "", 137},
		{"hostname is short id", withHost(opts("hostname"), "box1"), "box1\n", "", 0},
		{"env and workdir", func() engine.CreateOptions {
			o := opts("sh", "-c", "echo $FOO $(pwd)")
			o.Config.Env, o.Config.WorkingDir = []string{"FOO=bar"}, "/tmp/work"
			return o
		}(), "bar /tmp/work\n", "", 0},
		{"user by name", func() engine.CreateOptions {
			o := opts("sh", "-c", "id -u; id -g")
			o.Config.User = "nobody"
			return o
		}(), "65534\n65534\n", "", 0},
		{"entrypoint", func() engine.CreateOptions {
			o := opts("a", "b")
			o.Config.Entrypoint, o.EntrypointSet = []string{"echo"}, true
			return o
		}(), "a b\n", "", 0},
		{"only own pids", opts("sh", "-c", "echo /proc/[0-9]*"), "/proc/1\n", "", 0},
		{"seccomp filter, no_new_privs off as Docker", opts("sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | tr -s '\\t' ' '"), "NoNewPrivs: 0\nSeccomp: 2\n", "", 0},
		{"default caps", opts("sh", "-c", "grep CapEff /proc/self/status | cut -f2"), "00000000a80425fb\n", "", 0},
		{"cap drop all", func() engine.CreateOptions {
			o := opts("sh", "-c", "grep CapEff /proc/self/status | cut -f2")
			o.HostConfig.CapDrop = []string{"ALL"}
			return o
		}(), "0000000000000000\n", "", 0},
		{"privileged has the engine's bounding set", func() engine.CreateOptions {
			o := opts("sh", "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status | cut -f2")
			o.HostConfig.Privileged = true
			return o
		}(), hostCapBnd() + "\n0\n", "", 0},
		{"read-only rootfs", func() engine.CreateOptions {
			o := opts("sh", "-c", "touch /x 2>/dev/null || echo refused")
			o.HostConfig.ReadonlyRootfs = true
			return o
		}(), "refused\n", "", 0},
		{"masked /proc/keys", opts("sh", "-c", "wc -c < /proc/keys"), "0\n", "", 0},
		{"ulimit", func() engine.CreateOptions {
			o := opts("sh", "-c", "ulimit -n")
			o.HostConfig.Ulimits = []spec.Ulimit{{Name: "nofile", Soft: 256, Hard: 512}}
			return o
		}(), "256\n", "", 0},
		{"init is pid 1", func() engine.CreateOptions {
			o := opts("sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '")
			t := true
			o.HostConfig.Init = &t
			return o
		}(), "/sbin/docker-init -- sh -c cat /proc/1/cmdline | tr '\\0' ' ' ", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runAttached(t, e, tt.opts)
			if out != tt.stdout || errOut != tt.stderr || code != tt.exitCode {
				t.Errorf("got stdout %q stderr %q exit %d, want %q %q %d", out, errOut, code, tt.stdout, tt.stderr, tt.exitCode)
			}
		})
	}
}

// hostCapBnd is this process's bounding set as /proc prints it.
func hostCapBnd() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func withHost(o engine.CreateOptions, h string) engine.CreateOptions {
	o.Config.Hostname = h
	return o
}

func TestCommandNotFoundLeavesNothing(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	for _, tc := range []struct {
		cmd  string
		want error
	}{{"nosuchcmd", engine.ErrCommandNotFound}, {"/etc/passwd", engine.ErrCommandNotExecutable}} {
		c, err := e.Create(ctx, opts(tc.cmd))
		if err != nil {
			t.Fatal(err)
		}
		err = e.Start(ctx, c.ID, engine.StartOptions{})
		if !errors.Is(err, tc.want) {
			t.Fatalf("start %s: got %v, want %v", tc.cmd, err, tc.want)
		}
		got, err := e.Inspect(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State.Running {
			t.Errorf("%s: container runs after a failed start", tc.cmd)
		}
	}
}

func TestBadInputIsRefused(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	if _, err := e.Create(ctx, engine.CreateOptions{Name: "taken", Config: engine.Config{Image: "busybox", Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	neg := int64(-1)
	tests := []struct {
		name string
		mod  func(*engine.CreateOptions)
		want func(error) bool
	}{
		{"unknown image", func(o *engine.CreateOptions) { o.Config.Image = "nosuchimage:1" }, errdefs.IsNotFound},
		{"name taken", func(o *engine.CreateOptions) { o.Name = "taken" }, errdefs.IsAlreadyExists},
		{"bad name", func(o *engine.CreateOptions) { o.Name = "a/b" }, errdefs.IsInvalidArgument},
		{"negative memory", func(o *engine.CreateOptions) { o.HostConfig.Memory = neg }, errdefs.IsInvalidArgument},
		{"too many cpus", func(o *engine.CreateOptions) { o.HostConfig.NanoCPUs = 512e9 }, errdefs.IsInvalidArgument},
		{"bad cpuset", func(o *engine.CreateOptions) { o.HostConfig.CpusetCpus = "0-999" }, errdefs.IsInvalidArgument},
		{"bad stop signal", func(o *engine.CreateOptions) { o.Config.StopSignal = "SIGNOPE" }, errdefs.IsInvalidArgument},
		{"bad restart", func(o *engine.CreateOptions) { o.HostConfig.RestartPolicy.Name = "sometimes" }, errdefs.IsInvalidArgument},
		{"bad cap", func(o *engine.CreateOptions) { o.HostConfig.CapAdd = []string{"CAP_FLY"} }, errdefs.IsInvalidArgument},
		{"bad log opt", func(o *engine.CreateOptions) {
			o.HostConfig.LogConfig.Config = map[string]string{"max-size": "huge"}
		}, errdefs.IsInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts("true")
			tt.mod(&o)
			_, err := e.Create(ctx, o)
			if err == nil || !tt.want(err) {
				t.Fatalf("got %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	cs, err := e.List(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Errorf("bad input left containers: %d, want 1", len(cs))
	}
	assertContainerDirs(t, e, 1)
}

// TestInitForwardsASignalSentAtOnce: a stop signal sent as soon as Start
// returns reaches the command under --init (exit 143), never lost nor taken
// by the init's runtime before it forwards signals (it exited 2, or the
// container ran on).
func TestInitForwardsASignalSentAtOnce(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := 0; i < 5; i++ {
		o := opts("sleep", "60")
		init := true
		o.HostConfig.Init = &init
		c, err := e.Create(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := e.Kill(ctx, c.ID, "TERM"); err != nil {
			t.Fatal(err)
		}
		if code, err := e.Wait(ctx, c.ID); err != nil || code != 143 {
			t.Fatalf("try %d: exit %d, %v; want 143", i, code, err)
		}
		if err := e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
}
