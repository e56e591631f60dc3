package images

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
)

// An image a holder has acquired is neither removed nor pruned, and keeps its
// layers, until the holder releases it.
func TestAcquireKeepsImageUntilRelease(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	ctx := context.Background()
	app, _ := twoImages(t, s)
	if _, err := s.Acquire(ctx, "nope:1", "c1"); !errdefs.IsNotFound(err) {
		t.Fatalf("acquire unknown image: %v, want not found", err)
	}
	img, err := s.Acquire(ctx, "app:1", "c1")
	if err != nil || img.ID != app.ID {
		t.Fatalf("acquire: %v %v", img, err)
	}
	if _, err := s.Prepare(ctx, img); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(ctx, "app:1", false, nil); !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "container") {
		t.Fatalf("rmi held image: %v, want conflict naming a container", err)
	}
	resp, err := s.Remove(ctx, "app:1", true, nil)
	if err != nil || len(resp) != 1 || resp[0].Untagged != "app:1" {
		t.Fatalf("rmi -f held image: %+v %v, want untag only", resp, err)
	}
	resp, _, err = s.Prune(ctx, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp {
		if r.Deleted == app.ID {
			t.Fatalf("prune -a deleted the held image: %+v", resp)
		}
	}
	if _, err := os.Stat(s.SnapshotDir(app.Layers[1].ChainID)); err != nil {
		t.Fatalf("held image's snapshot removed: %v", err)
	}
	if err := s.Release(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, "c1"); err != nil {
		t.Fatalf("second release: %v", err)
	}
	resp, _, err = s.Prune(ctx, false, nil)
	if err != nil || len(resp) != 1 || resp[0].Deleted != app.ID {
		t.Fatalf("prune after release: %+v %v", resp, err)
	}
	if _, err := os.Stat(s.SnapshotDir(app.Layers[1].ChainID)); err == nil {
		t.Error("released image's snapshot kept after prune")
	}
}

// A reference left by a holder that is gone is dropped once it is old; a
// young one, or one whose holder lives, is kept.
func TestReleaseStale(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	ctx := context.Background()
	app, _ := twoImages(t, s)
	for _, h := range []string{"gone-old", "gone-young", "alive-old"} {
		if _, err := s.Acquire(ctx, "app:1", h); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour).UnixNano()
	if _, err := s.db.ExecContext(ctx, "UPDATE img_leases SET acquired = ? WHERE holder != 'gone-young'", old); err != nil {
		t.Fatal(err)
	}
	alive := func(h string) bool { return strings.HasPrefix(h, "alive") }
	if err := s.ReleaseStale(ctx, time.Hour, alive); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	rows, err := s.db.QueryContext(ctx, "SELECT holder FROM img_leases WHERE image_id = ?", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		got[h] = true
	}
	if len(got) != 2 || !got["gone-young"] || !got["alive-old"] {
		t.Errorf("references left: %v, want gone-young and alive-old", got)
	}
}
