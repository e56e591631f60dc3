package images

import (
	"context"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// startRegistry serves go-containerregistry's in-memory registry on 127.0.0.1;
// wrap, when set, wraps its handler. It returns "127.0.0.1:port".
func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestPushRemovePullBack(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	host := startRegistry(t, nil)
	s := newStore(t)
	img, err := s.AddImage(ctx, imageOf(t, richConfig,
		layerOf(t, makeTar(t, tarEntry{name: "one", body: strings.Repeat("1", 300000)})),
		layerOf(t, makeTar(t, tarEntry{name: "two", body: "2"}))), "local:1")
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/team/app:v1"
	if err := s.Tag(ctx, "local:1", ref); err != nil {
		t.Fatal(err)
	}
	events := make(chan Progress, 1000)
	if err := s.Push(ctx, ref, PushOptions{Progress: events, Keychain: authn.NewMultiKeychain()}); err != nil {
		t.Fatalf("Push: %v", err)
	}
	if len(events) == 0 {
		t.Error("push sent no progress")
	}
	if _, err := s.Remove(ctx, img.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	assertNothingStored(t, s)

	events = make(chan Progress, 1000)
	got, err := s.Pull(ctx, ref, PullOptions{Progress: events})
	if err != nil {
		t.Fatalf("Pull: %v", err)
	}
	close(events)
	if got.ID != img.ID || got.ManifestDigest != img.ManifestDigest {
		t.Errorf("pulled %s/%s, pushed %s/%s", got.ID, got.ManifestDigest, img.ID, img.ManifestDigest)
	}
	if want := host + "/team/app@" + img.ManifestDigest; len(got.RepoDigests) != 1 || got.RepoDigests[0] != want {
		t.Errorf("RepoDigests = %v, want [%s]", got.RepoDigests, want)
	}
	var sawBytes, sawComplete bool
	for e := range events {
		sawBytes = sawBytes || (e.Current > 0 && e.Total > 0)
		sawComplete = sawComplete || e.Status == "Pull complete"
	}
	if !sawBytes || !sawComplete {
		t.Errorf("progress events: bytes=%v complete=%v", sawBytes, sawComplete)
	}
	root := mountImage(t, s, got)
	if b, err := os.ReadFile(filepath.Join(root, "two")); err != nil || string(b) != "2" {
		t.Errorf("pulled image content: %q %v", b, err)
	}
	// By digest, and errors.
	if _, err := s.Pull(ctx, host+"/team/app@"+img.ManifestDigest, PullOptions{}); err != nil {
		t.Errorf("pull by digest: %v", err)
	}
	if _, err := s.Pull(ctx, host+"/team/missing:v1", PullOptions{}); !errdefs.IsNotFound(err) {
		t.Errorf("pull of missing image: %v, want not found", err)
	}
	if _, err := s.Pull(ctx, host+"/team/app:v1", PullOptions{Platform: "no/such/thing/x"}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad platform: %v", err)
	}
}

// TestPullCancelledHalfwayLeavesNothing stalls a layer download halfway, cancels
// the pull, checks that nothing stayed, then pulls again successfully.
func TestPullCancelledHalfwayLeavesNothing(t *testing.T) {
	ctx := context.Background()
	var stall, corrupt atomic.Bool
	stall.Store(true)
	halfway := make(chan struct{})
	var once sync.Once
	host := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !stall.Load() || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if len(body) < 100000 { // the config and small layers pass
				w.WriteHeader(rec.Code)
				w.Write(body)
				return
			}
			if corrupt.Load() {
				body = append([]byte(nil), body...)
				body[len(body)/3] ^= 0xff
				w.WriteHeader(rec.Code)
				w.Write(body)
				return
			}
			w.Header().Set("Content-Length", rec.Header().Get("Content-Length"))
			w.WriteHeader(rec.Code)
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			once.Do(func() { close(halfway) })
			<-r.Context().Done()
		})
	})
	src := newStore(t)
	big := make([]byte, 2<<20)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rnd.Uint32()) // incompressible
	}
	ref := host + "/big/img:1"
	img, err := src.AddImage(ctx, imageOf(t, v1.Config{}, layerOf(t, makeTar(t, tarEntry{name: "small", body: "s"})),
		layerOf(t, makeTar(t, tarEntry{name: "big", body: string(big)}))), ref)
	if err != nil {
		t.Fatal(err)
	}
	stall.Store(false)
	if err := src.Push(ctx, ref, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	stall.Store(true)

	s := newStore(t)
	pctx, cancel := context.WithCancel(ctx)
	go func() { <-halfway; cancel() }()
	if _, err := s.Pull(pctx, ref, PullOptions{}); err == nil {
		t.Fatal("cancelled pull succeeded")
	}
	assertNothingStored(t, s)

	corrupt.Store(true)
	if _, err := s.Pull(ctx, ref, PullOptions{}); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("pull of a corrupted layer: %v, want a digest error", err)
	}
	assertNothingStored(t, s)

	stall.Store(false)
	got, err := s.Pull(ctx, ref, PullOptions{})
	if err != nil {
		t.Fatalf("pull after cancelled pull: %v", err)
	}
	if got.ManifestDigest != img.ManifestDigest {
		t.Errorf("digest %s, want %s", got.ManifestDigest, img.ManifestDigest)
	}
}
