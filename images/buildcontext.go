package images

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/go-archive/compression"
)

// MaxBuildContext bounds the bytes of the files a build context tar may
// unpack to.
const MaxBuildContext = 16 << 30

// ExtractBuildContext unpacks a build context tar (plain, gzip, bzip2, xz
// or zstd, as `docker build` sends it) into dir, which must exist.
// Directories, regular files, symlinks and hard links are kept, with their
// modes and times; device nodes and fifos are skipped, as a context has no
// use for them. Every write goes through an os.Root, so neither a ".." name
// nor a symlink the tar made earlier can reach outside dir; such a name is
// refused. More than limit bytes of files is refused.
func ExtractBuildContext(ctx context.Context, r io.Reader, dir string, limit int64) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("build context: %w", err)
	}
	defer root.Close()
	rd, err := compression.DecompressStream(&ctxReader{ctx: ctx, r: r})
	if err != nil {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("the build context could not be read: %v", err))
	}
	defer rd.Close()
	tr := tar.NewReader(rd)
	type dirTime struct {
		name string
		mt   time.Time
	}
	var dirs []dirTime
	bound := limit
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("the build context is not a valid tar: %v", err))
		}
		name, err := contextName(hdr.Name)
		if err != nil || name == "." {
			if err != nil {
				return err
			}
			continue
		}
		if limit -= max(hdr.Size, 0); limit < 0 {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("the build context is larger than %d bytes", bound))
		}
		if err := extractContextEntry(root, tr, hdr, name); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirTime{name, hdr.ModTime})
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- { // after their contents, which touch them
		_ = root.Chtimes(dirs[i].name, dirs[i].mt, dirs[i].mt)
	}
	return nil
}

// contextName cleans an entry's name, refusing one that climbs out.
func contextName(name string) (string, error) {
	clean := path.Clean(name)
	if path.IsAbs(clean) {
		clean = path.Clean(clean[1:])
		if clean == "" {
			clean = "."
		}
	}
	if climbs(clean) {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("the build context's entry %q points outside the context", name))
	}
	return clean, nil
}

// extractContextEntry writes one entry under root.
func extractContextEntry(root *os.Root, tr *tar.Reader, hdr *tar.Header, name string) error {
	refuse := func(err error) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("the build context's entry %q could not be unpacked: %v", hdr.Name, rootErr(err)))
	}
	if d := path.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return refuse(err)
		}
	}
	mode := os.FileMode(hdr.Mode).Perm()
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := root.MkdirAll(name, 0o755); err != nil {
			return refuse(err)
		}
		return chmodEntry(root, name, mode, refuse)
	case tar.TypeReg:
		_ = root.Remove(name)
		f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return refuse(err)
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return refuse(err)
		}
		if err := chmodEntry(root, name, mode, refuse); err != nil {
			return err
		}
		_ = root.Chtimes(name, hdr.ModTime, hdr.ModTime)
	case tar.TypeSymlink:
		_ = root.Remove(name)
		if err := root.Symlink(hdr.Linkname, name); err != nil {
			return refuse(err)
		}
	case tar.TypeLink:
		target, err := contextName(hdr.Linkname)
		if err != nil {
			return err
		}
		_ = root.Remove(name)
		if err := root.Link(target, name); err != nil {
			return refuse(err)
		}
	}
	return nil
}

func chmodEntry(root *os.Root, name string, mode os.FileMode, refuse func(error) error) error {
	if err := root.Chmod(name, mode); err != nil {
		return refuse(err)
	}
	return nil
}

// rootErr is the reason of an os.Root error without the path it repeats.
func rootErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
