package engine

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestResolveUserGroups: --group-add GIDs and names (from the container's
// /etc/group) join the user's supplementary groups, sorted after the
// primary one and without repeats; an unknown name is refused naming it,
// in dockerd 20.10's words.
func TestResolveUserGroups(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
		"group":  "root:x:0:\nwheel:x:10:root\nmail:x:12:\napp:x:1000:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, "etc", name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		user string
		add  []string
		want []int
		err  string
	}{
		{"", nil, []int{0, 10}, ""},
		{"", []string{"123", "mail"}, []int{0, 10, 12, 123}, ""},
		{"", []string{"10", "wheel"}, []int{0, 10}, ""},
		{"app", []string{"44"}, []int{1000, 44}, ""},
		{"1000:0", []string{"mail", "7"}, []int{0, 7, 12}, ""},
		{"", []string{"nosuch"}, nil, "Unable to find group nosuch: no matching entries in group file"}, // dockerd 20.10's words
	} {
		u, err := resolveUserGroups(root, tt.user, tt.add)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("user %q add %v: %v, want an error with %q", tt.user, tt.add, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(u.Sgids, tt.want) {
			t.Errorf("user %q add %v: groups %v, %v; want %v", tt.user, tt.add, u, err, tt.want)
		}
	}
}
