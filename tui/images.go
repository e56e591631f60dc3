package tui

import (
	"berth/engine"
	"context"
)

// imageEngine is an engine with an image API (*engine.Engine).
type imageEngine interface {
	ListImages(ctx context.Context, o engine.ImageListOptions) ([]engine.Image, error)
	PullImage(ctx context.Context, ref string, o engine.PullOptions) (*engine.Image, error)
	ImageHistory(ctx context.Context, ref string) ([]engine.HistoryEntry, error)
	RemoveImage(ctx context.Context, ref string, force bool) ([]engine.ImageDeleteResponse, error)
}

// engineImages is the ImageStore of an engine: every read and change goes
// through the engine's image API.
type engineImages struct{ eng imageEngine }

func (i engineImages) List(ctx context.Context, o engine.ImageListOptions) ([]engine.Image, error) {
	return i.eng.ListImages(ctx, o)
}

func (i engineImages) Pull(ctx context.Context, ref string, o engine.PullOptions) (*engine.Image, error) {
	return i.eng.PullImage(ctx, ref, o)
}

func (i engineImages) History(ctx context.Context, ref string) ([]engine.HistoryEntry, error) {
	return i.eng.ImageHistory(ctx, ref)
}

func (i engineImages) Remove(ctx context.Context, ref string, force bool) ([]engine.ImageDeleteResponse, error) {
	return i.eng.RemoveImage(ctx, ref, force)
}

// imagesOf returns the ImageStore of eng, or nil when it has no image API.
func imagesOf(eng Engine) ImageStore {
	if i, ok := eng.(imageEngine); ok {
		return engineImages{i}
	}
	return nil
}
