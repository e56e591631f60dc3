package engine

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCgroupDirsIn checks cgroupDirsIn against the glob it replaces, on
// trees shaped as cgroup mounts are: v1 hierarchies (one a symbolic link to
// another, as cpu to cpu,cpuacct), the unified one, a pure v2 mount, with
// and without the container's directory, beside another container's.
func TestCgroupDirsIn(t *testing.T) {
	const id, other = "0123456789abcdef", "fedcba9876543210"
	cases := []struct {
		name  string
		dirs  []string          // directories under the root
		links map[string]string // symbolic links: name -> target
	}{
		{name: "empty"},
		{name: "pure v2", dirs: []string{"berth/" + id, "berth/" + other, "system.slice"}},
		{name: "v2 without it", dirs: []string{"berth/" + other}},
		{name: "hybrid", dirs: []string{"cpu,cpuacct/berth/" + id, "memory/berth/" + id, "memory/berth/" + other,
			"pids/berth", "unified/berth/" + id, "systemd/berth/" + id, "freezer"},
			links: map[string]string{"cpu": "cpu,cpuacct", "cpuacct": "cpu,cpuacct"}},
		{name: "a file where a hierarchy is", dirs: []string{"memory/berth/" + id}, links: map[string]string{"dangling": "nowhere"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for _, d := range tc.dirs {
				if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for name, target := range tc.links {
				if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(root, "cgroup.procs"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			got := cgroupDirsIn(root, id)
			var want []string
			if p := filepath.Join(root, CgroupPath(id)); dirExists(p) {
				want = append(want, p)
			}
			globbed, err := filepath.Glob(filepath.Join(root, "*", CgroupPath(id)))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, globbed...)
			if !slices.Equal(got, want) {
				t.Errorf("cgroupDirsIn = %q, want (as the glob) %q", got, want)
			}
		})
	}
}
