package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

// Get runs its first query through a prepared statement, and still sees
// what another process (another Store on the same file) changes after it
// was prepared: inserts, renames and deletions.
func TestGetSeesOtherWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "berth.db")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.Get(ctx, "c1"); !errdefs.IsNotFound(err) {
		t.Fatalf("get before the insert: %v", err)
	}
	r := testRow(1)
	if err := b.Insert(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Get(ctx, r.Name); err != nil || got.ID != r.ID {
		t.Fatalf("get by name after the other's insert: %+v %v", got, err)
	}
	if err := b.Rename(ctx, r.ID, "renamed", r.Data); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Get(ctx, "renamed"); err != nil || got.ID != r.ID {
		t.Fatalf("get by the new name: %+v %v", got, err)
	}
	if err := b.Delete(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, r.ID); !errdefs.IsNotFound(err) {
		t.Fatalf("get after the other's delete: %v", err)
	}
	if a.getStmt(ctx) == nil {
		t.Error("Get's query is not prepared")
	}
}
