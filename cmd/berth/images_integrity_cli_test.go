package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// countingRegistry serves a registry on 127.0.0.1 that counts the requests
// that would store something (anything but GET and HEAD).
func countingRegistry(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var writes atomic.Int64
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writes.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), &writes
}

// largestBlob is the digest and path of the biggest blob in the root's store:
// the busybox layer.
func (c *cli) largestBlob() (string, string) {
	c.t.Helper()
	dir := filepath.Join(c.root, "images", "oci", "blobs", "sha256")
	ents, err := os.ReadDir(dir)
	if err != nil {
		c.t.Fatal(err)
	}
	var name string
	var size int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Size() > size {
			name, size = e.Name(), fi.Size()
		}
	}
	return "sha256:" + name, filepath.Join(dir, name)
}

func flipMiddleByte(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptBlobRefusedThenRepairedByPull(t *testing.T) {
	c := newCLI(t)
	host, _ := countingRegistry(t)
	ref := host + "/team/busybox:v1"
	c.ok("tag", "busybox", ref)
	c.ok("push", ref)
	digest, path := c.largestBlob()
	flipMiddleByte(t, path)
	corrupt := "blob " + digest + " is corrupt: its content has digest sha256:"

	out := filepath.Join(t.TempDir(), "bb.tar")
	c.fail("", "save: "+corrupt, "save", "-o", out, "busybox")
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed save left %s", out)
	}
	other, writes := countingRegistry(t)
	c.ok("tag", "busybox", other+"/x/busybox:v1")
	c.fail("", "push "+other+"/x/busybox:v1: "+corrupt, "push", other+"/x/busybox:v1")
	if n := writes.Load(); n != 0 {
		t.Errorf("the registry got %d upload requests for a corrupt image", n)
	}

	// A re-pull finds the blob corrupt, downloads it again and says so.
	pulled := c.ok("pull", ref)
	if !strings.Contains(pulled, "Pull complete") || !strings.Contains(pulled, "Status: Downloaded newer image for "+ref) {
		t.Errorf("re-pull over a corrupt blob:\n%s", pulled)
	}
	c.ok("save", "-o", out, "busybox")
	if again := c.ok("pull", ref); !strings.Contains(again, "Already exists") || !strings.Contains(again, "Status: Image is up to date for "+ref) {
		t.Errorf("pull of an intact image:\n%s", again)
	}
	if got, _, code := c.run("", "run", "--rm", "busybox", "echo", "ok"); got != "ok\n" || code != 0 {
		t.Errorf("run after the repair: %q exit %d", got, code)
	}
}

// layerTar is a one-layer tar with the given entries, for a hand-made archive.
func layerTar(t *testing.T, hdrs ...*tar.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadRefusesUnsafeLayerNamingIt(t *testing.T) {
	c := newCLI(t)
	tests := []struct {
		name, want string
		layer      []byte
	}{
		{"dotdot", `entry "../etc/passwd" escapes the layer root`,
			layerTar(t, &tar.Header{Name: "../etc/passwd", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})},
		{"hard link out", `entry "h" is a hard link to "../../etc/shadow", outside the layer root`,
			layerTar(t, &tar.Header{Name: "h", Linkname: "../../etc/shadow", Typeflag: tar.TypeLink})},
		{"hard link loop", `entry "a" is a hard link to "b", which no earlier entry of the layer creates`,
			layerTar(t, &tar.Header{Name: "a", Linkname: "b", Typeflag: tar.TypeLink}, &tar.Header{Name: "b", Linkname: "a", Typeflag: tar.TypeLink})},
	}
	before := c.storeState()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			archive := legacyArchive(t, "busybox:latest", tt.layer)
			c.fail(string(archive), "load: layer "+sha256Of(tt.layer)+": "+tt.want, "load")
			if after := c.storeState(); after != before {
				t.Errorf("refused load changed the store: %q -> %q", before, after)
			}
			c.fail(string(tt.layer), "import: "+tt.want, "import", "-", "bad:1")
			if after := c.storeState(); after != before {
				t.Errorf("refused import changed the store: %q -> %q", before, after)
			}
		})
	}
}

func sha256Of(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// legacyArchive is a pre-25 `docker save` tarball of one image with one
// uncompressed layer, tagged tag, whose config names the layer's true diff ID.
func legacyArchive(t *testing.T, tag string, layer []byte) []byte {
	t.Helper()
	cfg, _ := json.Marshal(map[string]any{"architecture": runtime.GOARCH, "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{sha256Of(layer)}}})
	cfgName := strings.TrimPrefix(sha256Of(cfg), "sha256:") + ".json"
	layerName := strings.TrimPrefix(sha256Of(layer), "sha256:") + "/layer.tar"
	manifest, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{tag}, "Layers": []string{layerName}}})
	return tarOf(t, map[string]string{"manifest.json": string(manifest), cfgName: string(cfg), layerName: string(layer)})
}
