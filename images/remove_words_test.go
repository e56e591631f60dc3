package images

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
)

// usedBy is a UsersFunc for which a stopped container uses the images ids.
func usedBy(ids ...string) UsersFunc {
	return func(id string) ([]User, error) {
		if slices.Contains(ids, id) {
			return []User{{ID: "c0ffee0123456789"}}, nil
		}
		return nil, nil
	}
}

// TestRemoveUsedWords checks rmi's refusals of an image a container uses
// word for word against dockerd 20.10: by ID a running user cannot be
// forced and a stopped one must be; by its only tag either must force;
// forced, a tag is untagged whoever uses the image.
func TestRemoveUsedWords(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	ctx := context.Background()
	app, _ := twoImages(t, s)
	short := app.ID[7:19]
	const ctr = "5678ef0123456789aaaa"
	users := func(running bool) UsersFunc {
		return func(id string) ([]User, error) {
			if id != app.ID {
				return nil, nil
			}
			return []User{{ID: ctr, Running: running}}, nil
		}
	}
	for _, tc := range []struct {
		ref     string
		force   bool
		running bool
		want    string // "" for success
	}{
		{app.ID, false, true, "conflict: unable to delete " + short + " (cannot be forced) - image is being used by running container 5678ef012345"},
		{app.ID, true, true, "conflict: unable to delete " + short + " (cannot be forced) - image is being used by running container 5678ef012345"},
		{short, false, false, "conflict: unable to delete " + short + " (must be forced) - image is being used by stopped container 5678ef012345"},
		{"app:1", false, true, `conflict: unable to remove repository reference "app:1" (must force) - container 5678ef012345 is using its referenced image ` + short},
		{"app:1", false, false, `conflict: unable to remove repository reference "app:1" (must force) - container 5678ef012345 is using its referenced image ` + short},
	} {
		_, err := s.Remove(ctx, tc.ref, tc.force, users(tc.running))
		if !errdefs.IsConflict(err) || err.Error() != tc.want {
			t.Errorf("rmi force=%v %s (running %v): %v\nwant %s", tc.force, tc.ref, tc.running, err, tc.want)
		}
	}
	resp, err := s.Remove(ctx, "app:1", true, users(true))
	if err != nil || len(resp) != 1 || resp[0].Untagged != "app:1" {
		t.Fatalf("rmi -f of the only tag, running user: %+v %v, want untag only", resp, err)
	}
	if err := s.Tag(ctx, app.ID, "app:1"); err != nil {
		t.Fatal(err)
	}
	resp, err = s.Remove(ctx, app.ID, true, users(false))
	if err != nil || len(resp) != 1 || resp[0].Untagged != "app:1" {
		t.Fatalf("rmi -f by ID, stopped user: %+v %v, want untag only", resp, err)
	}
	broken := func(string) ([]User, error) { return nil, errors.New("store unreadable") }
	if _, err := s.Remove(ctx, app.ID, true, broken); err == nil {
		t.Fatal("rmi -f with unreadable users succeeded")
	}
	if _, err := s.Resolve(app.ID); err != nil {
		t.Fatalf("image gone after a refused rmi: %v", err)
	}
}

// A holder (a container being created) the users do not list counts as a
// stopped container.
func TestRemoveHeldWords(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	ctx := context.Background()
	app, _ := twoImages(t, s)
	if _, err := s.Acquire(ctx, "app:1", "abcdef0123456789"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Remove(ctx, app.ID, false, nil)
	want := "conflict: unable to delete " + app.ID[7:19] + " (must be forced) - image is being used by stopped container abcdef012345"
	if err == nil || err.Error() != want {
		t.Fatalf("rmi of a held image: %v\nwant %s", err, want)
	}
}
