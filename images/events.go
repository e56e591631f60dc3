package images

import (
	"context"
	"strconv"
)

// Event is a change to the store, reported as Docker reports image events:
// pull, push, tag, untag, delete, load, import, save and prune.
type Event struct {
	// Action is what happened.
	Action string
	// ID is the image ID, or for pull and push the familiar reference
	// ("busybox:latest"), as in Docker.
	ID string
	// Attributes hold name (a reference, or the image ID when the image is
	// known by ID only) and the image's labels; a prune has reclaimed (bytes).
	Attributes map[string]string
}

// SetEventSink makes the store report every change it makes to sink (the
// engine appends them to its events log). Call it once, before the store is
// used; sink must not block.
func (s *Store) SetEventSink(sink func(Event)) { s.sink = sink }

// emit reports one change; img (optional) supplies the labels.
func (s *Store) emit(action, id, name string, img *Image) {
	if s.sink == nil {
		return
	}
	attrs := map[string]string{}
	if img != nil {
		for k, v := range img.Config.Config.Labels {
			attrs[k] = v
		}
	}
	if name != "" {
		attrs["name"] = name
	}
	s.sink(Event{Action: action, ID: id, Attributes: attrs})
}

// emitTags reports a tag event for each of tags given to img.
func (s *Store) emitTags(img *Image, tags []string) {
	for _, t := range tags {
		s.emit("tag", img.ID, t, img)
	}
}

// emitRemoved reports what a removal did: an untag per reference, a delete
// per image.
func (s *Store) emitRemoved(id string, img *Image, resp []DeleteResponse) {
	for _, r := range resp {
		switch {
		case r.Untagged != "":
			s.emit("untag", id, r.Untagged, img)
		case r.Deleted != "":
			s.emit("delete", r.Deleted, r.Deleted, img)
		}
	}
}

// emitPrune reports a prune and the bytes it reclaimed.
func (s *Store) emitPrune(reclaimed int64) {
	if s.sink != nil {
		s.sink(Event{Action: "prune", Attributes: map[string]string{"reclaimed": strconv.FormatInt(reclaimed, 10)}})
	}
}

// emitLoaded reports a loaded image: one load event per tag it came with, or
// one under its ID.
func (s *Store) emitLoaded(img *Image, tags []string) {
	if len(tags) == 0 {
		s.emit("load", img.ID, img.ID, img)
	}
	for _, t := range tags {
		s.emit("load", img.ID, t, img)
	}
}

// emitImported reports an image made from a root filesystem: its tags, then
// the import (named by its first tag, or its ID), as Docker does.
func (s *Store) emitImported(img *Image, tags []string) {
	s.emitTags(img, tags)
	name := img.ID
	if len(tags) > 0 {
		name = tags[0]
	}
	s.emit("import", img.ID, name, img)
}

// emitSaved reports a save event per image refs named, under the tag the
// reference named, or the image ID.
func (s *Store) emitSaved(ctx context.Context, refs []string) {
	if s.sink == nil {
		return
	}
	for _, ref := range refs {
		img, err := s.resolve(ctx, s.db, ref)
		if err != nil {
			continue // removed since it was written
		}
		name, _ := s.namedRef(ctx, ref, img.ID)
		if name == "" {
			name = img.ID
		}
		s.emit("save", img.ID, name, img)
	}
}

// tagRefs normalises references already checked to name tags.
func tagRefs(refs []string) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if t, err := tagRef(r); err == nil {
			out = append(out, t)
		}
	}
	return out
}
