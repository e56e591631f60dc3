package images

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestBootstrapBusyboxMountsAndRuns(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	ctx := context.Background()
	var lines []string
	img, err := s.Bootstrap(ctx, "busybox", func(l string) { lines = append(lines, l) })
	if err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	if len(lines) == 0 {
		t.Error("no progress lines")
	}
	again, err := s.Bootstrap(ctx, "busybox", nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != img.ID {
		t.Errorf("bootstrap not deterministic: %s then %s", img.ID, again.ID)
	}
	if got := img.Config.Config.Cmd; len(got) != 1 || got[0] != "sh" {
		t.Errorf("Cmd = %v", got)
	}
	if len(img.RepoTags) != 1 || img.RepoTags[0] != "busybox:latest" {
		t.Errorf("RepoTags = %v", img.RepoTags)
	}
	for _, ref := range []string{"busybox", "busybox:latest", "docker.io/library/busybox:latest",
		"index.docker.io/library/busybox", img.ID, strings.TrimPrefix(img.ID, "sha256:"), img.ID[7:19], img.ID[7:11],
		"busybox@" + img.ManifestDigest} {
		got, err := s.Resolve(ref)
		if err != nil {
			t.Errorf("Resolve(%q): %v", ref, err)
			continue
		}
		if got.ID != img.ID {
			t.Errorf("Resolve(%q) = %s, want %s", ref, got.ID, img.ID)
		}
	}
	root := mountImage(t, s, img)
	if fi, err := os.Lstat(filepath.Join(root, "bin/sh")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("bin/sh in mount: %v %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(root, "tmp")); err != nil || fi.Mode().Perm() != 0o777 || fi.Mode()&os.ModeSticky == 0 {
		t.Errorf("/tmp mode: %v %v", fi, err)
	}
	if out := runIn(t, root, "/bin/sh", "-c", "echo hello from $(id -un)"); out != "hello from root\n" {
		t.Errorf("sh in image said %q", out)
	}
}

func TestResolveUnknown(t *testing.T) {
	s := newStore(t)
	for _, ref := range []string{"foo", "foo:bar", "sha256:" + strings.Repeat("a", 64), "abcdef", "Not/Valid!"} {
		_, err := s.Resolve(ref)
		if !errdefs.IsNotFound(err) {
			t.Errorf("Resolve(%q) = %v, want not found", ref, err)
		}
		if err != nil && err.Error() != "no such image: "+ref {
			t.Errorf("Resolve(%q) error %q does not name the image", ref, err)
		}
	}
	if _, err := s.Bootstrap(context.Background(), "alpine", nil); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "busybox") {
		t.Errorf("Bootstrap(alpine) = %v, want invalid argument listing busybox", err)
	}
}

func TestPrepare120Layers(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	ctx := context.Background()
	var layers []v1.Layer
	for i := range 120 {
		layers = append(layers, layerOf(t, makeTar(t,
			tarEntry{name: fmt.Sprintf("f%03d", i), body: fmt.Sprint(i)},
			tarEntry{name: "top", body: fmt.Sprint(i)})))
	}
	img, err := s.AddImage(ctx, imageOf(t, v1.Config{Cmd: []string{"sh"}}, layers...), "many:layers")
	if err != nil {
		t.Fatalf("AddImage: %v", err)
	}
	if len(img.Layers) != 120 {
		t.Fatalf("image has %d layers", len(img.Layers))
	}
	root := mountImage(t, s, img)
	for i := range 120 {
		b, err := os.ReadFile(filepath.Join(root, fmt.Sprintf("f%03d", i)))
		if err != nil || string(b) != fmt.Sprint(i) {
			t.Fatalf("file of layer %d: %q %v", i, b, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, "top")); string(b) != "119" {
		t.Errorf("top = %q, want the top-most layer's 119", b)
	}
	// A second Prepare reuses the snapshots.
	before, _ := os.ReadDir(filepath.Join(s.Root(), "l"))
	if _, err := s.Prepare(ctx, img); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadDir(filepath.Join(s.Root(), "l"))
	if len(before) != 120 || len(after) != 120 {
		t.Errorf("links before/after second Prepare: %d/%d, want 120", len(before), len(after))
	}
}

func TestWhiteoutsBecomeOverlayForm(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	base := layerOf(t, makeTar(t,
		tarEntry{name: "keep", body: "k"}, tarEntry{name: "gone", body: "g"},
		tarEntry{name: "dir/", typ: '5', mode: 0o755}, tarEntry{name: "dir/old", body: "o"}))
	top := layerOf(t, makeTar(t,
		tarEntry{name: ".wh.gone"}, tarEntry{name: "dir/", typ: '5', mode: 0o755},
		tarEntry{name: "dir/.wh..wh..opq"}, tarEntry{name: "dir/new", body: "n"}))
	img, err := s.AddImage(context.Background(), imageOf(t, v1.Config{}, base, top))
	if err != nil {
		t.Fatal(err)
	}
	root := mountImage(t, s, img)
	for path, want := range map[string]bool{"keep": true, "gone": false, "dir/old": false, "dir/new": true} {
		_, err := os.Stat(filepath.Join(root, path))
		if (err == nil) != want {
			t.Errorf("%s exists=%v, want %v", path, err == nil, want)
		}
	}
}

func TestEmptyImagePrepares(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	img, err := s.AddImage(context.Background(), imageOf(t, v1.Config{Cmd: []string{"x"}}), "scratchy:1")
	if err != nil {
		t.Fatal(err)
	}
	root := mountImage(t, s, img)
	ents, err := os.ReadDir(root)
	if err != nil || len(ents) != 0 {
		t.Errorf("empty image mount has %v (%v)", ents, err)
	}
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestImport(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	ctx := context.Background()
	rootfs := makeTar(t, tarEntry{name: "bin/", typ: '5', mode: 0o755}, tarEntry{name: "bin/hello", body: "hi", mode: 0o755},
		tarEntry{name: "lib", typ: '2', link: "/usr/lib"}, tarEntry{name: "bin/rel", typ: '2', link: "../bin/hello"})
	for name, body := range map[string][]byte{"plain": rootfs, "gzip": gz(t, rootfs)} {
		img, err := s.Import(ctx, bytes.NewReader(body), "imp:"+name, `CMD ["/bin/hello"]`, "ENV A=1 B=\"two words\"", "WORKDIR /w", "EXPOSE 80")
		if err != nil {
			t.Fatalf("Import %s: %v", name, err)
		}
		c := img.Config.Config
		if strings.Join(c.Cmd, " ") != "/bin/hello" || strings.Join(c.Env, ",") != "A=1,B=two words" || c.WorkingDir != "/w" {
			t.Errorf("%s: config %+v", name, c)
		}
		if _, ok := c.ExposedPorts["80/tcp"]; !ok {
			t.Errorf("%s: ExposedPorts %v", name, c.ExposedPorts)
		}
		// The stored blob is the plain tar (its digest is its diff ID), so its
		// media type must say so, or other registry clients gunzip a tar.
		if l := img.Layers[0]; l.MediaType != "application/vnd.oci.image.layer.v1.tar" || l.Digest != l.DiffID {
			t.Errorf("%s: layer %s has media type %s", name, l.Digest, l.MediaType)
		}
		root := mountImage(t, s, img)
		if b, err := os.ReadFile(filepath.Join(root, "bin/hello")); err != nil || string(b) != "hi" {
			t.Errorf("%s: bin/hello = %q %v", name, b, err)
		}
	}
	list, err := s.List(ctx, ListOptions{Filters: map[string][]string{"reference": {"imp"}}})
	if err != nil || len(list) != 2 {
		t.Errorf("List reference=imp: %d images, %v", len(list), err)
	}
}

func TestImportRefusesBadTars(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	good := makeTar(t, tarEntry{name: "a", body: strings.Repeat("x", 2000)})
	cases := []struct {
		name, want string
		body       []byte
	}{
		{"dotdot", `"../evil"`, makeTar(t, tarEntry{name: "../evil", body: "x"})},
		{"nested dotdot", `"a/../../evil"`, makeTar(t, tarEntry{name: "a/../../evil", body: "x"})},
		{"absolute", `"/etc/evil"`, makeTar(t, tarEntry{name: "/etc/evil", body: "x"})},
		{"symlink out", `"link"`, makeTar(t, tarEntry{name: "link", typ: '2', link: "../../../etc"})},
		{"hardlink out", `"hl"`, makeTar(t, tarEntry{name: "hl", typ: '1', link: "../../etc/passwd"})},
		{"hardlink absolute", `"hl"`, makeTar(t, tarEntry{name: "hl", typ: '1', link: "/etc/passwd"})},
		{"truncated", `"a"`, good[:1024]},
		{"not a tar", "tar", bytes.Repeat([]byte("not a tar at all\n"), 100)},
		{"empty", "no entries", nil},
		{"truncated gzip", "", gz(t, good)[:40]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Import(ctx, bytes.NewReader(c.body), "bad:"+strings.ReplaceAll(c.name, " ", "-"))
			if err == nil {
				t.Fatal("Import accepted it")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			assertNothingStored(t, s)
		})
	}
}

// assertNothingStored checks the store holds no image, blob, snapshot or temp file.
func assertNothingStored(t *testing.T, s *Store) {
	t.Helper()
	list, err := s.List(context.Background(), ListOptions{All: true})
	if err != nil || len(list) != 0 {
		t.Errorf("store has %d images (%v)", len(list), err)
	}
	for _, d := range []string{"tmp", "snapshots", "l", "oci/blobs/sha256"} {
		ents, _ := os.ReadDir(filepath.Join(s.Root(), d))
		if len(ents) != 0 {
			t.Errorf("%s not empty: %v", d, ents)
		}
	}
}
