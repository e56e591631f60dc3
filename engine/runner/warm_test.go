package runner

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWarmCreatesNothing: a spare monitor's warm-up goes through a
// container's creation on throw-away values and leaves nothing behind: no
// cgroup in any hierarchy, no file in the working directory.
func TestWarmCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	Warm()
	name := "berth-warm-" + strconv.Itoa(os.Getpid())
	left, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", name))
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", name)); err == nil {
		left = append(left, filepath.Join("/sys/fs/cgroup", name))
	}
	if len(left) > 0 {
		t.Errorf("cgroups left by Warm: %v", left)
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("files left by Warm in the working directory: %d", len(ents))
	}
}
