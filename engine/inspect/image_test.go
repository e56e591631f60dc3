package inspect

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"berth/images"
)

// TestImageComment checks an image's Comment is its newest history entry's,
// as docker commit -m and docker import -m set it, and empty otherwise.
func TestImageComment(t *testing.T) {
	for _, tc := range []struct {
		hist []v1.History
		want string
	}{
		{[]v1.History{{CreatedBy: "ADD x"}, {CreatedBy: "sh", Comment: "snapshot"}}, "snapshot"},
		{[]v1.History{{Comment: "old"}, {CreatedBy: "RUN true"}}, ""},
		{nil, ""},
	} {
		img := &images.Image{ID: "sha256:1", Config: v1.ConfigFile{History: tc.hist}}
		got, err := ImageOf(img)
		if err != nil || got.Comment != tc.want {
			t.Errorf("%v: comment %q, %v; want %q", tc.hist, got.Comment, err, tc.want)
		}
	}
}
