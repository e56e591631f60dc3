package engine

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// inotifyEvent is one event as the kernel writes it: the header, then the
// name padded with NULs to pad bytes.
func inotifyEvent(mask uint32, name string, pad int) []byte {
	b := make([]byte, unix.SizeofInotifyEvent+pad)
	binary.NativeEndian.PutUint32(b[0:4], 1)
	binary.NativeEndian.PutUint32(b[4:8], mask)
	binary.NativeEndian.PutUint32(b[12:16], uint32(pad))
	copy(b[unix.SizeofInotifyEvent:], name)
	return b
}

func TestConcerns(t *testing.T) {
	state := inotifyEvent(unix.IN_MOVED_TO, "state.json", 16)
	tmp := inotifyEvent(unix.IN_CREATE, "state.json.42.tmp", 32)
	log := inotifyEvent(unix.IN_CLOSE_WRITE, "monitor.log", 16)
	gone := inotifyEvent(unix.IN_DELETE_SELF, "", 0)
	names := []string{"state.json", "autoremove.ended"}
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		buf   []byte
		names []string
		want  bool
	}{
		{"a named file", state, names, true},
		{"the other named file", inotifyEvent(unix.IN_CREATE, "autoremove.ended", 32), names, true},
		{"a temporary file of a named one", tmp, names, false},
		{"another file", log, names, false},
		{"several others", cat(tmp, log, log), names, false},
		{"a named file after others", cat(tmp, log, state), names, true},
		{"the directory goes", gone, names, true},
		{"the watch is lost", inotifyEvent(unix.IN_IGNORED, "", 0), names, true},
		{"the queue overflowed", inotifyEvent(unix.IN_Q_OVERFLOW, "", 0), names, true},
		{"no names: every file", log, nil, true},
		{"a name without padding", inotifyEvent(unix.IN_CREATE, "state.json", len("state.json")), names, true},
		{"a prefix of a name", inotifyEvent(unix.IN_CREATE, "state", 16), names, false},
		{"empty", nil, names, false},
		{"a cut header", state[:8], names, true},
		{"a name past the end", state[:unix.SizeofInotifyEvent+4], names, true},
	} {
		if got := concerns(tc.buf, tc.names); got != tc.want {
			t.Errorf("%s: concerns = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func FuzzConcerns(f *testing.F) {
	f.Add(inotifyEvent(unix.IN_MOVED_TO, "state.json", 16))
	f.Add(inotifyEvent(unix.IN_CREATE, "x", 4))
	f.Add(inotifyEvent(unix.IN_DELETE_SELF, "", 0))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, buf []byte) {
		concerns(buf, []string{"state.json"})
	})
}

// TestWatchDirNames: writing files the watch does not name wakes nothing;
// writing a named one does.
func TestWatchDirNames(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake, err := watchDir(ctx, dir, "state.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"spec.json", "monitor.log", "state.json.1.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(filepath.Join(dir, "state.json.1.tmp"), filepath.Join(dir, "state.json")); err != nil {
		t.Fatal(err)
	}
	<-wake // the rename, read with or after the others
	// Nothing else is pending: the other files wake nothing.
	select {
	case <-wake:
		t.Fatal("a file the watch does not name woke it")
	default:
	}
}
