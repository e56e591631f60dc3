package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/containerd/errdefs"
)

// TestMissingIsBad: a create's not-found error about anything but the image
// is a bad parameter with the same words; other errors pass unchanged.
func TestMissingIsBad(t *testing.T) {
	conflict := errdefs.ErrConflict.WithMessage("name in use")
	other := errors.New("disk on fire")
	for _, tc := range []struct {
		in    error
		class func(error) bool
		text  string
	}{
		{errdefs.ErrNotFound.WithMessage("network nosuch not found"), errdefs.IsInvalidArgument, "network nosuch not found"},
		{fmt.Errorf("network mode container:x: %w", errdefs.ErrNotFound.WithMessage("no such container: x")), errdefs.IsInvalidArgument,
			"network mode container:x: no such container: x"},
		{conflict, errdefs.IsConflict, "name in use"},
		{other, func(err error) bool { return err == other }, "disk on fire"},
	} {
		got := missingIsBad(tc.in)
		if !tc.class(got) || got.Error() != tc.text {
			t.Errorf("%v: %v (%T), want %q of the expected class", tc.in, got, got, tc.text)
		}
	}
}
