package server

import (
	"errors"
	"fmt"
	"testing"

	"github.com/containerd/errdefs"
)

// TestMissingOnCreate: a create's not-found error about anything but the
// image is a 400 with the same words; other errors pass unchanged.
func TestMissingOnCreate(t *testing.T) {
	conflict := errdefs.ErrConflict.WithMessage("name in use")
	for _, tc := range []struct {
		in       error
		status   int
		wantText string
	}{
		{errdefs.ErrNotFound.WithMessage("network nosuch not found"), 400, "network nosuch not found"},
		{fmt.Errorf("volumes-from: %w", errdefs.ErrNotFound.WithMessage("no such container: x")), 400, "volumes-from: no such container: x"},
		{conflict, 409, "name in use"},
		{errors.New("disk on fire"), 500, "disk on fire"},
	} {
		got := missingOnCreate(tc.in)
		if statusOf(got) != tc.status || got.Error() != tc.wantText {
			t.Errorf("%v: %d %q, want %d %q", tc.in, statusOf(got), got.Error(), tc.status, tc.wantText)
		}
	}
}
