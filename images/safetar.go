package images

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/containerd/errdefs"
)

// ErrUnsafeLayer classifies layers refused because an entry would escape the root.
var ErrUnsafeLayer = errdefs.ErrInvalidArgument.WithMessage("unsafe layer entry")

// checkEntry refuses tar entries that would write or point outside the root:
// absolute or ".."-climbing names, hard links whose target leaves the root,
// relative symlinks that climb above the root, and device nodes when not root.
// Absolute symlink targets are kept: they resolve inside the container's root
// at run time (real images rely on them) and the unpacker never follows them.
func checkEntry(hdr *tar.Header) error {
	name := hdr.Name
	if strings.HasPrefix(name, "/") {
		return fmt.Errorf("entry %q: absolute path: %w", name, ErrUnsafeLayer)
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("entry %q: path leaves the root: %w", name, ErrUnsafeLayer)
	}
	if strings.ContainsRune(name, 0) {
		return fmt.Errorf("entry %q: NUL in name: %w", name, ErrUnsafeLayer)
	}
	switch hdr.Typeflag {
	case tar.TypeLink:
		t := path.Clean(hdr.Linkname)
		if strings.HasPrefix(hdr.Linkname, "/") || t == ".." || strings.HasPrefix(t, "../") || t == "." {
			return fmt.Errorf("entry %q: hard link to %q leaves the root: %w", name, hdr.Linkname, ErrUnsafeLayer)
		}
	case tar.TypeSymlink:
		if !strings.HasPrefix(hdr.Linkname, "/") {
			t := path.Join(path.Dir(clean), hdr.Linkname)
			if t == ".." || strings.HasPrefix(t, "../") {
				return fmt.Errorf("entry %q: symlink to %q leaves the root: %w", name, hdr.Linkname, ErrUnsafeLayer)
			}
		}
	case tar.TypeChar, tar.TypeBlock:
		if os.Geteuid() != 0 {
			return fmt.Errorf("entry %q: device node needs root: %w", name, ErrUnsafeLayer)
		}
	case tar.TypeReg, tar.TypeDir, tar.TypeFifo, tar.TypeXGlobalHeader:
	default:
		if hdr.Typeflag == tar.TypeRegA {
			return nil
		}
		return fmt.Errorf("entry %q: unsupported type %q: %w", name, hdr.Typeflag, ErrUnsafeLayer)
	}
	if hdr.Size < 0 {
		return fmt.Errorf("entry %q: negative size: %w", name, ErrUnsafeLayer)
	}
	return nil
}

// checkTar copies a tar stream from r to w entry by entry, refusing unsafe entries
// and entries whose data is shorter than the header declares. It reads r to its
// end, so a hash of r covers the whole stream.
func checkTar(r io.Reader, w io.Writer) error {
	_, err := checkTarCount(r, w)
	return err
}

// checkTarCount is checkTar that also returns the number of entries.
func checkTarCount(r io.Reader, w io.Writer) (int, error) {
	tr := tar.NewReader(r)
	tw := tar.NewWriter(w)
	n := 0
	for ; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("read tar entry %d: %v", n+1, err))
		}
		if err := checkEntry(hdr); err != nil {
			return n, err
		}
		hdr.Format = tar.FormatUnknown
		if err := tw.WriteHeader(hdr); err != nil {
			return n, fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
			got, err := io.Copy(tw, tr)
			if err != nil {
				return n, fmt.Errorf("entry %q: %w", hdr.Name, err)
			}
			if got != hdr.Size {
				return n, fmt.Errorf("entry %q: %d bytes of data, header says %d: %w", hdr.Name, got, hdr.Size, ErrUnsafeLayer)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return n, fmt.Errorf("finish tar stream: %w", err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return n, fmt.Errorf("read tar padding: %w", err)
	}
	return n, nil
}
