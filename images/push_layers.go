package images

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// pushLayers uploads img's layers to repo one by one, reporting each as
// dockerd does, by the short form of its diff ID: "Preparing" for all, then
// "Layer already exists" for one the registry has, or "Pushing" with byte
// counts and "Pushed". The manifest and config follow (remote.Write), which
// finds the layers there.
func pushLayers(ctx context.Context, repo name.Repository, img v1.Image, opts []remote.Option, send func(Progress)) error {
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("read local layers: %w", err)
	}
	ids := make([]string, len(layers))
	for i, l := range layers {
		diffID, err := l.DiffID()
		if err != nil {
			return fmt.Errorf("read local layer: %w", err)
		}
		ids[i] = shortID(diffID.String())
		send(Progress{ID: ids[i], Status: "Preparing"})
	}
	for i, l := range layers {
		if err := pushLayer(ctx, repo, l, ids[i], opts, send); err != nil {
			return err
		}
	}
	return nil
}

// pushLayer uploads one layer unless the registry has it.
func pushLayer(ctx context.Context, repo name.Repository, l v1.Layer, id string, opts []remote.Option, send func(Progress)) error {
	digest, err := l.Digest()
	if err != nil {
		return fmt.Errorf("read local layer %s: %w", id, err)
	}
	if there, err := remote.Layer(repo.Digest(digest.String()), opts...); err == nil {
		if ex, ok := there.(interface{ Exists() (bool, error) }); ok {
			if have, err := ex.Exists(); err == nil && have {
				send(Progress{ID: id, Status: "Layer already exists"})
				return nil
			}
		}
	}
	updates := make(chan v1.Update, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range updates {
			send(Progress{ID: id, Current: u.Complete, Total: u.Total, Status: "Pushing"})
		}
	}()
	err = remote.WriteLayer(repo, l, append(opts[:len(opts):len(opts)], remote.WithProgress(updates))...)
	<-done
	if err != nil {
		return err
	}
	send(Progress{ID: id, Status: "Pushed"})
	return nil
}
