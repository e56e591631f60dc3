package build

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"berth/images"
)

// copyRunner mounts an image by unpacking its layers into one fresh
// directory that is both root and upper dir (a layer it commits holds the
// whole filesystem: enough for COPY-only builds); it runs nothing.
type copyRunner struct{ store *images.Store }

func (copyRunner) Run(context.Context, RunSpec, func(string) error) error {
	return errors.New("no RUN in this test")
}

func (r copyRunner) Mount(ctx context.Context, img *images.Image, fn func(root, upper string) error) error {
	dir, err := os.MkdirTemp("", "berth-test-mount-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if img != nil {
		for i := range img.Layers {
			if err := r.store.ReadLayer(ctx, &img.Layers[i], func(rd io.Reader) error { return images.ApplyLayer(dir, rd) }); err != nil {
				return err
			}
		}
	}
	return fn(dir, dir)
}

// TestStagesInParallel builds a target that needs two independent stages
// (under the race detector with `go test -race`): both build, the stage the
// target does not need does not, each step's events name their stage; a
// failure in one of them is the build's error, naming its line.
func TestStagesInParallel(t *testing.T) {
	b := newBuilder(t)
	b.runner = copyRunner{store: b.store}
	dir := t.TempDir()
	for _, f := range []string{"a.txt", "b.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	df := "FROM scratch AS a\nCOPY a.txt /a\nENV A=1\nFROM scratch AS b\nCOPY b.txt /b\nENV B=1\n" +
		"FROM scratch AS unused\nCOPY missing /x\nFROM scratch\nCOPY --from=a /a /\nCOPY --from=b /b /\n"
	var mu sync.Mutex
	stages := map[string]int{}
	img, err := b.Build(context.Background(), Options{ContextDir: dir, Dockerfile: []byte(df), Tags: []string{"par:1"}}, func(ev Event) {
		if ev.Kind == StepStarted {
			mu.Lock()
			stages[ev.Stage]++
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if stages["a"] != 2 || stages["b"] != 2 || stages["stage-3"] != 2 || stages["unused"] != 0 {
		t.Errorf("steps started per stage: %v", stages)
	}
	if len(img.Layers) != 2 {
		t.Errorf("the target has %d layers, want 2", len(img.Layers))
	}
	bad := strings.Replace(df, "COPY b.txt /b", "COPY nob.txt /b", 1)
	_, err = b.Build(context.Background(), Options{ContextDir: dir, Dockerfile: []byte(bad), NoCache: true}, nil)
	if err == nil || err.Error() != `Dockerfile:5: COPY nob.txt /b: source "nob.txt" not found in the build context (or excluded by .dockerignore)` {
		t.Errorf("a failing stage: %v", err)
	}
}

// TestNeeds lists the stages a target depends on, directly or not.
func TestNeeds(t *testing.T) {
	df := "ARG BASE=a\nFROM scratch AS a\nFROM scratch AS b\nFROM a AS c\nCOPY --from=b /x /x\nFROM scratch AS d\n" +
		"FROM ${BASE} AS e\nRUN --mount=type=bind,from=d,target=/d true\nCOPY --from=$DYN /y /y\nFROM e\n"
	bd := &build{Builder: &Builder{}, opts: Options{Dockerfile: []byte(df)}, name: "Dockerfile", usedArgs: map[string]bool{}}
	if _, err := bd.parse(); err != nil {
		t.Fatal(err)
	}
	for target, want := range map[int][]int{2: {0, 1}, 3: nil, 4: {0, 3}, 5: {0, 3, 4}} {
		if got := bd.needs(target); !slices.Equal(got, want) {
			t.Errorf("needs(%d) = %v, want %v", target, got, want)
		}
	}
}
