package logfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"berth/testdata/smallfs"
)

// TestWriterFullDisk: on a full filesystem the writer drops entries whole,
// never leaving half an entry that would spoil the next one, and writes
// again once there is room.
func TestWriterFullDisk(t *testing.T) {
	dir, filler := smallfs.Mount(t, "256k", 64<<10)
	path := filepath.Join(dir, "c-json.log")
	w := mustWriter(t, path, WriterOptions{})
	out := w.Stream("stdout")
	line := strings.Repeat("x", 99) + "\n"
	var err error
	n := 0
	for ; err == nil && n < 100000; n++ {
		_, err = out.Write([]byte(line))
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("after %d lines: %v, want ENOSPC", n, err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	write(t, out, "after the disk had room again\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	es, errs := collect(t, path, ReadOptions{Tail: -1})
	if len(errs) > 0 {
		t.Fatalf("reading the log after a full disk: %v", errs)
	}
	if len(es) < 2 || string(es[len(es)-1].Line) != "after the disk had room again\n" {
		t.Fatalf("%d entries, last %q", len(es), es[len(es)-1].Line)
	}
	for _, e := range es[:len(es)-1] {
		if string(e.Line) != line {
			t.Fatalf("entry %q is not a whole line written", e.Line)
		}
	}
}
