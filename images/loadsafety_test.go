package images

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// archiveImage is one image of a hand-built load archive.
type archiveImage struct {
	tag       string
	layers    [][]byte // layer blobs, stored as given (uncompressed tars here)
	diffIDs   []string // when set, replaces the layers' real diff IDs
	sizeDelta int64    // added to each layer's manifest size (OCI only)
}

// sha is the sha256 digest of b.
func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// configFor is the image config of an archive image.
func (a archiveImage) config() []byte {
	diffs := a.diffIDs
	if diffs == nil {
		for _, l := range a.layers {
			diffs = append(diffs, sha(l))
		}
	}
	b, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Labels": map[string]string{"tag": a.tag}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffs}})
	return b
}

// buildArchive writes images as a pre-25 `docker save` tarball (manifest.json,
// <id>.json, <dir>/layer.tar) or, with oci, as an OCI image layout tarball.
func buildArchive(t testing.TB, oci bool, imgs ...archiveImage) []byte {
	t.Helper()
	return tarFiles(t, archiveFiles(oci, imgs...))
}

// archiveFiles are the files of the archive buildArchive makes, by path.
func archiveFiles(oci bool, imgs ...archiveImage) map[string][]byte {
	files := map[string][]byte{}
	var manifest []map[string]any
	var index []map[string]any
	for _, img := range imgs {
		cfg := img.config()
		if !oci {
			e := map[string]any{"Config": hexOf(sha(cfg)) + ".json", "RepoTags": []string{img.tag}}
			files[hexOf(sha(cfg))+".json"] = cfg
			var paths []string
			for _, l := range img.layers {
				p := hexOf(sha(l)) + "/layer.tar"
				files[p] = l
				paths = append(paths, p)
			}
			e["Layers"] = paths
			manifest = append(manifest, e)
			continue
		}
		files[blobName(sha(cfg))] = cfg
		var layers []map[string]any
		for _, l := range img.layers {
			files[blobName(sha(l))] = l
			layers = append(layers, map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar",
				"digest": sha(l), "size": int64(len(l)) + img.sizeDelta})
		}
		m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
			"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(cfg), "size": len(cfg)},
			"layers": layers})
		files[blobName(sha(m))] = m
		index = append(index, map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(m),
			"size": len(m), "annotations": map[string]string{"io.containerd.image.name": img.tag}})
	}
	if oci {
		files["oci-layout"] = []byte(`{"imageLayoutVersion":"1.0.0"}`)
		files["index.json"], _ = json.Marshal(map[string]any{"schemaVersion": 2, "manifests": index})
	} else {
		files["manifest.json"], _ = json.Marshal(manifest)
	}
	return files
}

// tarFiles makes a tar of regular files in name order.
func tarFiles(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var entries []tarEntry
	for name, b := range files {
		entries = append(entries, tarEntry{name: name, body: string(b)})
	}
	sortEntries(entries)
	return makeTar(t, entries...)
}

func sortEntries(e []tarEntry) {
	for i := range e {
		for j := i + 1; j < len(e); j++ {
			if e[j].name < e[i].name {
				e[i], e[j] = e[j], e[i]
			}
		}
	}
}

// lieSize rewrites the size field of the first header of a tar to n.
func lieSize(t testing.TB, b []byte, n int64) []byte {
	t.Helper()
	out := bytes.Clone(b)
	copy(out[124:136], fmt.Sprintf("%011o\x00", n))
	copy(out[148:156], "        ")
	sum := 0
	for _, c := range out[:512] {
		sum += int(c)
	}
	copy(out[148:156], fmt.Sprintf("%06o\x00 ", sum))
	if _, err := tar.NewReader(bytes.NewReader(out)).Next(); err != nil {
		t.Fatalf("lieSize made a bad header: %v", err)
	}
	return out
}

// storeState lists every file under the store root (path, type, content hash
// or link target) and every image record, tag and digest.
func storeState(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(s.Root(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.Root(), p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v", rel, fi.Mode())
		switch {
		case fi.Mode().IsRegular():
			c, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %s", sha(c))
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			fmt.Fprintf(&b, " -> %s", l)
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SELECT id || manifest || size || config || layers || parent FROM img_images ORDER BY id",
		"SELECT ref || '=' || image_id FROM img_tags ORDER BY ref", "SELECT ref || '=' || image_id FROM img_digests ORDER BY ref"} {
		rows, err := s.db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				t.Fatal(err)
			}
			b.WriteString(r + "\n")
		}
		rows.Close()
	}
	return b.String()
}

// unsafeLayers are layer tars that must be refused, with the text the error must hold.
func unsafeLayers(t testing.TB) []struct {
	name, want string
	layer      []byte
} {
	big := makeTar(t, tarEntry{name: "big", body: strings.Repeat("b", 5000)})
	return []struct {
		name, want string
		layer      []byte
	}{
		{"dotdot", `entry "../etc/passwd" escapes the layer root`, makeTar(t, tarEntry{name: "ok", body: "1"}, tarEntry{name: "../etc/passwd", body: "x"})},
		{"climbing inside", `entry "a/../../x" escapes the layer root`, makeTar(t, tarEntry{name: "a/../../x", body: "x"})},
		{"absolute", `entry "/etc/passwd" has an absolute path`, makeTar(t, tarEntry{name: "/etc/passwd", body: "x"})},
		{"hardlink out", `entry "h" is a hard link to "../../etc/shadow", outside the layer root`,
			makeTar(t, tarEntry{name: "h", typ: tar.TypeLink, link: "../../etc/shadow"})},
		{"hardlink absolute", `entry "h" is a hard link to "/etc/shadow", outside the layer root`,
			makeTar(t, tarEntry{name: "h", typ: tar.TypeLink, link: "/etc/shadow"})},
		{"hardlink to nothing", `entry "h" is a hard link to "gone", which no earlier entry of the layer creates`,
			makeTar(t, tarEntry{name: "h", typ: tar.TypeLink, link: "gone"})},
		{"hardlink loop", `entry "a" is a hard link to "b", which no earlier entry`,
			makeTar(t, tarEntry{name: "a", typ: tar.TypeLink, link: "b"}, tarEntry{name: "b", typ: tar.TypeLink, link: "a"})},
		{"hardlink to itself", `entry "a" is a hard link to itself`, makeTar(t, tarEntry{name: "a", typ: tar.TypeLink, link: "./a"})},
		{"hardlink to a directory", `entry "h" is a hard link to the directory "d"`,
			makeTar(t, tarEntry{name: "d/", typ: tar.TypeDir, mode: 0o755}, tarEntry{name: "h", typ: tar.TypeLink, link: "d"})},
		{"symlink out", `entry "a/l" is a symlink to "../../x", outside the layer root`,
			makeTar(t, tarEntry{name: "a/", typ: tar.TypeDir, mode: 0o755}, tarEntry{name: "a/l", typ: tar.TypeSymlink, link: "../../x"})},
		{"size larger than data", `entry "big" holds`, lieSize(t, big, 9000)},
		{"size smaller than data", `tar stream is damaged after entry "big"`, lieSize(t, big, 10)},
		{"truncated in data", `entry "big" holds 3584 bytes of data, but its header says 5000`, big[:512+3584]},
		{"truncated in a header", `tar stream is truncated after entry "a"`,
			makeTar(t, tarEntry{name: "a", body: "1"}, tarEntry{name: "b", body: "2"})[:1024+100]},
	}
}

func TestLoadRefusesUnsafeLayersStoringNothing(t *testing.T) {
	requireRoot(t) // the kept image is unpacked, as a run would
	ctx := context.Background()
	good := makeTar(t, tarEntry{name: "good", body: "g"})
	for _, oci := range []bool{false, true} {
		s := newStore(t)
		kept, err := s.AddImage(ctx, imageOf(t, v1.Config{}, layerOf(t, good)), "keep:1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Prepare(ctx, kept); err != nil {
			t.Fatal(err)
		}
		// The archive builder itself makes loadable archives.
		if _, err := newStore(t).Load(ctx, bytes.NewReader(buildArchive(t, oci, archiveImage{tag: "fine:1", layers: [][]byte{good}})), nil); err != nil {
			t.Fatalf("oci=%v: a good archive: %v", oci, err)
		}
		before := storeState(t, s)
		for _, c := range unsafeLayers(t) {
			t.Run(fmt.Sprintf("oci=%v/%s", oci, c.name), func(t *testing.T) {
				// A good image first: a refused archive must not store it either.
				body := buildArchive(t, oci, archiveImage{tag: "new:1", layers: [][]byte{good}},
					archiveImage{tag: "keep:1", layers: [][]byte{good, c.layer}})
				_, err := s.Load(ctx, bytes.NewReader(body), nil)
				wantLoadError(t, err, "load: layer "+sha(c.layer)+": "+c.want, errdefs.ErrInvalidArgument)
				if after := storeState(t, s); after != before {
					t.Errorf("refused load changed the store:\n%s\nthen\n%s", before, after)
				}
			})
		}
	}
}

func TestLoadRefusesLyingDigestsStoringNothing(t *testing.T) {
	ctx := context.Background()
	layer := makeTar(t, tarEntry{name: "a", body: strings.Repeat("a", 3000)})
	other := makeTar(t, tarEntry{name: "b", body: "b"})
	cases := []struct {
		name, want string
		oci        bool
		img        archiveImage
		class      error
	}{
		{"legacy diff ID", "load: layer " + sha(layer) + ": content digest " + sha(layer) + " does not match diff ID " + sha(other),
			false, archiveImage{tag: "x:1", layers: [][]byte{layer}, diffIDs: []string{sha(other)}}, errdefs.ErrInvalidArgument},
		{"oci diff ID", "does not match diff ID " + sha(other),
			true, archiveImage{tag: "x:1", layers: [][]byte{layer}, diffIDs: []string{sha(other)}}, errdefs.ErrInvalidArgument},
		{"oci layer size", fmt.Sprintf("load: blob %s is corrupt: it holds %d bytes, not %d", sha(layer), len(layer), len(layer)+1),
			true, archiveImage{tag: "x:1", layers: [][]byte{layer}, sizeDelta: 1}, ErrCorruptBlob},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			if _, err := s.AddImage(ctx, imageOf(t, v1.Config{}, layerOf(t, other)), "x:1"); err != nil {
				t.Fatal(err)
			}
			before := storeState(t, s)
			_, err := s.Load(ctx, bytes.NewReader(buildArchive(t, c.oci, c.img)), nil)
			wantLoadError(t, err, c.want, c.class)
			if after := storeState(t, s); after != before {
				t.Errorf("refused load changed the store")
			}
		})
	}
	// A blob whose bytes differ from its name in an OCI layout.
	body := buildArchive(t, true, archiveImage{tag: "x:1", layers: [][]byte{layer}})
	tampered := bytes.Replace(body, []byte(strings.Repeat("a", 100)), []byte(strings.Repeat("A", 100)), 1)
	_, err := newStore(t).Load(ctx, bytes.NewReader(tampered), nil)
	wantLoadError(t, err, "load: blob "+sha(layer)+" is corrupt: its content has digest ", ErrCorruptBlob)
}

// wantLoadError checks a refusal's text (a prefix when want ends the
// sentence's subject, else a substring), class and form: one line, with no
// error-class suffix.
func wantLoadError(t *testing.T, err error, want string, class error) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	if !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("error %q\nwant it to hold %q", msg, want)
	}
	if !errors.Is(err, class) {
		t.Errorf("error %q is not %v", msg, class)
	}
	for _, suffix := range []string{"invalid argument", "data loss", "unsafe layer entry"} {
		if strings.HasSuffix(msg, suffix) {
			t.Errorf("error %q ends with its class", msg)
		}
	}
}

func TestImportRefusesUnsafeTarsStoringNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Import(ctx, bytes.NewReader(makeTar(t, tarEntry{name: "f", body: "1"})), "keep:1"); err != nil {
		t.Fatal(err)
	}
	before := storeState(t, s)
	for _, c := range unsafeLayers(t) {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Import(ctx, bytes.NewReader(c.layer), "keep:1")
			if err == nil || !strings.HasPrefix(err.Error(), "import: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Import: %v, want %q", err, c.want)
			}
			if after := storeState(t, s); after != before {
				t.Errorf("refused import changed the store")
			}
		})
	}
}

func TestCheckTarAcceptsHardLinksToEarlierEntries(t *testing.T) {
	ok := [][]tarEntry{
		{{name: "./a", body: "x"}, {name: "./b", typ: tar.TypeLink, link: "a"}},
		{{name: "d/", typ: tar.TypeDir, mode: 0o755}, {name: "d/f", body: "x"}, {name: "g", typ: tar.TypeLink, link: "./d/f"}},
		{{name: "l", typ: tar.TypeSymlink, link: "/x"}, {name: "h", typ: tar.TypeLink, link: "l"}},
		{{name: "a", body: "x"}, {name: "b", typ: tar.TypeLink, link: "a"}, {name: "c", typ: tar.TypeLink, link: "b"}},
	}
	for i, entries := range ok {
		if err := checkTar(bytes.NewReader(makeTar(t, entries...)), new(bytes.Buffer)); err != nil {
			t.Errorf("case %d refused: %v", i, err)
		}
	}
}
