package engine

import (
	"context"
	"fmt"
	"io"

	"berth/images"
	"berth/images/audit"
)

// AuditImage checks the image ref names for the pitfalls package audit knows
// (runs as root, secrets in any layer, no healthcheck, wasted bytes) and
// returns the image with its findings. Every layer is read on its own, so a
// secret a later layer deletes is still found.
func (e *Engine) AuditImage(ctx context.Context, ref string) (*images.Image, []audit.Finding, error) {
	img, err := e.images.Resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	read := func(i int, fn func(io.Reader) error) error {
		return e.images.ReadLayer(ctx, &img.Layers[i], fn)
	}
	fs, err := audit.Image(&img.Config, len(img.Layers), read)
	if err != nil {
		return nil, nil, fmt.Errorf("audit %s: %w", ref, err)
	}
	return img, fs, nil
}

// CheckDockerfile checks a Dockerfile and its build context (contextDir, ""
// for none) without building, as `docker build --check` does.
func (e *Engine) CheckDockerfile(src []byte, name, contextDir string) ([]audit.Finding, error) {
	return audit.Dockerfile(src, name, contextDir)
}
