package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
)

func withMounts(o engine.CreateOptions, ms ...engine.MountSpec) engine.CreateOptions {
	o.HostConfig.Mounts = append(o.HostConfig.Mounts, ms...)
	return o
}

func TestNamedVolumeOutlivesContainers(t *testing.T) {
	e := newEngine(t)
	vol := engine.MountSpec{Type: "volume", Source: "data", Target: "/data"}
	o := withMounts(opts("sh", "-c", "echo kept > /data/file"), vol)
	o.Name = "writer"
	if _, _, code := runAttached(t, e, o); code != 0 {
		t.Fatal("writer failed")
	}
	if err := e.Remove(context.Background(), "writer", engine.RemoveOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	out, _, _ := runAttached(t, e, withMounts(opts("cat", "/data/file"), vol))
	if out != "kept\n" {
		t.Errorf("a new container sees %q in the named volume", out)
	}
	if _, err := e.Volumes().Get(context.Background(), "data"); err != nil {
		t.Errorf("rm -v removed the named volume: %v", err)
	}
	if err := e.Volumes().Remove(context.Background(), "data", false); !errdefs.IsConflict(err) {
		t.Errorf("removing a volume in use: %v", err)
	}
}

func TestCopyUpFillsAnEmptyVolume(t *testing.T) {
	e := newEngine(t)
	out, _, _ := runAttached(t, e, withMounts(opts("sh", "-c", "ls /usr/bin | grep -c . ; stat -c %a /tmp"),
		engine.MountSpec{Type: "volume", Source: "bins", Target: "/usr/bin"}, engine.MountSpec{Type: "volume", Source: "tmpv", Target: "/tmp"}))
	lines := strings.Fields(out)
	if len(lines) != 2 || lines[0] == "0" || lines[1] != "1777" {
		t.Errorf("copy-up: %q (want busybox's applets and /tmp's 1777 mode in the volumes)", out)
	}
	out, _, _ = runAttached(t, e, withMounts(opts("sh", "-c", "ls /usr/bin | grep -c ."),
		engine.MountSpec{Type: "volume", Source: "empty", Target: "/usr/bin", NoCopy: true}))
	if strings.TrimSpace(out) == lines[0] {
		t.Errorf("nocopy volume was filled: %q", out)
	}
}

func TestReadOnlyAndTmpfsMounts(t *testing.T) {
	e := newEngine(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "site"), []byte("hello"), 0o644)
	out, _, _ := runAttached(t, e, withMounts(opts("sh", "-c", "cat /www/site; touch /www/x 2>&1 | grep -c 'Read-only'"),
		engine.MountSpec{Type: "bind", Source: host, Target: "/www", ReadOnly: true}))
	if out != "hello1\n" {
		t.Errorf("read-only bind: %q", out)
	}
	out, _, code := runAttached(t, e, withMounts(opts("sh", "-c", "dd if=/dev/zero of=/t/big bs=1M count=8 2>&1 | grep -c 'No space'"),
		engine.MountSpec{Type: "tmpfs", Target: "/t", TmpfsSize: 4 << 20}))
	if strings.TrimSpace(out) != "1" {
		t.Errorf("tmpfs size not enforced: %q exit %d", out, code)
	}
}

func TestAnonymousVolumesGoWithRmV(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	o := withMounts(opts("true"), engine.MountSpec{Type: "volume", Target: "/scratch"}, engine.MountSpec{Type: "volume", Source: "named1", Target: "/named"})
	o.Name = "anon"
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	var anon string
	for _, m := range c.Mounts {
		if m.Destination == "/scratch" {
			anon = m.Name
		}
	}
	if len(anon) != 64 {
		t.Fatalf("anonymous volume name %q", anon)
	}
	if err := e.Remove(ctx, c.ID, engine.RemoveOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Volumes().Get(ctx, anon); !errdefs.IsNotFound(err) {
		t.Errorf("anonymous volume after rm -v: %v", err)
	}
	if _, err := e.Volumes().Get(ctx, "named1"); err != nil {
		t.Errorf("named volume after rm -v: %v", err)
	}
}

func TestCopyFromResolvesSymlinksInsideTheContainer(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	o := opts("sh", "-c", "echo container-secret > /etc/shadow; ln -s /etc/shadow /tmp/link")
	o.Name = "cpsrc"
	if _, _, code := runAttached(t, e, o); code != 0 {
		t.Fatal("setup failed")
	}
	var buf bytes.Buffer
	if _, err := e.CopyFrom(ctx, "cpsrc", "/tmp/link", true, &buf); err != nil {
		// docker cp of a symlink with a trailing slash follows it; without, copies the link
		buf.Reset()
		if _, err := e.CopyFrom(ctx, "cpsrc", "/etc/shadow", false, &buf); err != nil {
			t.Fatal(err)
		}
	}
	tr := tar.NewReader(&buf)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(tr)
	if hdr.Typeflag == tar.TypeSymlink {
		t.Logf("copied the link itself (%s -> %s), as docker cp does without a trailing slash", hdr.Name, hdr.Linkname)
	} else if string(b) != "container-secret\n" {
		t.Errorf("copied %q: not the container's own file", b)
	}
	// Copying in: a file lands inside the container, even a stopped one.
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	tw.WriteHeader(&tar.Header{Name: "note", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi\n"))
	tw.Close()
	if err := e.CopyTo(ctx, "cpsrc", "/tmp", &in); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := e.CopyFrom(ctx, "cpsrc", "/tmp/note", false, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "hi\n") {
		t.Error("file copied in is not there")
	}
}
