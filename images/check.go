package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
)

// CheckReport is what Check found in the store.
type CheckReport struct {
	// Verified is the number of blobs whose content was hashed.
	Verified int
	// Corrupt lists blobs whose content does not match their digest.
	Corrupt []BlobIssue
	// Missing lists blobs that images need but the store lacks.
	Missing []BlobIssue
	// OrphanBlobs are the digests of blobs no image references (removed by a
	// repair).
	OrphanBlobs []string
	// OrphanSnapshots are the chain IDs of unpacked layers no image owns
	// (removed by a repair).
	OrphanSnapshots []string
	// Temps are the temp files and dirs and half-made unpacks of killed
	// processes (removed by a repair).
	Temps []string
	// StaleIndex says index.json does not list the recorded images as it
	// should (rewritten by a repair).
	StaleIndex bool
	// Freed is the bytes a repair removed (orphans and stale temp files).
	Freed int64
}

// BlobIssue is one corrupt or missing blob and the images that use it.
type BlobIssue struct {
	// Digest names the blob ("sha256:...").
	Digest string
	// Images are the IDs of the images that reference it, sorted.
	Images []string
	// Problem says what is wrong, as one sentence.
	Problem string
}

// Clean reports whether the check found nothing wrong.
func (r CheckReport) Clean() bool {
	return len(r.Corrupt)+len(r.Missing)+len(r.OrphanBlobs)+len(r.OrphanSnapshots)+len(r.Temps) == 0 && !r.StaleIndex
}

// storeRefs is what the image records reference.
type storeRefs struct {
	blobs map[string][]string // blob hex → IDs of the images using it
	sizes map[string]int64    // layer blob hex → size the manifest gives
	snaps map[string]bool     // snapshot dir name → owned
	// layers are the layers with a given blob hex (several chains may
	// share one blob), for a layer kept as its snapshot alone (lazy.go).
	layers map[string][]Layer
}

// references reads every image record and collects the blobs and snapshots
// they use. The caller holds the store lock when the answer must stay true.
func (s *Store) references(ctx context.Context) (storeRefs, error) {
	refs := storeRefs{blobs: map[string][]string{}, sizes: map[string]int64{}, snaps: map[string]bool{emptySnapshot: true},
		layers: map[string][]Layer{}}
	imgs, err := s.allImages(ctx, s.db)
	if err != nil {
		return refs, err
	}
	for _, img := range imgs {
		id := img.ID
		use := func(d string) {
			h := hexOf(d)
			if u := refs.blobs[h]; len(u) == 0 || u[len(u)-1] != id {
				refs.blobs[h] = append(u, id)
			}
		}
		use(img.ID)
		use(img.ManifestDigest)
		for _, l := range img.Layers {
			use(l.Digest)
			refs.sizes[hexOf(l.Digest)] = l.Size
			refs.layers[hexOf(l.Digest)] = append(refs.layers[hexOf(l.Digest)], l)
			refs.snaps[hexOf(l.ChainID)] = true
		}
	}
	return refs, nil
}

// Check verifies the store: it hashes every blob and compares it with its
// digest (and layers with their recorded size), and lists blobs that images
// need but are missing, blobs no image references and snapshots no image
// owns. With repair it then removes the orphans (as image removal's garbage
// collection does) and stale temp files; corrupt blobs an image uses are kept
// and reported, since only a new copy repairs them: pulling or loading the
// image again replaces them. It is meant for `berth system check`.
func (s *Store) Check(ctx context.Context, repair bool) (CheckReport, error) {
	var rep CheckReport
	refs, blobs, snaps, temps, stale, err := s.checkListing(ctx)
	if err != nil {
		return rep, err
	}
	rep.StaleIndex = stale
	rep.Temps = append(temps, s.sweepTemps(false)...)
	present := map[string]bool{}
	for _, name := range blobs {
		present[name] = true
		if _, used := refs.blobs[name]; !used {
			rep.OrphanBlobs = append(rep.OrphanBlobs, asDigest(name))
		}
		if !hexRe().MatchString(name) {
			continue // not named by a digest: an orphan, nothing to verify
		}
		err := s.verifyBlob(ctx, "sha256:"+name, refs.size(name))
		if ctx.Err() != nil {
			return rep, fmt.Errorf("check image store: %w", ctx.Err())
		}
		if errdefs.IsNotFound(err) {
			continue // removed since the listing
		}
		rep.verified(name, refs.blobs[name], err)
	}
	for name, users := range refs.blobs {
		if present[name] {
			continue
		}
		switch lazy, err := s.checkLazy(ctx, refs.layers[name]); {
		case ctx.Err() != nil:
			return rep, fmt.Errorf("check image store: %w", ctx.Err())
		case lazy:
			rep.verified(name, users, err)
		default:
			// A save or push may have written a lazy layer's blob since
			// the listing.
			if err := s.verifyBlob(ctx, "sha256:"+name, refs.size(name)); !errdefs.IsNotFound(err) {
				rep.verified(name, users, err)
				continue
			}
			rep.Missing = append(rep.Missing, BlobIssue{Digest: "sha256:" + name, Images: users,
				Problem: "blob sha256:" + name + " is missing from the store"})
		}
	}
	for _, name := range snaps {
		if !refs.snaps[name] {
			rep.OrphanSnapshots = append(rep.OrphanSnapshots, asDigest(name))
		}
	}
	sortIssues(rep.Missing)
	if repair {
		unlock, err := s.lock(ctx)
		if err != nil {
			return rep, err
		}
		defer unlock()
		if rep.Freed, err = s.gc(ctx); err != nil {
			return rep, err
		}
		s.sweepTemps(true)
		if err := s.syncIndex(ctx); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// size is the size the manifests give the blob with hex name, -1 when
// none does (a config or manifest blob).
func (r storeRefs) size(name string) int64 {
	if size, ok := r.sizes[name]; ok {
		return size
	}
	return -1
}

// verified counts a blob the check hashed, as corrupt when err says so.
func (r *CheckReport) verified(name string, images []string, err error) {
	r.Verified++
	if err != nil {
		r.Corrupt = append(r.Corrupt, BlobIssue{Digest: "sha256:" + name, Images: images, Problem: err.Error()})
	}
}

// checkLazy verifies a blob that is absent because its layer is kept as a
// snapshot alone (lazy.go): the snapshot's tar must still give the layer. It
// reports whether one of layers is such a layer.
func (s *Store) checkLazy(ctx context.Context, layers []Layer) (bool, error) {
	for i := range layers {
		if dir, ok := s.lazyDir(&layers[i]); ok {
			return true, s.verifyLazy(ctx, dir, &layers[i])
		}
	}
	return false, nil
}

// checkListing reads the records and lists the blob files, snapshot dirs and
// temp files of killed writers under the store lock, so no commit is
// half-way; hashing happens after.
func (s *Store) checkListing(ctx context.Context) (refs storeRefs, blobs, snaps, temps []string, stale bool, err error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return refs, nil, nil, nil, false, err
	}
	defer unlock()
	if refs, err = s.references(ctx); err != nil {
		return refs, nil, nil, nil, false, err
	}
	if blobs, err = listNames(filepath.Join(string(s.lp), "blobs", "sha256")); err != nil {
		return refs, nil, nil, nil, false, err
	}
	if snaps, err = listNames(filepath.Join(s.root, "snapshots")); err != nil {
		return refs, nil, nil, nil, false, err
	}
	stale, err = s.indexStale(ctx)
	return refs, blobs, snaps, s.deadLayoutTemps(), stale, err
}

// listNames lists a directory's entries, leaving out dot names (temp files of
// commits and unpacks in progress).
func listNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("check image store: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// hexRe matches the hex part of a sha256 digest.
var hexRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-f0-9]{64}$`) })

// asDigest turns a blob or snapshot file name back into a digest when it is one.
func asDigest(name string) string {
	if hexRe().MatchString(name) {
		return "sha256:" + name
	}
	return name
}

func sortIssues(list []BlobIssue) {
	sort.Slice(list, func(i, j int) bool { return list[i].Digest < list[j].Digest })
}
