package images

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/go-archive/compression"
)

// layerFile is a layer blob written to a temp file, ready to commit.
type layerFile struct {
	path      string
	digest    string
	diffID    string
	size      int64
	mediaType types.MediaType
}

// Import makes a one-layer image from a root filesystem tar (plain, gzip, xz,
// bzip2 or zstd, detected by magic), as `docker import` does, applies Dockerfile
// style changes ("CMD ["sh"]", "ENV A=b", "WORKDIR /x", ...) and tags it ref
// (none when ref is ""). Unsafe or damaged tars are refused and nothing is kept.
func (s *Store) Import(ctx context.Context, r io.Reader, ref string, changes ...string) (*Image, error) {
	return s.ImportWith(ctx, r, ImportOptions{Ref: ref, Changes: changes})
}

// ImportOptions tune ImportWith.
type ImportOptions struct {
	Ref     string   // tag the image so ("": none)
	Changes []string // Dockerfile instructions applied to the config
	// Message is the image's comment and its history entry's (docker import
	// -m); "" is dockerd's "Imported from -".
	Message string
}

// ImportWith is Import with a commit message.
func (s *Store) ImportWith(ctx context.Context, r io.Reader, o ImportOptions) (*Image, error) {
	ref, changes := o.Ref, o.Changes
	var tags []string
	if ref != "" {
		t, err := tagRef(ref)
		if err != nil {
			return nil, err
		}
		tags = []string{t}
	}
	cfg := v1.ConfigFile{Architecture: runtime.GOARCH, OS: "linux", Created: v1.Time{Time: time.Now().UTC()}}
	var ext ConfigExt
	if err := ApplyChanges(&cfg.Config, &ext, changes); err != nil {
		return nil, err
	}
	tmp, done, err := s.tmpDir("import-")
	if err != nil {
		return nil, err
	}
	defer done()
	lf, err := s.writeLayer(ctx, tmp, r)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	msg := o.Message
	if msg == "" {
		msg = "Imported from -"
	}
	cfg.History = []v1.History{{Created: cfg.Created, Comment: msg}}
	img, err := s.commitLayersExt(ctx, cfg, ext, []layerFile{lf}, tags, "", nil)
	if err != nil {
		return nil, err
	}
	s.emitImported(img, tags)
	return img, nil
}

// tagRef normalises a reference that must name a tag (not a digest).
func tagRef(ref string) (string, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return "", err
	}
	if r.Digest != "" {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("reference %q: cannot tag with a digest", ref))
	}
	return r.TagRef(), nil
}

// writeLayer decompresses a tar stream into an uncompressed layer file under dir,
// checking every entry and computing its digest. A stream without entries is
// refused: it is no archive.
func (s *Store) writeLayer(ctx context.Context, dir string, r io.Reader) (layerFile, error) {
	return s.writeLayerOf(ctx, dir, r, false)
}

// emptyTar is a tar archive without entries: its end marker, two zero
// blocks. It is Docker's empty layer.
var emptyTar [1024]byte

// writeLayerOf is writeLayer; with emptyOK a stream without entries is the
// empty layer (a commit of a container that changed nothing), as Docker's.
func (s *Store) writeLayerOf(ctx context.Context, dir string, r io.Reader, emptyOK bool) (layerFile, error) {
	if d, ok := r.(*diffTar); ok {
		return writeDiffTar(ctx, dir, d, emptyOK)
	}
	rd, err := compression.DecompressStream(&ctxReader{ctx: ctx, r: r})
	if err != nil {
		return layerFile{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("read archive: %v", err))
	}
	defer rd.Close()
	f, err := os.CreateTemp(dir, "layer-")
	if err != nil {
		return layerFile{}, fmt.Errorf("create layer file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	cw := &countWriter{}
	// The tar reader reads in small pieces: buffered, the file gets few large
	// writes (a 21 MB layer: 2,600 writes of 8 KiB otherwise).
	bw := bufio.NewWriterSize(f, 1<<20)
	n, err := checkTarCount(io.TeeReader(rd, io.MultiWriter(bw, h, cw)), io.Discard)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return layerFile{}, err
	}
	if n == 0 && !emptyOK {
		return layerFile{}, errdefs.ErrInvalidArgument.WithMessage("not a tar archive (no entries)")
	}
	if n == 0 { // whatever the stream held, the layer is the empty archive
		if err := f.Truncate(0); err != nil {
			return layerFile{}, fmt.Errorf("write layer file: %w", err)
		}
		if _, err := f.WriteAt(emptyTar[:], 0); err != nil {
			return layerFile{}, fmt.Errorf("write layer file: %w", err)
		}
		h.Reset()
		h.Write(emptyTar[:])
		cw.n = int64(len(emptyTar))
	}
	if err := f.Close(); err != nil {
		return layerFile{}, fmt.Errorf("write layer file: %w", err)
	}
	d := "sha256:" + hex.EncodeToString(h.Sum(nil))
	return layerFile{path: f.Name(), digest: d, diffID: d, size: cw.n, mediaType: types.OCIUncompressedLayer}, nil
}

// writeDiffTar stores a tar of the store's own making in one pass, in large
// writes, hashing as it goes: a 21 MB COPY layer took 100-140 ms through the
// checks and the decompression sniffing an outside archive needs (each byte
// copied four times, the file written 8 KiB at a time), 30-40 ms so.
func writeDiffTar(ctx context.Context, dir string, d *diffTar, emptyOK bool) (layerFile, error) {
	f, err := os.CreateTemp(dir, "layer-")
	if err != nil {
		return layerFile{}, fmt.Errorf("create layer file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := copyHashing(f, h, &ctxReader{ctx: ctx, r: d})
	if err != nil {
		return layerFile{}, fmt.Errorf("write layer file: %w", err)
	}
	if n <= int64(len(emptyTar)) && !emptyOK {
		return layerFile{}, errdefs.ErrInvalidArgument.WithMessage("not a tar archive (no entries)")
	}
	if err := f.Close(); err != nil {
		return layerFile{}, fmt.Errorf("write layer file: %w", err)
	}
	dg := "sha256:" + hex.EncodeToString(h.Sum(nil))
	return layerFile{path: f.Name(), digest: dg, diffID: dg, size: n, mediaType: types.OCIUncompressedLayer}, nil
}

// copyHashing copies r to w in 1 MiB pieces and writes each piece to h
// too, on another goroutine: the hash of one piece runs while the next is
// read and written.
func copyHashing(w io.Writer, h hash.Hash, r io.Reader) (int64, error) {
	const pieces = 4
	free := make(chan []byte, pieces)
	for range pieces {
		free <- make([]byte, 1<<20)
	}
	toHash := make(chan []byte, pieces)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range toHash {
			h.Write(b)
			free <- b[:cap(b)]
		}
	}()
	var n int64
	var err error
	for err == nil {
		b := <-free
		var m int
		m, err = io.ReadFull(r, b)
		if m > 0 {
			if _, werr := w.Write(b[:m]); werr != nil {
				err = werr
				break
			}
			n += int64(m)
			toHash <- b[:m]
		}
	}
	close(toHash)
	<-hashed
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}

type countWriter struct{ n int64 }

// Write counts b.
func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// commitLayers builds an OCI manifest for cfg over the given layers (setting the
// config's diff IDs) and commits the image.
func (s *Store) commitLayers(ctx context.Context, cfg v1.ConfigFile, layers []layerFile, tags []string, parent string) (*Image, error) {
	return s.commitLayersExt(ctx, cfg, ConfigExt{}, layers, tags, parent, nil)
}

// commitLayersExt is commitLayers writing the set fields of ext into the
// config too, and making the snapshot of a lazy top layer (adopt, when not
// nil) as it records the image.
func (s *Store) commitLayersExt(ctx context.Context, cfg v1.ConfigFile, ext ConfigExt, layers []layerFile, tags []string, parent string, adopt *adoption) (*Image, error) {
	cfg.RootFS = v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{}}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Layers: []v1.Descriptor{}}
	blobs := map[string]string{}
	for _, l := range layers {
		diff, err := v1.NewHash(l.diffID)
		if err != nil {
			return nil, fmt.Errorf("layer diff ID: %w", err)
		}
		dig, err := v1.NewHash(l.digest)
		if err != nil {
			return nil, fmt.Errorf("layer digest: %w", err)
		}
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, diff)
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: l.mediaType, Size: l.size, Digest: dig})
		if l.path != "" {
			blobs[l.digest] = l.path
		}
	}
	cb, err := marshalConfig(&cfg, ext)
	if err != nil {
		return nil, err
	}
	ch, _ := v1.NewHash(digestOf(cb))
	m.Config = v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(cb)), Digest: ch}
	mb, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return s.commit(ctx, newImage{manifest: mb, config: cb, blobs: blobs, tags: tags, parent: parent, adopt: adopt})
}

// ImportFile is Import reading from a file path ("-" is not special here).
func (s *Store) ImportFile(ctx context.Context, path, ref string, changes ...string) (*Image, error) {
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	defer f.Close()
	return s.Import(ctx, f, ref, changes...)
}
