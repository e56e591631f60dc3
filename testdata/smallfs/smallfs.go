// Package smallfs gives tests a small filesystem to fill: a tmpfs of a given
// size mounted on a temporary directory, unmounted when the test ends.
package smallfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Mount mounts a tmpfs of size (tmpfs's size= option, e.g. "128k") on a
// temporary directory and returns it; tests not run as root are skipped.
// filler bytes are written into it first, in a file whose path is returned,
// so that removing it makes room again.
func Mount(t *testing.T, size string, filler int) (dir, fill string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir = t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	fill = filepath.Join(dir, "filler")
	if err := os.WriteFile(fill, make([]byte, filler), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, fill
}
