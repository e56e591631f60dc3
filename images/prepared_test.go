package images

import (
	"context"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestPreparedQueriesSeeOtherWriters: the image reads that go through the
// store's prepared statements (List, Resolve) keep one statement per query
// and still see every change another store on the same database (another
// berth process) makes after the statement was prepared.
func TestPreparedQueriesSeeOtherWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := openStore(t, dir), openStore(t, dir)
	tags := func() []string {
		t.Helper()
		imgs, err := a.List(ctx, ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, img := range imgs {
			out = append(out, img.RepoTags...)
		}
		return out
	}
	if got := tags(); len(got) != 0 {
		t.Fatalf("a fresh store lists %v", got)
	}
	img, err := b.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"sh"}}), "app:1")
	if err != nil {
		t.Fatal(err)
	}
	if got := tags(); !reflect.DeepEqual(got, []string{"app:1"}) {
		t.Fatalf("after the other store's add: %v", got)
	}
	if _, err := a.Resolve("app:1"); err != nil {
		t.Fatalf("resolve app:1: %v", err)
	}
	if err := b.Tag(ctx, "app:1", "app:2"); err != nil {
		t.Fatal(err)
	}
	if got := tags(); !reflect.DeepEqual(got, []string{"app:1", "app:2"}) {
		t.Fatalf("after the other store's tag: %v", got)
	}
	if r, err := a.Resolve(img.ID); err != nil || !reflect.DeepEqual(r.RepoTags, []string{"app:1", "app:2"}) {
		t.Fatalf("resolve by ID after the tag: %v %v", r, err)
	}
	if _, err := b.Remove(ctx, img.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if got := tags(); len(got) != 0 {
		t.Fatalf("after the other store's removal: %v", got)
	}
	if _, err := a.Resolve(img.ID); err == nil {
		t.Fatal("a removed image still resolves")
	}
	a.stmts.mu.Lock()
	n := len(a.stmts.m)
	a.stmts.mu.Unlock()
	if n != 2 { // the list and the one-image read
		t.Errorf("the store keeps %d prepared statements, want 2", n)
	}
}

// BenchmarkList1 lists a store of one tagged image, as `docker images` does
// on a fresh berth.
func BenchmarkList1(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	if _, err := s.AddImage(ctx, imageOf(b, v1.Config{Cmd: []string{"sh"}}), "app:1"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if imgs, err := s.List(ctx, ListOptions{}); err != nil || len(imgs) != 1 {
			b.Fatal(len(imgs), err)
		}
	}
}

// A transaction's image reads (Acquire resolves in one) use the prepared
// statements on the transaction's connection and see other stores' changes.
func TestPreparedQueriesInATransaction(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := openStore(t, dir), openStore(t, dir)
	img, err := b.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"sh"}}), "app:1")
	if err != nil {
		t.Fatal(err)
	}
	for i, tag := range []string{"app:1", "app:2", "app:3"} {
		if i > 0 {
			if err := b.Tag(ctx, "app:1", tag); err != nil {
				t.Fatal(err)
			}
		}
		got, err := a.Acquire(ctx, tag, "holder")
		if err != nil || got.ID != img.ID || len(got.RepoTags) != i+1 {
			t.Fatalf("acquire %s: %v %v", tag, got, err)
		}
	}
	if err := a.Release(ctx, "holder"); err != nil {
		t.Fatal(err)
	}
}
