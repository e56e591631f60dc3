package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
)

func TestStore(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "berth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := Row{ID: "abc123" + strings.Repeat("0", 58), Name: "web", ImageID: "sha256:i", Created: time.Now(), Data: []byte("{}")}
	b := Row{ID: "abd456" + strings.Repeat("0", 58), Name: "db", ImageID: "sha256:i", Created: time.Now(), Data: []byte("{}")}
	for _, r := range []Row{a, b} {
		if err := s.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	dup := b
	dup.ID = "ffff" + strings.Repeat("0", 60)
	if err := s.Insert(ctx, dup); !errdefs.IsAlreadyExists(err) {
		t.Errorf("duplicate name: %v", err)
	}
	tests := []struct {
		ref  string
		want string
		err  func(error) bool
	}{
		{"web", a.ID, nil}, {"/web", a.ID, nil}, {a.ID, a.ID, nil}, {"abc1", a.ID, nil},
		{"ab", "", errdefs.IsInvalidArgument}, {"nosuch", "", errdefs.IsNotFound}, {"", "", errdefs.IsInvalidArgument},
	}
	for _, tt := range tests {
		got, err := s.Get(ctx, tt.ref)
		if tt.err != nil {
			if !tt.err(err) {
				t.Errorf("Get(%q): %v", tt.ref, err)
			}
			continue
		}
		if err != nil || got.ID != tt.want {
			t.Errorf("Get(%q) = %s, %v", tt.ref, got.ID, err)
		}
	}
	if err := s.Rename(ctx, a.ID, "db", a.Data); !errdefs.IsAlreadyExists(err) {
		t.Errorf("rename onto a taken name: %v", err)
	}
	if err := s.Rename(ctx, a.ID, "web2", a.Data); err != nil {
		t.Fatal(err)
	}
	if ids, err := s.UsingImage(ctx, "sha256:i"); err != nil || len(ids) != 2 {
		t.Errorf("UsingImage: %v %v", ids, err)
	}
	if err := s.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, a.ID); !errdefs.IsNotFound(err) {
		t.Errorf("second delete: %v", err)
	}
}

// TestErrorText: an error names its problem once, with its class kept for
// code (errdefs.IsX, errors.Is) and not shown in the text.
func TestErrorText(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "berth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := Row{ID: "abc123" + strings.Repeat("0", 58), Name: "web", ImageID: "sha256:i", Created: time.Now(), Data: []byte("{}")}
	if err := s.Insert(ctx, r); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, "nosuch")
	if err == nil || err.Error() != "no such container: nosuch" || !errdefs.IsNotFound(err) || !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Get(nosuch) = %v, want a not-found error saying only \"no such container: nosuch\"", err)
	}
	r.ID = "ffff" + strings.Repeat("0", 60)
	err = s.Insert(ctx, r)
	if err == nil || err.Error() != `the container name "/web" is already in use` || !errdefs.IsAlreadyExists(err) {
		t.Errorf("Insert(duplicate name) = %v", err)
	}
}
