package images

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// eventLog collects a store's events as "action id name" lines.
type eventLog struct {
	mu    sync.Mutex
	lines []string
	evs   []Event
}

func (l *eventLog) sink(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, ev)
	l.lines = append(l.lines, ev.Action+" "+ev.ID+" "+ev.Attributes["name"])
}

// take returns the lines since the last take, each run of untag lines sorted
// (a removal untags its references in no particular order).
func (l *eventLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && strings.HasPrefix(out[j], "untag ") {
			j++
		}
		slices.Sort(out[i:j])
		i = max(j, i+1)
	}
	return out
}

func expectEvents(t *testing.T, step string, l *eventLog, want ...string) {
	t.Helper()
	if got := l.take(); !slices.Equal(got, want) {
		t.Errorf("%s: events\n %q\nwant\n %q", step, got, want)
	}
}

// TestStoreEvents checks that every change the store makes is reported as
// Docker reports image events: tag, push, save, untag, delete, load, pull,
// import and prune, with the image's labels.
func TestStoreEvents(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	host := startRegistry(t, nil)
	s := newStore(t)
	var l eventLog
	s.SetEventSink(l.sink)

	img, err := s.AddImage(ctx, imageOf(t, richConfig, layerOf(t, makeTar(t, tarEntry{name: "one", body: "1"}))), "local:1")
	if err != nil {
		t.Fatal(err)
	}
	id := img.ID
	expectEvents(t, "add", &l, "tag "+id+" local:1")
	if l.evs[0].Attributes["k"] != "v" {
		t.Errorf("tag event lacks the image's labels: %v", l.evs[0].Attributes)
	}
	ref := host + "/team/app:v1"
	if err := s.Tag(ctx, "local:1", ref); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, "tag", &l, "tag "+id+" "+ref)
	if err := s.Push(ctx, ref, PushOptions{Keychain: authn.NewMultiKeychain()}); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, "push", &l, "push "+ref+" "+host+"/team/app")
	var saved bytes.Buffer
	if err := s.Save(ctx, &saved, []string{"local:1", id}); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, "save", &l, "save "+id+" local:1", "save "+id+" "+id)
	if _, err := s.Remove(ctx, "local:1", false, nil); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, "untag", &l, "untag "+id+" local:1")
	if _, err := s.Remove(ctx, id, true, nil); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, "rmi", &l, "untag "+id+" "+ref, "untag "+id+" "+host+"/team/app@"+img.ManifestDigest, "delete "+id+" "+id)
	if _, err := s.Load(ctx, bytes.NewReader(saved.Bytes()), nil); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, "load", &l, "load "+id+" local:1")
	if _, err := s.Pull(ctx, ref, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, "pull", &l, "pull "+ref+" "+host+"/team/app")
	imp, err := s.Import(ctx, bytes.NewReader(makeTar(t, tarEntry{name: "f", body: "x"})), "imp:1")
	if err != nil {
		t.Fatal(err)
	}
	expectEvents(t, "import", &l, "tag "+imp.ID+" imp:1", "import "+imp.ID+" imp:1")
	if _, err := s.Commit(ctx, CommitOptions{Parent: imp, CreatedBy: "x", Tags: []string{"built"}}); err != nil {
		t.Fatal(err)
	}
	built, _ := s.Resolve("built")
	expectEvents(t, "commit", &l, "tag "+built.ID+" built:latest")
	expectPrune(t, s, &l, built.ID)
	if _, err := s.Remove(ctx, "nosuch:1", false, nil); err == nil {
		t.Fatal("removed a missing image")
	}
	expectEvents(t, "failed rmi", &l)
}

// expectPrune prunes with every image but id in use: id is untagged and
// deleted, then the prune is reported with the bytes it reclaimed.
func expectPrune(t *testing.T, s *Store, l *eventLog, id string) {
	t.Helper()
	if _, _, err := s.Prune(context.Background(), true, func(i string) bool { return i != id }); err != nil {
		t.Fatal(err)
	}
	got := l.take()
	if len(got) != 3 || got[0] != "untag "+id+" built:latest" || got[1] != "delete "+id+" "+id || !strings.HasPrefix(got[2], "prune  ") {
		t.Errorf("prune: events %q", got)
	}
	if last := l.evs[len(l.evs)-1]; last.Attributes["reclaimed"] == "" {
		t.Errorf("prune event without reclaimed: %+v", last)
	}
}
