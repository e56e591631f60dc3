package engine_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
)

// TestSharedNamespaces: --pid/--ipc/--uts host put a container in the
// host's namespaces; --pid and --ipc container:NAME in a running
// container's, with the /dev/shm of a shareable one; --ipc none has no
// /dev/shm; bad modes and containers that cannot give theirs are refused.
func TestSharedNamespaces(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	hostPID, _ := os.Readlink("/proc/self/ns/pid")
	hostIPC, _ := os.Readlink("/proc/self/ns/ipc")
	hostname, _ := os.Hostname()
	o := opts("sh", "-c", "readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; hostname; ls -d /dev/shm")
	o.HostConfig.PidMode, o.HostConfig.IpcMode, o.HostConfig.UTSMode = "host", "host", "host"
	out, _, code := runAttached(t, e, o)
	if want := hostPID + "\n" + hostIPC + "\n" + hostname + "\n/dev/shm\n"; code != 0 || out != want {
		t.Errorf("host namespaces: exit %d %q, want %q", code, out, want)
	}

	donor := opts("sh", "-c", "echo shared > /dev/shm/f; sleep 60")
	donor.Name, donor.HostConfig.IpcMode = "donor", "shareable"
	c, err := e.Create(ctx, donor)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	j := opts("sh", "-c", "for i in 1 2 3 4 5; do [ -e /dev/shm/f ] && break; sleep 0.2; done; cat /dev/shm/f; ps -o comm | grep -c sleep")
	j.HostConfig.PidMode, j.HostConfig.IpcMode = "container:donor", "container:donor"
	if out, _, code := runAttached(t, e, j); code != 0 || out != "shared\n1\n" {
		t.Errorf("joined donor's PID and IPC: exit %d %q", code, out)
	}
	if out, _, _ := runAttached(t, e, withIPC(opts("sh", "-c", "ls /dev/shm 2>&1 | grep -c 'No such'"), "none")); out != "1\n" {
		t.Errorf("--ipc none: %q", out)
	}

	plain := opts("sleep", "60")
	plain.Name = "plain"
	p, err := e.Create(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o       engine.CreateOptions
		atStart bool
		want    string
		is      func(error) bool
	}{
		{withPID(opts("true"), "bogus"), false, `invalid PID mode "bogus": want host or container:NAME`, errdefs.IsInvalidArgument},
		{withIPC(opts("true"), "sideways"), false, `invalid IPC mode "sideways": want private, shareable, none, host or container:NAME`, errdefs.IsInvalidArgument},
		{withPID(opts("true"), "container:nosuch"), false, "pid mode container:nosuch: no such container: nosuch", errdefs.IsInvalidArgument},
		{withPID(opts("true"), "container:plain"), true, "cannot join PID of a non running container: plain", errdefs.IsConflict},
		{withIPC(opts("true"), "container:donor"), false, "", nil},
	} {
		c, err := e.Create(ctx, tc.o)
		if !tc.atStart && tc.want != "" {
			if err == nil || err.Error() != tc.want || !tc.is(err) {
				t.Errorf("create %+v: %v, want %q", tc.o.HostConfig, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("create %+v: %v", tc.o.HostConfig, err)
		}
		err = e.Start(ctx, c.ID, engine.StartOptions{})
		if tc.want == "" {
			if err != nil {
				t.Errorf("start %+v: %v", tc.o.HostConfig, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.want) || !tc.is(err) {
			t.Errorf("start %+v: %v, want %q", tc.o.HostConfig, err, tc.want)
		}
	}
	if err := e.Start(ctx, p.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	c2, err := e.Create(ctx, withIPC(opts("true"), "container:plain"))
	if err != nil {
		t.Fatal(err)
	}
	want := "cannot join IPC of container plain: it is not shareable (create it with --ipc shareable)"
	if err := e.Start(ctx, c2.ID, engine.StartOptions{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("joining a private IPC namespace: %v", err)
	}
}

func withPID(o engine.CreateOptions, mode string) engine.CreateOptions {
	o.HostConfig.PidMode = mode
	return o
}

func withIPC(o engine.CreateOptions, mode string) engine.CreateOptions {
	o.HostConfig.IpcMode = mode
	return o
}
