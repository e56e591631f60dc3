package images

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// DeleteResponse reports one step of a removal, as `docker rmi` prints it:
// either a reference that was untagged or an image that was deleted.
type DeleteResponse struct {
	Untagged string
	Deleted  string
}

// HistoryEntry is one line of `docker history`.
type HistoryEntry struct {
	// ID is the image ID on the top entry, then that of each parent image
	// still stored on the entries below it (one each, as Docker walks the
	// parent chain), and "<missing>" on the rest.
	ID        string
	Created   time.Time
	CreatedBy string
	Comment   string
	// Size is the size of the layer the step made (0 for steps without a layer).
	Size int64
	// Tags are the tags of the image of ID.
	Tags       []string
	EmptyLayer bool
}

// Tag gives the image that src names the tag target ("repo[:tag]"), moving the
// tag from any image that had it. A tag already on the image changes nothing
// on disk; its tag event is still reported, as dockerd does.
func (s *Store) Tag(ctx context.Context, src, target string) error {
	t, err := tagRef(target)
	if err != nil {
		return err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	img, err := s.resolve(ctx, s.db, src)
	if err != nil {
		return err
	}
	if slices.Contains(img.RepoTags, t) {
		// Already in place: nothing changes on disk, but dockerd still
		// reports the tag (its reference store's AddTag of the same ID is a
		// no-op, the event is logged after it).
		s.emitTags(img, []string{t})
		return nil
	}
	if err := s.beginChange(ctx); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, "INSERT OR REPLACE INTO img_tags (ref, image_id) VALUES (?, ?)", t, img.ID); err != nil {
		return fmt.Errorf("tag %s as %s: %w", src, target, err)
	}
	s.emitTags(img, []string{t})
	if err := s.syncIndex(ctx); err != nil {
		return err
	}
	return s.endChange()
}

// History lists the steps that made an image, newest first.
func (s *Store) History(ctx context.Context, ref string) ([]HistoryEntry, error) {
	img, err := s.resolve(ctx, s.db, ref)
	if err != nil {
		return nil, err
	}
	var out []HistoryEntry
	layer := 0
	for _, h := range img.Config.History {
		e := HistoryEntry{ID: "<missing>", Created: h.Created.Time, CreatedBy: h.CreatedBy, Comment: h.Comment, EmptyLayer: h.EmptyLayer}
		if !h.EmptyLayer && layer < len(img.Layers) {
			e.Size = img.Layers[layer].ContentSize
			layer++
		}
		out = append([]HistoryEntry{e}, out...)
	}
	if len(out) == 0 {
		out = []HistoryEntry{{Created: img.Created}}
	}
	out[0].ID, out[0].Tags = img.ID, img.RepoTags
	for i, p := 1, img.Parent; i < len(out) && p != ""; i++ {
		parent, err := s.resolve(ctx, s.db, p)
		if err != nil {
			break // the parent is gone: the rest are <missing>
		}
		// A parent names the row it added only while the histories line up
		// (below an image that rewrote its history, a build stage's ARG
		// rows, the rows are <missing>).
		if ph := parent.Config.History; len(ph) != len(out)-i || ph[len(ph)-1].CreatedBy != out[i].CreatedBy {
			break
		}
		out[i].ID, out[i].Tags, p = parent.ID, parent.RepoTags, parent.Parent
	}
	return out, nil
}

// Remove removes an image reference with `docker rmi` semantics: a tag is
// untagged, and the image is deleted once no tag is left; an ID deletes the image
// with all its tags (refused without force when several repositories use it).
// An image one of users' containers uses, or a container holds (see Acquire),
// or with child images, is never deleted: without force that is an
// errdefs.ErrConflict naming the container as dockerd does (running or
// stopped); with force an image a running container uses is still refused by
// ID, and one only stopped containers use is untagged. Blobs and snapshots no
// remaining image uses are then removed.
func (s *Store) Remove(ctx context.Context, ref string, force bool, users UsersFunc) ([]DeleteResponse, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.beginChange(ctx); err != nil {
		return nil, err
	}
	img, resp, err := s.removeTx(ctx, ref, force, users)
	if err != nil {
		_ = s.endChange() // nothing changed
		return nil, err
	}
	s.emitRemoved(img.ID, img, resp)
	s.at("image.rm.untagged")
	return resp, s.collect(ctx)
}

// removeTx resolves ref, checks the image's users and removes what the plan
// says in one transaction, so no container can take the image in between.
func (s *Store) removeTx(ctx context.Context, ref string, force bool, users UsersFunc) (*Image, []DeleteResponse, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("remove image %s: %w", ref, err)
	}
	defer tx.Rollback()
	img, err := s.resolve(ctx, tx, ref)
	if err != nil {
		return nil, nil, err
	}
	key, table := s.namedRefQ(ctx, tx, ref, img.ID)
	use, err := imageUsage(ctx, tx, img.ID, users)
	if err != nil {
		return nil, nil, err
	}
	plan, err := s.planRemove(ctx, tx, img, key, table, force, use, ref)
	if err != nil {
		return nil, nil, err
	}
	resp, err := applyRemove(ctx, tx, img.ID, plan)
	if err != nil {
		return nil, nil, err
	}
	if plan.delete {
		parents, err := s.removeParents(ctx, tx, img, users.inUse)
		if err != nil {
			return nil, nil, err
		}
		resp = append(resp, parents...)
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("remove image %s: %w", img.ID, err)
	}
	return img, resp, nil
}

// namedRef returns the tag or digest key when ref named the image by reference
// rather than by ID.
func (s *Store) namedRef(ctx context.Context, ref, id string) (key, table string) {
	return s.namedRefQ(ctx, s.db, ref, id)
}

func (s *Store) namedRefQ(ctx context.Context, q queryer, ref, id string) (key, table string) {
	r, err := ParseReference(ref)
	if err != nil {
		return "", ""
	}
	key, table = r.TagRef(), "img_tags"
	if r.Digest != "" {
		key, table = r.Repo+"@"+r.Digest, "img_digests"
	}
	var got string
	if err := q.QueryRowContext(ctx, "SELECT image_id FROM "+table+" WHERE ref = ?", key).Scan(&got); err != nil || got != id {
		return "", ""
	}
	return key, table
}

// removePlan says which references to drop and whether to delete the image.
type removePlan struct {
	untag  map[string]string // ref → table
	delete bool
}

// planRemove decides what removing ref (resolved to img; key and table are
// its reference when it named one) does, or refuses it as dockerd does.
func (s *Store) planRemove(ctx context.Context, q queryer, img *Image, key, table string, force bool, use usage, ref string) (removePlan, error) {
	short := shortID(img.ID)
	children, err := hasChildren(ctx, q, img.ID)
	if err != nil {
		return removePlan{}, err
	}
	all := map[string]string{}
	for _, t := range img.RepoTags {
		all[t] = "img_tags"
	}
	for _, d := range img.RepoDigests {
		all[d] = "img_digests"
	}
	if key != "" {
		untag := untagRefs(img, key, table)
		if len(untag) < len(all) {
			return removePlan{untag: untag}, nil
		}
		switch {
		case use.used && !force:
			return removePlan{}, errdefs.ErrConflict.WithMessage(fmt.Sprintf("conflict: unable to remove repository reference %q (must force) - %s is using its referenced image %s", ref, containerWord(use.anyUser()), short))
		case use.used || children:
			return removePlan{untag: all}, nil
		}
		return removePlan{untag: all, delete: true}, nil
	}
	refuse := func(hard bool, why string) (removePlan, error) {
		how := "must be forced"
		if hard {
			how = "cannot be forced"
		}
		return removePlan{}, errdefs.ErrConflict.WithMessage(fmt.Sprintf("conflict: unable to delete %s (%s) - %s", short, how, why))
	}
	switch {
	case len(img.RepoTags) > 1 && !force:
		return refuse(false, "image is referenced in multiple repositories")
	case children:
		return refuse(true, "image has dependent child images")
	case use.running != "":
		return refuse(true, "image is being used by running container "+shortID(use.running))
	case use.used && !force:
		return refuse(false, "image is being used by "+stoppedWord(use.stopped))
	case use.used:
		return removePlan{untag: all}, nil
	}
	return removePlan{untag: all, delete: true}, nil
}

// untagRefs is what the removal of reference key (in table) of img drops:
// key, and, as dockerd does, when key is the last tag of its repository,
// that repository's digest references too (else a pulled image untagged
// would stay listed as "repo <none>").
func untagRefs(img *Image, key, table string) map[string]string {
	untag := map[string]string{key: table}
	if table != "img_tags" {
		return untag
	}
	repo := refRepo(key)
	for _, t := range img.RepoTags {
		if t != key && refRepo(t) == repo {
			return untag
		}
	}
	for _, d := range img.RepoDigests {
		if refRepo(d) == repo {
			untag[d] = "img_digests"
		}
	}
	return untag
}

// refRepo is the familiar repository of a stored reference ("" if it does
// not parse).
func refRepo(ref string) string {
	r, err := ParseReference(ref)
	if err != nil {
		return ""
	}
	return r.Repo
}

func hasChildren(ctx context.Context, q queryer, id string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM img_images WHERE parent = ?", id).Scan(&n); err != nil {
		return false, fmt.Errorf("look up children of %s: %w", id, err)
	}
	return n > 0, nil
}

// applyRemove carries out a plan in the caller's transaction.
func applyRemove(ctx context.Context, tx *sql.Tx, id string, plan removePlan) ([]DeleteResponse, error) {
	var resp []DeleteResponse
	refs := make([]string, 0, len(plan.untag))
	for ref := range plan.untag {
		refs = append(refs, ref)
	}
	// Tags before digests, each sorted, as dockerd lists them.
	sort.Slice(refs, func(i, j int) bool {
		if ti, tj := plan.untag[refs[i]], plan.untag[refs[j]]; ti != tj {
			return ti == "img_tags"
		}
		return refs[i] < refs[j]
	})
	for _, ref := range refs {
		table := plan.untag[ref]
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE ref = ?", ref); err != nil {
			return nil, fmt.Errorf("untag %s: %w", ref, err)
		}
		resp = append(resp, DeleteResponse{Untagged: ref})
	}
	if plan.delete {
		if err := deleteImageRow(ctx, tx, id); err != nil {
			return nil, err
		}
		resp = append(resp, DeleteResponse{Deleted: id})
	}
	return resp, nil
}

func deleteImageRow(ctx context.Context, tx *sql.Tx, id string) error {
	for _, q := range []string{"DELETE FROM img_tags WHERE image_id = ?", "DELETE FROM img_digests WHERE image_id = ?", "DELETE FROM img_images WHERE id = ?"} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("delete image %s: %w", id, err)
		}
	}
	return nil
}

// Prune deletes dangling images (all unused images when all is set) that no
// container uses, then the blobs and snapshots nothing references. It returns
// what it removed and the bytes reclaimed on disk.
func (s *Store) Prune(ctx context.Context, all bool, inUse func(imageID string) bool) ([]DeleteResponse, int64, error) {
	return s.prune(ctx, all, inUse, nil)
}

// prune is Prune over the images in only (all images when only is nil);
// restricted, it records no image prune event (its caller records its own).
func (s *Store) prune(ctx context.Context, all bool, inUse func(imageID string) bool, only map[string]bool) ([]DeleteResponse, int64, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer unlock()
	if err := s.beginChange(ctx); err != nil {
		return nil, 0, err
	}
	ids, err := s.allIDs(ctx, s.db)
	if err != nil {
		return nil, 0, err
	}
	var resp []DeleteResponse
	for _, id := range ids {
		if only != nil && !only[id] {
			continue
		}
		img, r, err := s.pruneOne(ctx, id, all, inUse)
		if err != nil {
			return resp, 0, err
		}
		if len(r) > 0 {
			s.emitRemoved(id, img, r)
			resp = append(resp, r...)
		}
	}
	reclaimed, err := s.gc(ctx)
	if err != nil {
		return resp, reclaimed, err
	}
	if only == nil {
		s.emitPrune(reclaimed)
	}
	if err := s.syncIndex(ctx); err != nil {
		return resp, reclaimed, err
	}
	return resp, reclaimed, s.endChange()
}

// pruneOne deletes one image when it is prunable, deciding and deleting in one
// transaction; an image that went meanwhile or is kept yields no response.
func (s *Store) pruneOne(ctx context.Context, id string, all bool, inUse func(string) bool) (*Image, []DeleteResponse, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("prune image %s: %w", id, err)
	}
	defer tx.Rollback()
	img, err := s.loadImage(ctx, tx, id)
	if errdefs.IsNotFound(err) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if !all && len(img.RepoTags) > 0 {
		return img, nil, nil
	}
	used, err := held(ctx, tx, id, inUse)
	if err != nil || used {
		return img, nil, err
	}
	if children, err := hasChildren(ctx, tx, id); err != nil || children {
		return img, nil, err
	}
	r, err := applyRemove(ctx, tx, id, removePlan{untag: refsOf(img), delete: true})
	if err != nil {
		return nil, nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("prune image %s: %w", id, err)
	}
	return img, r, nil
}

func refsOf(img *Image) map[string]string {
	m := map[string]string{}
	for _, t := range img.RepoTags {
		m[t] = "img_tags"
	}
	for _, d := range img.RepoDigests {
		m[d] = "img_digests"
	}
	return m
}

func shortID(id string) string {
	h := strings.TrimPrefix(id, "sha256:")
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}
