package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"berth/images"
)

// BuildKit writes a history row for each ARG ("ARG V=1", a bare "ARG C"
// without a value). berth's steps are images built on one another and
// cached by their parent, so a row in the step's own image would make a new
// ARG value miss the cache of every later step, where Docker misses only
// from the first step that reads the value (a RUN). The rows are therefore
// kept aside as the stage runs and put into the history, each where its
// ARG stood, by one more image made when the stage ends: the stage's last
// image with the rows inserted, cached by that image and the rows.

// argRow is one ARG's history row and where it goes: before the history
// entry at index at of the stage's final image.
type argRow struct {
	at      int
	text    string
	created time.Time // when the ARG was reached, the row's time
}

// historyLen is how many history entries img has (none for scratch).
func historyLen(img *images.Image) int {
	if img == nil {
		return 0
	}
	return len(img.Config.History)
}

// addArgRows makes the stage's image with its ARG rows in its history.
func (bd *build) addArgRows(ctx context.Context, s *stageState) error {
	if len(s.argRows) == 0 || s.img == nil {
		return nil
	}
	old := s.img.Config.History
	hist := make([]v1.History, 0, len(old)+len(s.argRows))
	h := sha256.New()
	io.WriteString(h, s.img.ID+"\x00arg rows")
	next := 0
	for _, r := range s.argRows {
		at := min(max(r.at, next), len(old))
		hist = append(hist, old[next:at]...)
		hist = append(hist, v1.History{Created: v1.Time{Time: r.created}, CreatedBy: r.text, EmptyLayer: true})
		next = at
		fmt.Fprintf(h, "\x00%d %s", at, r.text)
	}
	hist = append(hist, old[next:]...)
	key := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if !bd.opts.NoCache {
		img, ok, err := bd.store.CacheLookup(ctx, key)
		if err != nil {
			return err
		}
		if ok {
			s.img = img
			return nil
		}
	}
	img, err := bd.store.Commit(ctx, images.CommitOptions{Parent: s.img, Config: s.cfg, Ext: s.ext, Author: s.author, History: hist})
	if err != nil {
		return fmt.Errorf("record the ARG history rows: %w", err)
	}
	s.img = img
	return bd.store.CacheStore(ctx, key, img.ID)
}
