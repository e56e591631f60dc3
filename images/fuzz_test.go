package images

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/go-archive/compression"
)

// The fuzz targets below cover every parser of outside input: load archives
// (whole, and their manifest.json and index.json), image configs and
// manifests, layer tars (plain and through decompression and digest checks),
// image references and --change lines. Their seeds live as files under
// testdata/fuzz/<target>/, written from fuzzSeeds with
// `go test ./images/ -run TestFuzzSeedCorpora -update`.

var updateSeeds = flag.Bool("update", false, "rewrite the fuzz seed corpora under testdata/fuzz")

// seedLayer is the layer of the seed archives and directories.
func seedLayer(t testing.TB) []byte { return makeTar(t, tarEntry{name: "a", body: "1"}) }

// fuzzSeeds returns each fuzz target's seed inputs.
func fuzzSeeds(t testing.TB) map[string][][]byte {
	layer := seedLayer(t)
	img := imageOf(t, v1.Config{Cmd: []string{"x"}}, layerOf(t, layer))
	zero := "sha256:" + strings.Repeat("0", 64)
	oci := archiveFiles(true, archiveImage{tag: "f:1", layers: [][]byte{layer}})
	var m struct{ Manifests []v1.Descriptor }
	_ = json.Unmarshal(oci["index.json"], &m)
	cfg := archiveImage{tag: "f:1", layers: [][]byte{layer}}.config()
	s := func(list ...string) (out [][]byte) {
		for _, x := range list {
			out = append(out, []byte(x))
		}
		return out
	}
	return map[string][][]byte{
		"FuzzLoad": {legacyTarball(t, img, "f:1"), ociTarball(t, img, "f:2"),
			buildArchive(t, false, archiveImage{tag: "f:3", layers: [][]byte{layer}}),
			makeTar(t, tarEntry{name: "manifest.json", body: `[{"Config":"c.json","RepoTags":["a:b"],"Layers":["l.tar"]}]`},
				tarEntry{name: "c.json", body: `{"rootfs":{"type":"layers","diff_ids":["` + zero + `"]}}`},
				tarEntry{name: "l.tar", body: string(makeTar(t, tarEntry{name: "z"}))}),
			makeTar(t, tarEntry{name: "index.json", body: `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:` + strings.Repeat("1", 64) + `","size":2}]}`})},
		"FuzzDockerManifest": s(string(archiveFiles(false, archiveImage{tag: "f:1", layers: [][]byte{layer}})["manifest.json"]),
			`[{"Config":"../../etc/passwd","Layers":[]}]`, `[{"Config":"cfg.json","RepoTags":["UPPER:x"],"Layers":["l/layer.tar"]}]`,
			`[{"Config":"cfg.json","Layers":["l/layer.tar","l/layer.tar"]}]`, `[]`, `null`, `{}`, `[{"Config":7}]`),
		"FuzzOCIIndex": s(string(oci["index.json"]),
			`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"`+digestOf(nestedIndex(m.Manifests))+`","size":1}]}`,
			`{"schemaVersion":2,"manifests":[{"mediaType":"text/plain","digest":"`+zero+`","size":1}]}`,
			`{"schemaVersion":2,"manifests":[]}`, `{"manifests":[{"digest":"md5:00"}]}`),
		"FuzzImageConfig": s(string(cfg), `{"rootfs":{"type":"layers","diff_ids":[]}}`, `{"history":[{"empty_layer":true},{}]}`, `{"created":"x"}`, `[]`),
		"FuzzImageManifest": s(`{"schemaVersion":2,"config":{"digest":"`+digestOf(cfg)+`","size":1},"layers":[{"digest":"`+sha(layer)+`","size":2048}]}`,
			`{"schemaVersion":2,"config":{"digest":"`+digestOf(cfg)+`"},"layers":[]}`, `{"layers":[{"digest":"sha256:zz"}]}`, `7`),
		"FuzzCheckLayer": {layer, gz(t, layer), makeTar(t, tarEntry{name: "../a", body: "x"}),
			makeTar(t, tarEntry{name: "h", typ: '1', link: "a"}), layer[:700], []byte("garbage")},
		"FuzzCheckTar": {layer, makeTar(t, tarEntry{name: "../a", body: "x"}),
			makeTar(t, tarEntry{name: "l", typ: '2', link: "../../x"}, tarEntry{name: "h", typ: '1', link: "l"}),
			makeTar(t, tarEntry{name: "a", body: "hello"}, tarEntry{name: "b", typ: '1', link: "a"}), layer[:700], []byte("garbage")},
		"FuzzParseReference": s("busybox", "busybox:latest", "docker.io/library/busybox:latest", "reg:5000/x/y:t",
			"x@sha256:"+strings.Repeat("a", 64), "x:t@sha256:"+strings.Repeat("b", 64), "localhost:5000/a", "UPPER", "a//b", ":"),
		"FuzzApplyChange": s(`CMD ["sh"]`, "CMD echo hi", "ENV A=1 B=\"x y\"", "ENV A b c", "LABEL a=b", "EXPOSE 80 53/udp",
			"VOLUME /data", `VOLUME ["/a","/b"]`, "USER nobody", "WORKDIR /w", "FROM x", "ENV A=\"unterminated", ""),
	}
}

// stringTargets take a string rather than bytes.
var stringTargets = map[string]bool{"FuzzParseReference": true, "FuzzApplyChange": true}

// nestedIndex is an index blob pointing at the given manifests, kept in the
// OCI fuzz directory so a seed can reach it.
func nestedIndex(ms []v1.Descriptor) []byte {
	b, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": ms})
	return b
}

// corpusFile encodes one seed as `go test` reads it from testdata/fuzz.
func corpusFile(name string, b []byte) []byte {
	if stringTargets[name] {
		return []byte("go test fuzz v1\nstring(" + strconv.Quote(string(b)) + ")\n")
	}
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b)
}

func TestFuzzSeedCorpora(t *testing.T) {
	for name, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", name)
		for i, seed := range seeds {
			p := filepath.Join(dir, fmt.Sprintf("seed-%02d", i))
			if *updateSeeds {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, corpusFile(name, seed), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if b, err := os.ReadFile(p); err != nil || !bytes.HasPrefix(b, []byte("go test fuzz v1\n")) {
				t.Errorf("%s is missing (%v): run go test ./images/ -run TestFuzzSeedCorpora -update", p, err)
			}
		}
	}
}

// fuzzDir writes files into a fresh directory.
func fuzzDir(f *testing.F, files map[string][]byte) string {
	dir := f.TempDir()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			f.Fatal(err)
		}
	}
	return dir
}

// readExtracted reads an extracted archive as Load does, short of storing it.
func readExtracted(t *testing.T, dir string) {
	imgs, err := readArchive(dir)
	if err != nil {
		return
	}
	if _, err := checkArchiveImages(context.Background(), imgs); err == nil && len(imgs) == 0 {
		t.Fatal("an archive without images passed")
	}
}

func FuzzLoad(f *testing.F) {
	s := newStore(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = s.Load(context.Background(), bytes.NewReader(b), nil)
	})
}

func FuzzDockerManifest(f *testing.F) {
	files := archiveFiles(false, archiveImage{tag: "f:1", layers: [][]byte{seedLayer(f)}})
	delete(files, "manifest.json")
	dir := fuzzDir(f, files)
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		readExtracted(t, dir)
	})
}

func FuzzOCIIndex(f *testing.F) {
	files := archiveFiles(true, archiveImage{tag: "f:1", layers: [][]byte{seedLayer(f)}})
	var m struct{ Manifests []v1.Descriptor }
	if err := json.Unmarshal(files["index.json"], &m); err != nil {
		f.Fatal(err)
	}
	nested := nestedIndex(m.Manifests)
	files[blobName(digestOf(nested))] = nested
	dir := fuzzDir(f, files)
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		readExtracted(t, dir)
	})
}

func FuzzImageConfig(f *testing.F) {
	layer := seedLayer(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := fmt.Sprintf(`{"schemaVersion":2,"config":{"digest":%q,"size":%d},"layers":[{"digest":%q,"size":%d}]}`,
			digestOf(b), len(b), sha(layer), len(layer))
		p, err := prepareNew(newImage{manifest: []byte(m), config: b})
		if err != nil {
			return
		}
		if len(p.layers) != 1 || p.layers[0].DiffID != p.cfg.RootFS.DiffIDs[0].String() || p.id != digestOf(b) {
			t.Fatalf("accepted config %q gave layers %+v", b, p.layers)
		}
	})
}

func FuzzImageManifest(f *testing.F) {
	cfg := archiveImage{tag: "f:1", layers: [][]byte{seedLayer(f)}}.config()
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := prepareNew(newImage{manifest: b, config: cfg})
		if err != nil {
			return
		}
		for _, l := range p.layers {
			if _, err := v1.NewHash(l.Digest); err != nil || l.ChainID == "" {
				t.Fatalf("accepted manifest %q gave layer %+v", b, l)
			}
		}
	})
}

func FuzzCheckLayer(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "blob")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		// Stored as it is, so its diff ID is its digest when uncompressed.
		l := Layer{Digest: sha(b), DiffID: sha(b), Size: int64(len(b))}
		err := checkLayer(context.Background(), p, &l)
		plain := compression.Detect(b) == compression.None
		if ok := plain && checkTar(bytes.NewReader(b), io.Discard) == nil; ok != (err == nil) {
			t.Fatalf("checkLayer: %v, but the plain tar check says %v", err, ok)
		}
		l.Digest = "sha256:" + strings.Repeat("0", 64)
		if err := checkLayer(context.Background(), p, &l); !errors.Is(err, ErrCorruptBlob) {
			t.Fatalf("a blob under a wrong digest: %v", err)
		}
	})
}

func FuzzCheckTar(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		out := &capWriter{max: 1 << 20}
		if err := checkTar(bytes.NewReader(b), out); err != nil {
			return
		}
		// What passes the check re-reads as a tar that passes again.
		if err := checkTar(bytes.NewReader(out.buf.Bytes()), &capWriter{max: 1 << 20}); err != nil {
			t.Fatalf("re-encoded stream refused: %v", err)
		}
	})
}

func FuzzParseReference(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		// The familiar form parses back to itself.
		r2, err := ParseReference(r.Familiar())
		if err != nil {
			t.Fatalf("familiar %q of %q does not parse: %v", r.Familiar(), s, err)
		}
		if r2.Familiar() != r.Familiar() {
			t.Fatalf("familiar of %q: %q then %q", s, r.Familiar(), r2.Familiar())
		}
	})
}

func FuzzApplyChange(f *testing.F) {
	for _, s := range []string{"CMD echo hi", `ENV a=b c="d e"`, "HEALTHCHECK --start-interval=2s CMD true",
		"HEALTHCHECK NONE", "HEALTHCHECK --interval=x CMD true", "HEALTHCHECK CMD", `LABEL "x y"=z`, `LABEL "open=1`, `LABEL =x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var cfg v1.Config
		var ext ConfigExt
		if ApplyChange(&cfg, &ext, s) == nil && ext.HealthStartInterval != 0 && cfg.Healthcheck == nil {
			t.Fatalf("change %q set a start interval without a health check", s)
		}
	})
}

// capWriter fails once more than max bytes are written (sparse entries in fuzzed
// input can declare huge sizes).
type capWriter struct {
	buf bytes.Buffer
	max int
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.max {
		return 0, errors.New("output too large")
	}
	return c.buf.Write(p)
}
