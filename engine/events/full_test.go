package events

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestAppendFullDisk: an event that does not fit on a full filesystem is
// not written at all, so the events written once there is room are intact.
func TestAppendFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=128k"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	defer func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	}()
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	l := Open(filepath.Join(dir, "events.log"))
	n := 0
	var err error
	for ; n < 1000; n++ {
		if err = l.Append(Event{Type: "container", Action: "start", ID: "c", Attributes: bigAttrs("w", n)}); err != nil {
			break
		}
	}
	if err == nil {
		t.Fatal("1000 events of 6 KiB fit in 64 KiB")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Event{Type: "container", Action: "die", ID: "c", Attributes: bigAttrs("w", n)}); err != nil {
		t.Fatal(err)
	}
	checkIntact(t, l.Path(), n+1)
}
