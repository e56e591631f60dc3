package events

import (
	"os"
	"path/filepath"
	"testing"

	"berth/testdata/smallfs"
)

// TestAppendFullDisk: an event that does not fit on a full filesystem is
// not written at all, so the events written once there is room are intact.
func TestAppendFullDisk(t *testing.T) {
	dir, filler := smallfs.Mount(t, "128k", 64<<10)
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
