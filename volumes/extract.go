package volumes

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// ExtractOptions tune ExtractIntoWith.
type ExtractOptions struct {
	// KeepOwner keeps the archive's uid/gid, as dockerd's archive PUT does;
	// otherwise everything extracted belongs to the container's root user, 0:0
	// (berth cp).
	KeepOwner bool
	// NoOverwriteDirNonDir refuses an entry that would replace a directory
	// with something else or something else with a directory (the Docker
	// API's noOverwriteDirNonDir, which docker cp sets).
	NoOverwriteDirNonDir bool
	// Owner, when set, owns every extracted entry whatever the archive or
	// KeepOwner says (the Docker API's copyUIDGID into a container with a
	// user: `docker cp -a`).
	Owner *Owner
}

// Owner is a numeric user and group.
type Owner struct {
	UID, GID int
}

// ExtractInto untars r into the directory dstPath of the container whose root is
// rootfs (`docker cp - CONTAINER:path`), as root:root. See ExtractIntoWith.
func ExtractInto(rootfs, dstPath string, r io.Reader) error {
	return ExtractIntoWith(rootfs, dstPath, r, ExtractOptions{})
}

// ExtractIntoWith untars r into dstPath resolved inside rootfs. The archive is
// spooled and checked whole first: an entry with an absolute name, a name or hard
// link leaving dstPath through "..", or a path through a symlink the archive
// itself makes refuses the archive with errdefs.ErrInvalidArgument naming the
// entry, and nothing is written. Parent directories already in the container are
// resolved inside rootfs (their symlinks never lead out of it). A missing dstPath
// is errdefs.ErrNotFound; one that is not a directory, ErrInvalidArgument.
func ExtractIntoWith(rootfs, dstPath string, r io.Reader, opts ExtractOptions) error {
	if err := checkContainerPath(dstPath); err != nil {
		return err
	}
	dstHost, err := securejoin.SecureJoin(rootfs, filepath.Join("/", dstPath))
	if err != nil {
		return fmt.Errorf("resolve %s in container: %w", dstPath, err)
	}
	st, err := os.Stat(dstHost)
	if errors.Is(err, os.ErrNotExist) {
		return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("could not find the file %s in container", dstPath))
	}
	if err != nil {
		return fmt.Errorf("stat %s in container: %w", dstPath, err)
	}
	if !st.IsDir() {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("extract to %s: destination must be a directory", dstPath))
	}
	spool, err := os.CreateTemp("", "berth-cp-*.tar")
	if err != nil {
		return fmt.Errorf("spool archive: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	if _, err := io.Copy(spool, r); err != nil {
		return fmt.Errorf("spool archive: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool archive: %w", err)
	}
	if err := checkArchive(spool); err != nil {
		return err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool archive: %w", err)
	}
	rel, err := filepath.Rel(rootfs, dstHost)
	if err != nil {
		return fmt.Errorf("extract to %s: %w", dstPath, err)
	}
	x := &extractor{rootfs: rootfs, dst: filepath.Join("/", rel), opts: opts}
	return x.run(tar.NewReader(spool))
}

// cleanEntry checks one archive path: relative and staying below the destination.
func cleanEntry(name string) (string, error) {
	if name == "" {
		return "", errdefs.ErrInvalidArgument.WithMessage("archive entry with an empty name")
	}
	if filepath.IsAbs(name) {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("archive entry %q has an absolute path", name))
	}
	clean := filepath.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("archive entry %q escapes the destination", name))
	}
	return clean, nil
}

// checkArchive reads every header and refuses the archive on the first bad one.
func checkArchive(r io.Reader) error {
	tr := tar.NewReader(r)
	links := map[string]bool{} // symlinks the archive makes
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("read archive: %v", err))
		}
		clean, err := cleanEntry(hdr.Name)
		if err != nil {
			return err
		}
		paths := []string{clean}
		if hdr.Typeflag == tar.TypeLink {
			target, err := cleanEntry(hdr.Linkname)
			if err != nil {
				return fmt.Errorf("hard link %q: %w", hdr.Name, err)
			}
			paths = append(paths, target)
		}
		for _, p := range paths {
			for dir := filepath.Dir(p); dir != "."; dir = filepath.Dir(dir) {
				if links[dir] {
					return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("archive entry %q goes through the symlink %q it makes", hdr.Name, dir))
				}
			}
		}
		delete(links, clean)
		if hdr.Typeflag == tar.TypeSymlink {
			links[clean] = true
		}
	}
}

// extractor writes checked entries below dst (a container path) in rootfs.
type extractor struct {
	rootfs string
	dst    string
	opts   ExtractOptions
	dirs   []dirTimes
}

type dirTimes struct {
	path         string
	atime, mtime time.Time
}

func (x *extractor) run(tr *tar.Reader) error {
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		if err := x.entry(hdr, tr); err != nil {
			return fmt.Errorf("extract %s: %w", hdr.Name, err)
		}
	}
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		if err := os.Chtimes(d.path, d.atime, d.mtime); err != nil {
			return fmt.Errorf("set times of %s: %w", d.path, err)
		}
	}
	return nil
}

// hostPath resolves an archive path's parent inside rootfs, creating missing
// directories, and returns the host path of the entry itself (not resolved).
func (x *extractor) hostPath(name string) (string, error) {
	clean := filepath.Clean(name)
	parent, err := securejoin.SecureJoin(x.rootfs, filepath.Join(x.dst, filepath.Dir(clean)))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	if clean == "." {
		return parent, nil
	}
	return filepath.Join(parent, filepath.Base(clean)), nil
}

// entry writes one archive entry and its metadata.
func (x *extractor) entry(hdr *tar.Header, r io.Reader) error {
	p, err := x.hostPath(hdr.Name)
	if err != nil {
		return err
	}
	if filepath.Clean(hdr.Name) == "." {
		return nil // the destination itself keeps its metadata
	}
	if err := clearFor(p, hdr.Typeflag == tar.TypeDir, x.opts.NoOverwriteDirNonDir); err != nil {
		return err
	}
	mode := uint32(hdr.Mode) & 0o7777
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err = os.Mkdir(p, 0o700); errors.Is(err, os.ErrExist) {
			err = nil
		}
	case tar.TypeReg:
		err = writeFile(p, r)
	case tar.TypeSymlink:
		err = os.Symlink(hdr.Linkname, p)
	case tar.TypeLink:
		var target string
		if target, err = x.hostPath(hdr.Linkname); err == nil {
			err = os.Link(target, p)
		}
	case tar.TypeFifo:
		err = unix.Mkfifo(p, mode)
	case tar.TypeChar, tar.TypeBlock:
		kind := uint32(unix.S_IFCHR)
		if hdr.Typeflag == tar.TypeBlock {
			kind = unix.S_IFBLK
		}
		err = unix.Mknod(p, kind|mode, int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))))
	default:
		return nil // pax globals and other kinds carry nothing to write
	}
	if err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeLink {
		return nil
	}
	return x.meta(p, hdr, mode)
}

// clearFor removes what is at p unless it is a directory that stays a
// directory; with keepKind, a directory replaced by a non-directory (or the
// reverse) is refused instead.
func clearFor(p string, wantDir, keepKind bool) error {
	st, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.IsDir() && wantDir {
		return nil
	}
	if keepKind && st.IsDir() {
		return errdefs.ErrInvalidArgument.WithMessage("cannot overwrite a directory with a non-directory")
	}
	if keepKind && wantDir {
		return errdefs.ErrInvalidArgument.WithMessage("cannot overwrite a non-directory with a directory")
	}
	if st.IsDir() {
		return os.RemoveAll(p)
	}
	return os.Remove(p)
}

func writeFile(p string, r io.Reader) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// meta sets owner, xattrs, mode and times of an extracted entry.
func (x *extractor) meta(p string, hdr *tar.Header, mode uint32) error {
	uid, gid := 0, 0
	switch {
	case x.opts.Owner != nil:
		uid, gid = x.opts.Owner.UID, x.opts.Owner.GID
	case x.opts.KeepOwner:
		uid, gid = hdr.Uid, hdr.Gid
	}
	if err := os.Lchown(p, uid, gid); err != nil {
		return err
	}
	for k, v := range hdr.PAXRecords {
		if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
			if err := unix.Lsetxattr(p, name, []byte(v), 0); err != nil && !errors.Is(err, unix.ENOTSUP) {
				return fmt.Errorf("set xattr %s: %w", name, err)
			}
		}
	}
	if hdr.Typeflag == tar.TypeSymlink {
		ts := []unix.Timespec{unix.NsecToTimespec(hdr.ModTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
		return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err := unix.Chmod(p, mode); err != nil {
		return err
	}
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	if hdr.Typeflag == tar.TypeDir {
		x.dirs = append(x.dirs, dirTimes{p, atime, hdr.ModTime})
		return nil
	}
	return os.Chtimes(p, atime, hdr.ModTime)
}
