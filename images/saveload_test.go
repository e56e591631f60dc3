package images

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// richConfig exercises every config field that must survive a round trip.
var richConfig = v1.Config{
	Env: []string{"A=1", DefaultPath}, Cmd: []string{"sh", "-c", "echo hi"}, Entrypoint: []string{"/bin/env"},
	WorkingDir: "/work", User: "nobody", ExposedPorts: map[string]struct{}{"80/tcp": {}},
	Volumes: map[string]struct{}{"/data": {}}, Labels: map[string]string{"k": "v"},
	Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "true"}},
}

func TestSaveLoadRoundTrip(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	src := newStore(t)
	img, err := src.AddImage(ctx, imageOf(t, richConfig,
		layerOf(t, makeTar(t, tarEntry{name: "bin/", typ: '5', mode: 0o755}, tarEntry{name: "bin/x", body: "x"})),
		layerOf(t, makeTar(t, tarEntry{name: "etc/y", body: "y"}))), "rich:1")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := src.Save(ctx, &buf, []string{"rich:1"}); err != nil {
		t.Fatal(err)
	}
	names := tarNames(t, buf.Bytes())
	for _, want := range []string{"manifest.json", "index.json", "oci-layout", "repositories", blobName(img.ID)} {
		if !names[want] {
			t.Errorf("saved tarball lacks %s", want)
		}
	}
	dst := newStore(t)
	loaded, err := dst.Load(ctx, bytes.NewReader(buf.Bytes()), nil)
	if err != nil || len(loaded) != 1 || loaded[0] != "rich:1" {
		t.Fatalf("Load: %v %v", loaded, err)
	}
	got, err := dst.Resolve("rich:1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != img.ID || got.ManifestDigest != img.ManifestDigest {
		t.Errorf("round trip changed IDs: %s/%s → %s/%s", img.ID, img.ManifestDigest, got.ID, got.ManifestDigest)
	}
	a, _ := json.Marshal(img.Config.Config)
	b, _ := json.Marshal(got.Config.Config)
	if !bytes.Equal(a, b) {
		t.Errorf("config changed:\n%s\n%s", a, b)
	}
	root := mountImage(t, dst, got)
	if b, err := os.ReadFile(filepath.Join(root, "etc/y")); err != nil || string(b) != "y" {
		t.Errorf("etc/y: %q %v", b, err)
	}
}

func tarNames(t *testing.T, b []byte) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names[hdr.Name] = true
	}
}

// legacyTarball writes img as go-containerregistry's tarball package does: the
// pre-25 docker save format (manifest.json, config file, layer tarballs).
func legacyTarball(t testing.TB, img v1.Image, tag string) []byte {
	t.Helper()
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tarball.Write(ref, img, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ociTarball writes img as a plain OCI image layout tarball.
func ociTarball(t testing.TB, img v1.Image, refName string) []byte {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": refName})); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	return buf.Bytes()
}

func TestLoadFormats(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	img := imageOf(t, richConfig, layerOf(t, makeTar(t, tarEntry{name: "hello", body: "world"})))
	want, _ := img.ConfigName()
	cases := []struct {
		name    string
		body    []byte
		wantRef string
	}{
		{"legacy docker save", legacyTarball(t, img, "legacy/img:1"), "legacy/img:1"},
		{"oci layout", ociTarball(t, img, "example.com/oci/img:2"), "example.com/oci/img:2"},
		{"oci layout bare ref name", ociTarball(t, img, "latest"), want.String()},
		{"gzipped legacy", gz(t, legacyTarball(t, img, "gz:1")), "gz:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			loaded, err := s.Load(ctx, bytes.NewReader(c.body), nil)
			if err != nil || len(loaded) != 1 || loaded[0] != c.wantRef {
				t.Fatalf("Load: %v %v, want [%s]", loaded, err, c.wantRef)
			}
			got, err := s.Resolve(c.wantRef)
			if err != nil || got.ID != want.String() {
				t.Fatalf("Resolve: %v %v", got, err)
			}
			root := mountImage(t, s, got)
			if b, err := os.ReadFile(filepath.Join(root, "hello")); string(b) != "world" {
				t.Errorf("hello: %q %v", b, err)
			}
		})
	}
}

func TestLoadRefusesBadArchives(t *testing.T) {
	ctx := context.Background()
	img := imageOf(t, v1.Config{}, layerOf(t, makeTar(t, tarEntry{name: "a", body: strings.Repeat("z", 5000)})))
	good := legacyTarball(t, img, "x:1")
	cases := []struct {
		name string
		body []byte
	}{
		{"truncated", good[:len(good)/2]},
		{"not a tar", []byte(strings.Repeat("hello world ", 200))},
		{"empty", nil},
		{"no manifest", makeTar(t, tarEntry{name: "random.txt", body: "x"})},
		{"bad manifest json", makeTar(t, tarEntry{name: "manifest.json", body: "{"})},
		{"manifest escapes", makeTar(t, tarEntry{name: "manifest.json", body: `[{"Config":"../../etc/passwd","Layers":[]}]`})},
		{"entry escapes", makeTar(t, tarEntry{name: "../x", body: "x"})},
		{"missing layer", makeTar(t, tarEntry{name: "c.json", body: `{"rootfs":{"type":"layers","diff_ids":[]}}`},
			tarEntry{name: "manifest.json", body: `[{"Config":"c.json","Layers":["nope/layer.tar"]}]`})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			_, err := s.Load(ctx, bytes.NewReader(c.body), nil)
			if err == nil {
				t.Fatal("Load accepted it")
			}
			if !strings.HasPrefix(err.Error(), "load: ") {
				t.Errorf("error %q lacks context", err)
			}
			assertNothingStored(t, s)
		})
	}
	// A layout whose blob was tampered with fails the digest check.
	s := newStore(t)
	tampered := bytes.Replace(ociTarball(t, imageOf(t, v1.Config{}, layerOf(t, makeTar(t, tarEntry{name: "q", body: "original"}))), "t"),
		[]byte(`"architecture"`), []byte(`"architecturE"`), 1)
	if _, err := s.Load(ctx, bytes.NewReader(tampered), nil); !errdefs.IsDataLoss(err) {
		t.Errorf("tampered config: %v, want data loss", err)
	}
}
