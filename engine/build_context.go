package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"

	"berth/images"
	"berth/images/build"
)

// BuildFromTar builds with the build context read from r, a tar (plain or
// compressed) as `docker build` sends it to the daemon. The context is
// unpacked into a private directory under the data root that is removed
// when the build ends (and swept by recovery when the process is killed).
// When o.Dockerfile is empty the Dockerfile is read from the context at
// dockerfile ("Dockerfile" when empty).
func (e *Engine) BuildFromTar(ctx context.Context, r io.Reader, dockerfile string, o BuildOptions, progress func(build.Event)) (*images.Image, error) {
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	dir, done, err := e.images.TempDir("build-context-")
	if err != nil {
		return nil, err
	}
	defer done()
	ctxDir := filepath.Join(dir, "context")
	if err := os.Mkdir(ctxDir, 0o755); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	if err := images.ExtractBuildContext(ctx, r, ctxDir, images.MaxBuildContext); err != nil {
		return nil, err
	}
	o.ContextDir = ctxDir
	if len(o.Dockerfile) == 0 {
		if dockerfile == "" {
			dockerfile = "Dockerfile"
		}
		if o.Dockerfile, err = readContextFile(ctxDir, dockerfile); err != nil {
			return nil, err
		}
		o.DockerfileName = path.Base(dockerfile)
	}
	return e.Build(ctx, o, progress)
}

// readContextFile reads name inside the context, never following a link
// out of it.
func readContextFile(dir, name string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	defer root.Close()
	b, err := root.ReadFile(strings.TrimPrefix(path.Clean("/"+name), "/"))
	if errors.Is(err, fs.ErrNotExist) || err != nil && !errors.Is(err, fs.ErrPermission) {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("cannot locate specified Dockerfile: %s", name))
	}
	if err != nil {
		return nil, fmt.Errorf("read the Dockerfile %s: %w", name, err)
	}
	return b, nil
}
