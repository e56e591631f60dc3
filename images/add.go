package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// layerProgress receives byte counts while a layer blob is copied.
type layerProgress func(digest string, current, total int64, status string)

// AddImage copies a go-containerregistry image (from a registry, a tarball, a
// layout or built with mutate) into the store, verifying every blob's digest,
// and tags it. Nothing is recorded unless every blob arrived intact.
func (s *Store) AddImage(ctx context.Context, img v1.Image, tags ...string) (*Image, error) {
	out, err := s.addImage(ctx, img, tags, nil, nil)
	if err != nil {
		return nil, err
	}
	s.emitTags(out, tagRefs(tags))
	return out, nil
}

func (s *Store) addImage(ctx context.Context, img v1.Image, tags, digests []string, progress layerProgress) (*Image, error) {
	var norm []string
	for _, t := range tags {
		n, err := tagRef(t)
		if err != nil {
			return nil, err
		}
		norm = append(norm, n)
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(manifest))
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("parse manifest: %v", err))
	}
	tmp, done, err := s.tmpDir("add-")
	if err != nil {
		return nil, err
	}
	defer done()
	blobs, err := s.fetchLayers(ctx, img, m, tmp, progress)
	if err != nil {
		return nil, err
	}
	return s.commit(ctx, newImage{manifest: manifest, config: config, blobs: blobs, tags: norm, digests: digests})
}

// fetchLayers copies the layer blobs not yet in the store into tmp, three at a time.
func (s *Store) fetchLayers(ctx context.Context, img v1.Image, m *v1.Manifest, tmp string, progress layerProgress) (map[string]string, error) {
	var mu sync.Mutex
	blobs := map[string]string{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(3)
	if progress != nil {
		for _, d := range m.Layers {
			progress(d.Digest.String(), 0, d.Size, "Pulling fs layer")
		}
	}
	for _, d := range m.Layers {
		digest := d.Digest.String()
		g.Go(func() error {
			intact, err := s.haveIntact(gctx, digest, d.Size)
			if err != nil {
				return err
			}
			if intact {
				if progress != nil {
					progress(digest, d.Size, d.Size, "Already exists")
				}
				return nil
			}
			path, err := s.fetchLayer(gctx, img, d, tmp, progress)
			if err != nil {
				return err
			}
			mu.Lock()
			blobs[digest] = path
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return blobs, nil
}

// haveIntact reports whether the store holds the blob with the right size and
// content. Every local layer of a pulled image is hashed in full: a corrupt
// copy is then downloaded again (and replaced on commit) instead of being kept
// behind an "Already exists", and hashing runs at disk speed, small beside
// the registry round trips of a pull.
func (s *Store) haveIntact(ctx context.Context, digest string, size int64) (bool, error) {
	err := s.verifyBlob(ctx, digest, size)
	if err == nil {
		return true, nil
	}
	if ctx.Err() != nil {
		return false, fmt.Errorf("verify layer %s: %w", digest, ctx.Err())
	}
	return false, nil // missing, corrupt or unreadable: fetch a fresh copy
}

// fetchLayer copies one layer blob into a temp file and checks its digest and size.
func (s *Store) fetchLayer(ctx context.Context, img v1.Image, d v1.Descriptor, tmp string, progress layerProgress) (string, error) {
	digest := d.Digest.String()
	l, err := img.LayerByDigest(d.Digest)
	if err != nil {
		return "", fmt.Errorf("layer %s: %w", digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return "", fmt.Errorf("layer %s: %w", digest, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(tmp, "blob-")
	if err != nil {
		return "", fmt.Errorf("layer %s: %w", digest, err)
	}
	defer f.Close()
	h := sha256.New()
	pw := &progressWriter{digest: digest, total: d.Size, fn: progress}
	if progress != nil {
		progress(digest, 0, d.Size, "Downloading")
	}
	n, err := io.Copy(io.MultiWriter(f, h, pw), &ctxReader{ctx: ctx, r: rc})
	if err != nil {
		return "", fmt.Errorf("copy layer %s: %w", digest, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest || n != d.Size {
		return "", errdefs.ErrDataLoss.WithMessage(fmt.Sprintf("layer %s: got %d bytes with digest %s, want %d bytes", digest, n, got, d.Size))
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write layer %s: %w", digest, err)
	}
	if progress != nil {
		progress(digest, n, d.Size, "Download complete")
	}
	return f.Name(), nil
}

// progressWriter reports copied bytes at most every 256 KiB.
type progressWriter struct {
	digest     string
	total, n   int64
	lastReport int64
	fn         layerProgress
}

// Write counts b and reports progress.
func (p *progressWriter) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.fn != nil && p.n-p.lastReport >= 256<<10 {
		p.lastReport = p.n
		p.fn(p.digest, p.n, p.total, "Downloading")
	}
	return len(b), nil
}
