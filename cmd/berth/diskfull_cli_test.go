package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"berth/engine"
)

// The disk-full tests put the data root on a tmpfs with a size limit (a real
// filesystem that runs out of space, overlay upper dirs included) and fill it
// with a file outside the root.

// newSmallCLI is newCLI with the data root on a tmpfs of size bytes.
func newSmallCLI(t *testing.T, size int64) *cli {
	t.Helper()
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Fatalf("mount a small tmpfs: %v", err)
	}
	t.Cleanup(func() { // after the teardown below (cleanups run last first)
		if err := unix.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	c := &cli{t: t, root: filepath.Join(mnt, "root")}
	c.ok("image", "bootstrap", "busybox")
	t.Cleanup(func() {
		os.Remove(c.fillPath()) // a failed test may leave the filesystem full
		c.teardown()
	})
	return c
}

func (c *cli) fillPath() string { return filepath.Join(filepath.Dir(c.root), "fill") }

// free is what the data root's filesystem has free.
func (c *cli) free() int64 {
	c.t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(c.root, &st); err != nil {
		c.t.Fatal(err)
	}
	return int64(st.Bfree) * st.Bsize
}

// fill takes all but leave bytes of the data root's filesystem with a file
// beside the root; the returned func removes it.
func (c *cli) fill(leave int64) func() {
	c.t.Helper()
	f, err := os.OpenFile(c.fillPath(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	if n := c.free() - leave; n > 0 {
		if err := unix.Fallocate(int(f.Fd()), 0, 0, n); err != nil {
			c.t.Fatalf("fill the data root's filesystem: %v", err)
		}
	}
	if leave == 0 { // to the last byte
		zero := make([]byte, 4096)
		for _, err = f.Write(zero); err == nil; _, err = f.Write(zero) {
		}
		if !errors.Is(err, unix.ENOSPC) {
			c.t.Fatal(err)
		}
	}
	return func() {
		if err := os.Remove(c.fillPath()); err != nil {
			c.t.Error(err)
		}
	}
}

// rootState is what the data root holds: its files with their sizes (but
// the database's own files and runtime state) and its records as the verbs
// list them.
func (c *cli) rootState() string {
	c.t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, c.root)
		if rel == "/run" {
			return filepath.SkipDir
		}
		if strings.HasPrefix(d.Name(), "berth.db") {
			return nil
		}
		size := int64(0)
		if fi, err := d.Info(); err == nil && d.Type().IsRegular() {
			size = fi.Size()
		}
		fmt.Fprintf(&b, "%s %d\n", rel, size)
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
	for _, args := range [][]string{
		{"ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.State}}"},
		{"images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"},
		{"volume", "ls", "-q"}, {"network", "ls", "--format", "{{.ID}} {{.Name}}"},
	} {
		b.WriteString(c.ok(args...))
	}
	return b.String()
}

// noSpace runs berth expecting exactly "no space left on device", exit 125.
func (c *cli) noSpace(args ...string) {
	c.t.Helper()
	_, errOut, code := c.run("", args...)
	if code != 125 || errOut != "berth: no space left on device\n" {
		c.t.Errorf("berth %s on a full disk: exit %d, stderr %q; want 125 and \"berth: no space left on device\"",
			strings.Join(args, " "), code, errOut)
	}
}

// randomTar is a tarball of one file of n random bytes (which no
// compression shrinks).
func randomTar(t *testing.T, n int) string {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	p := filepath.Join(t.TempDir(), "random.tar")
	if err := os.WriteFile(p, tarOf(t, map[string]string{"data/blob": string(data)}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFullDiskReadAndRemove(t *testing.T) {
	c := newSmallCLI(t, 64<<20)
	c.ok("run", "-d", "--name", "web", "busybox", "sleep", "1000")
	c.ok("run", "--name", "chatty", "busybox", "seq", "1", "300")
	c.ok("volume", "create", "v1")
	c.ok("import", randomTar(t, 1<<20), "extra:1")
	defer c.fill(0)()

	if ps := c.ok("ps", "-a", "--format", "{{.Names}} {{.State}}"); ps != "chatty exited\nweb running\n" {
		t.Errorf("ps -a on a full disk: %q", ps)
	}
	if got := c.ok("images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(got, "extra:1\n") || !strings.Contains(got, "busybox:latest\n") {
		t.Errorf("images on a full disk: %q", got)
	}
	if got := c.ok("inspect", "--format", "{{.State.Status}} {{.Name}}", "web"); got != "running /web\n" {
		t.Errorf("inspect on a full disk: %q", got)
	}
	if got := c.ok("logs", "--tail", "2", "chatty"); got != "299\n300\n" {
		t.Errorf("logs on a full disk: %q", got)
	}
	if got := c.ok("volume", "ls", "-q"); got != "v1\n" {
		t.Errorf("volume ls on a full disk: %q", got)
	}
	before := c.free()
	c.ok("rm", "-f", "web")
	c.ok("rm", "chatty")
	c.ok("volume", "rm", "v1")
	c.ok("rmi", "extra:1")
	if got := c.ok("ps", "-aq"); got != "" {
		t.Errorf("containers left after rm: %q", got)
	}
	if got := c.ok("images", "--format", "{{.Repository}}"); got != "busybox\n" {
		t.Errorf("images after rmi: %q", got)
	}
	if got := c.ok("volume", "ls", "-q"); got != "" {
		t.Errorf("volumes after volume rm: %q", got)
	}
	if freed := c.free() - before; freed < 1<<20 {
		t.Errorf("removing freed %d bytes, want the image's 1 MiB at least", freed)
	}
}

func TestFullDiskAddingFailsWhole(t *testing.T) {
	c := newSmallCLI(t, 64<<20)
	host := startRegistry(t, "", "")
	ref := host + "/small:v1"
	c.ok("tag", "busybox", ref)
	c.ok("push", ref)
	c.ok("rmi", ref)
	small := randomTar(t, 64<<10)
	c.ok("import", small, "saved:1")
	saved := filepath.Join(t.TempDir(), "saved.tar")
	c.ok("save", "-o", saved, "saved:1")
	c.ok("rmi", "saved:1")

	unfill := c.fill(0)
	state := c.rootState()
	adds := [][]string{
		{"run", "--rm", "busybox", "true"}, {"create", "--name", "new", "busybox"}, {"pull", ref},
		{"load", "-i", saved}, {"import", small, "imported:1"}, {"tag", "busybox", "other:1"},
		{"volume", "create", "v2"}, {"network", "create", "n2"},
	}
	for _, args := range adds {
		c.noSpace(args...)
	}
	if got := c.rootState(); got != state {
		t.Errorf("failed operations changed the data root:\nbefore:\n%s\nafter:\n%s", state, got)
	}
	unfill()
	for _, args := range adds {
		c.ok(args...)
	}
	if got := c.ok("images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(got, "saved:1") ||
		!strings.Contains(got, "imported:1") || !strings.Contains(got, ref) || !strings.Contains(got, "other:1") {
		t.Errorf("images once space is freed: %q", got)
	}
	c.ok("network", "rm", "n2")
}

// TestNoSpaceHalfWay: an image larger than the space left fails with the
// plain error part-way through, and leaves nothing of itself.
func TestNoSpaceHalfWay(t *testing.T) {
	c := newSmallCLI(t, 96<<20)
	host := startRegistry(t, "", "")
	ref := host + "/big:v1"
	big := randomTar(t, 12<<20)
	c.ok("import", big, ref)
	c.ok("push", ref)
	saved := filepath.Join(t.TempDir(), "big.tar")
	c.ok("save", "-o", saved, ref)
	c.ok("rmi", ref)

	unfill := c.fill(8 << 20) // less than the image
	state := c.rootState()
	for _, args := range [][]string{{"import", big, "big:2"}, {"load", "-i", saved}, {"pull", ref}} {
		c.noSpace(args...)
		if got := c.rootState(); got != state {
			t.Errorf("berth %s left files or records:\nbefore:\n%s\nafter:\n%s", strings.Join(args, " "), state, got)
		}
	}
	unfill()
	c.ok("pull", ref)
	c.ok("rmi", ref)
	c.ok("load", "-i", saved)
}

// TestFullDiskRemoveWhileOpen: with the database held open by a process
// that opened it before the disk filled (the TUI), removing still works,
// from another berth and from that process; adding does not.
func TestFullDiskRemoveWhileOpen(t *testing.T) {
	ctx := context.Background()
	c := newSmallCLI(t, 64<<20)
	c.ok("run", "-d", "--name", "web", "busybox", "sleep", "1000")
	c.ok("create", "--name", "idle", "busybox")
	c.ok("volume", "create", "v1")
	c.ok("volume", "create", "v2")
	e, err := engine.New(engine.Options{Root: c.root, MonitorPath: filepath.Join(binDir, "berth-monitor"),
		InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.List(ctx, true); err != nil {
		t.Fatal(err)
	}
	defer c.fill(0)()
	c.ok("volume", "rm", "v1")
	c.ok("rm", "-f", "web")
	if err := e.RemoveVolume(ctx, "v2", false); err != nil {
		t.Errorf("remove a volume in a process that opened the engine before the disk filled: %v", err)
	}
	if err := e.Remove(ctx, "idle", engine.RemoveOptions{}); err != nil {
		t.Errorf("remove a container in that process: %v", err)
	}
	if got := c.ok("ps", "-aq"); got != "" {
		t.Errorf("containers left: %q", got)
	}
	if got := c.ok("volume", "ls", "-q"); got != "" {
		t.Errorf("volumes left: %q", got)
	}
	if _, err := e.CreateVolume(ctx, engine.VolumeCreateOptions{Name: "v3"}); !engine.IsNoSpace(err) || err.Error() != "no space left on device" {
		t.Errorf("volume create on a full disk = %v, want the plain no-space error", err)
	}
	c.noSpace("volume", "create", "v4")
}
