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

// ErrUnsafeLayer classifies layers refused because an entry would escape the root
// or could not be unpacked as written.
var ErrUnsafeLayer = errdefs.ErrInvalidArgument.WithMessage("unsafe layer entry")

// plainError is an error whose text is one sentence of its own; its class (an
// errdefs error or a sentinel of this package) is reachable with errors.Is but
// does not add its text to the message.
type plainError struct {
	msg   string
	class error
}

// Error returns the sentence.
func (e *plainError) Error() string { return e.msg }

// Unwrap returns the error's class.
func (e *plainError) Unwrap() error { return e.class }

// plainf makes a plainError of the given class.
func plainf(class error, format string, args ...any) error {
	return &plainError{msg: fmt.Sprintf(format, args...), class: class}
}

// tarChecker is the one validator every layer tar goes through (load, import,
// pull's unpack and build alike). It refuses entries that would write or point
// outside the root: absolute or ".."-climbing names, hard links that leave the
// root or name no earlier entry of the same layer (which also rules out link
// loops), relative symlinks that climb above the root, and device nodes when
// not root. Absolute symlink targets are kept: they resolve inside the
// container's root at run time (real images rely on them) and the unpacker
// never follows them. Device nodes are allowed for root, as Docker allows them.
type tarChecker struct {
	// seen maps each cleaned entry name to the type of its latest entry.
	seen map[string]byte
}

func newTarChecker() *tarChecker { return &tarChecker{seen: map[string]byte{}} }

// check judges one header in stream order.
func (c *tarChecker) check(hdr *tar.Header) error {
	name := hdr.Name
	if strings.ContainsRune(name, 0) || strings.ContainsRune(hdr.Linkname, 0) {
		return plainf(ErrUnsafeLayer, "entry %q has a NUL byte in its name or link target", name)
	}
	if strings.HasPrefix(name, "/") {
		return plainf(ErrUnsafeLayer, "entry %q has an absolute path", name)
	}
	clean := path.Clean(name)
	if climbs(clean) {
		return plainf(ErrUnsafeLayer, "entry %q escapes the layer root", name)
	}
	if hdr.Size < 0 {
		return plainf(ErrUnsafeLayer, "entry %q has a negative size", name)
	}
	if err := c.checkType(hdr, clean); err != nil {
		return err
	}
	c.seen[clean] = hdr.Typeflag
	return nil
}

// checkType applies the rules of the entry's type.
func (c *tarChecker) checkType(hdr *tar.Header, clean string) error {
	name := hdr.Name
	switch hdr.Typeflag {
	case tar.TypeLink:
		return c.checkHardLink(name, clean, hdr.Linkname)
	case tar.TypeSymlink:
		if !strings.HasPrefix(hdr.Linkname, "/") && climbs(path.Join(path.Dir(clean), hdr.Linkname)) {
			return plainf(ErrUnsafeLayer, "entry %q is a symlink to %q, outside the layer root", name, hdr.Linkname)
		}
	case tar.TypeChar, tar.TypeBlock:
		if os.Geteuid() != 0 {
			return plainf(ErrUnsafeLayer, "entry %q is a device node, which only root can unpack", name)
		}
	case tar.TypeReg, tar.TypeRegA, tar.TypeDir, tar.TypeFifo, tar.TypeXGlobalHeader:
	default:
		return plainf(ErrUnsafeLayer, "entry %q has unsupported type %q", name, hdr.Typeflag)
	}
	return nil
}

// checkHardLink accepts a hard link only to a non-directory that an earlier
// entry of the same layer made: the unpacker links within one layer's
// directory, so anything else fails (or escapes) there.
func (c *tarChecker) checkHardLink(name, clean, link string) error {
	target := path.Clean(link)
	switch typ, ok := c.seen[target]; {
	case strings.HasPrefix(link, "/") || climbs(target) || target == ".":
		return plainf(ErrUnsafeLayer, "entry %q is a hard link to %q, outside the layer root", name, link)
	case target == clean:
		return plainf(ErrUnsafeLayer, "entry %q is a hard link to itself", name)
	case !ok:
		return plainf(ErrUnsafeLayer, "entry %q is a hard link to %q, which no earlier entry of the layer creates", name, link)
	case typ == tar.TypeDir:
		return plainf(ErrUnsafeLayer, "entry %q is a hard link to the directory %q", name, link)
	}
	return nil
}

// climbs reports whether a cleaned relative path leaves its root.
func climbs(clean string) bool { return clean == ".." || strings.HasPrefix(clean, "../") }

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
	c := newTarChecker()
	n := 0
	last := ""
	for ; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, damaged(n, last, err)
		}
		if err := c.check(hdr); err != nil {
			return n, err
		}
		last = hdr.Name
		hdr.Format = tar.FormatUnknown
		if err := tw.WriteHeader(hdr); err != nil {
			return n, fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
			if err := copyData(tw, tr, hdr); err != nil {
				return n, err
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

// copyData copies one regular entry's data, refusing data shorter than the
// header says (a lying size or a truncated stream).
func copyData(w io.Writer, tr *tar.Reader, hdr *tar.Header) error {
	got, err := io.Copy(w, tr)
	if errors.Is(err, io.ErrUnexpectedEOF) || (err == nil && got != hdr.Size) {
		return plainf(ErrUnsafeLayer, "entry %q holds %d bytes of data, but its header says %d", hdr.Name, got, hdr.Size)
	}
	if err != nil {
		return fmt.Errorf("entry %q: %w", hdr.Name, err)
	}
	return nil
}

// damaged describes a tar stream that stopped parsing after n good entries.
func damaged(n int, last string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		if n == 0 {
			return plainf(errdefs.ErrInvalidArgument, "tar stream is truncated in its first header (unexpected EOF)")
		}
		return plainf(errdefs.ErrInvalidArgument, "tar stream is truncated after entry %q (unexpected EOF)", last)
	}
	if n == 0 {
		return plainf(errdefs.ErrInvalidArgument, "tar stream is damaged in its first header (%v)", err)
	}
	return plainf(errdefs.ErrInvalidArgument, "tar stream is damaged after entry %q (%v)", last, err)
}
