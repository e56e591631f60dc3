package engine_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"berth/engine"
	"berth/engine/events"
)

// privateRunRoot returns a run root on a tmpfs of its own with private
// propagation, as /run is on hosts without systemd, so that a namespace mount
// made beneath the netns directory's bind mount stays there (on a shared
// parent its removal would propagate). Cleanup unmounts the tmpfs, after
// checking that nothing is mounted below it any more.
func privateRunRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mi, _ := os.ReadFile("/proc/self/mountinfo")
		for _, l := range strings.Split(string(mi), "\n") {
			if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
				t.Errorf("mount left under the run root: %s", l)
			}
		}
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Error(err)
		}
	})
	if err := unix.Mount("", dir, "", unix.MS_PRIVATE, ""); err != nil {
		t.Fatal(err)
	}
	return dir
}

// mountNewNetns bind-mounts a new network namespace on the file p (made here).
func mountNewNetns(p string) error {
	if err := os.WriteFile(p, nil, 0o444); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), p, "", unix.MS_BIND, "")
	}()
	return <-errc
}

// wedgeNetnsDir builds the state issue 11 found on a host: a namespace
// mounted on dir/<id> while dir was no mount point, then dir bind-mounted on
// itself (recursively, with shared propagation, as berth does) and the copy
// of the namespace in that bind mount unmounted again. The file dir/<id> is
// then a plain file that cannot be removed (EBUSY): the namespace mount
// beneath the bind mount still holds it. It returns <id>.
func wedgeNetnsDir(t *testing.T, dir string) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	p := filepath.Join(dir, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mountNewNetns(p); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(dir, dir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("", dir, "", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		t.Fatal(err)
	}
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("remove %s in the wedged state: %v, want EBUSY", p, err)
	}
	return id
}

// TestOpenClearsNamespaceBeneathNetnsMount: a root wedged as in issue 11 (a
// namespace mount lying beneath the netns directory's own bind mount) still
// opens, the recovery clears the namespace, and containers run again.
func TestOpenClearsNamespaceBeneathNetnsMount(t *testing.T) {
	root, runRoot := t.TempDir(), privateRunRoot(t)
	netns := filepath.Join(runRoot, "net", "netns")
	id := wedgeNetnsDir(t, netns)
	e, err := engine.New(engine.Options{Root: root, RunRoot: runRoot,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		// Undo the wedge by hand so that the test leaves nothing behind.
		_ = unix.Unmount(netns, unix.MNT_DETACH)
		_ = unix.Unmount(filepath.Join(netns, id), unix.MNT_DETACH)
		_ = unix.Unmount(netns, unix.MNT_DETACH)
		t.Fatalf("open a wedged root: %v", err)
	}
	usedNames.Store(e.Networks().TableName(), true)
	t.Cleanup(func() { teardown(t, e) })
	if _, err := os.Lstat(filepath.Join(netns, id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("namespace file %s after open: %v, want it removed", id, err)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), id) {
		t.Errorf("namespace %s still mounted after open", id[:12])
	}
	if _, err := e.Images().Bootstrap(context.Background(), "busybox", func(string) {}); err != nil {
		t.Fatal(err)
	}
	out, _, code := runAttached(t, e, opts("sh", "-c", "ip -o -4 addr show eth0 | wc -l"))
	if code != 0 || strings.TrimSpace(out) != "1" {
		t.Errorf("container after recovery: exit %d, eth0 addresses %q", code, out)
	}
}

// TestOpenReportsRecoveryFailure: what the network recovery cannot remove (a
// non-empty directory where a namespace file belongs) does not stop the
// engine from opening; it is a warning, and a daemon warning event.
func TestOpenReportsRecoveryFailure(t *testing.T) {
	root := t.TempDir()
	junk := filepath.Join(root, "run", "net", "netns", "junk")
	if err := os.MkdirAll(junk, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(junk, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(junk) })
	e, err := engine.New(engine.Options{Root: root,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatalf("open with a recovery that fails: %v", err)
	}
	usedNames.Store(e.Networks().TableName(), true)
	t.Cleanup(func() { teardown(t, e) })
	w := e.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "junk") {
		t.Errorf("warnings %q, want one naming the namespace file junk", w)
	}
	evs, err := e.ReadEvents(context.Background(), events.Filter{Types: []string{"daemon"}})
	if err != nil || len(evs) != 1 || evs[0].Action != "warning" || !strings.Contains(evs[0].Attributes["message"], "junk") {
		t.Errorf("daemon events %+v (%v), want one warning naming junk", evs, err)
	}
	if _, err := e.List(context.Background(), true); err != nil {
		t.Errorf("list after a failed recovery: %v", err)
	}
}
