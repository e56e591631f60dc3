package volumes

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// ArchiveOptions tune ArchivePathWith.
type ArchiveOptions struct {
	// FollowLink archives what a final-component symlink points to (docker cp -L)
	// instead of the link itself. The target is resolved inside the root too.
	FollowLink bool
}

// ArchivePath writes to w the tar `docker cp CONTAINER:path -` gives: path is
// resolved inside rootfs — symlinks in it are followed as the container would
// see them and never lead out of rootfs — and the tar's top entry is named like
// path's base name ("path/." archives the directory's content as "."). A final
// symlink is archived as a link (see ArchivePathWith). It returns the Lstat of the
// archived path; a missing path is errdefs.ErrNotFound.
//
// Paths are resolved with filepath-securejoin before being opened, so a process
// inside a running container that swaps a directory for a symlink at that moment
// could redirect a read within its own root, not outside it for files opened
// with O_NOFOLLOW; stop or pause the container for an exact copy.
func ArchivePath(rootfs, path string, w io.Writer) (os.FileInfo, error) {
	return ArchivePathWith(rootfs, path, ArchiveOptions{}, w)
}

// ArchivePathWith is ArchivePath with options.
func ArchivePathWith(rootfs, path string, opts ArchiveOptions, w io.Writer) (os.FileInfo, error) {
	hostPath, top, err := resolveSource(rootfs, path, opts.FollowLink)
	if err != nil {
		return nil, err
	}
	if filepath.Clean(hostPath) == filepath.Clean(rootfs) {
		// The root itself, followed: a running container's /proc/PID/root
		// is a link to it.
		hostPath = filepath.Clean(rootfs) + "/"
		if !strings.HasSuffix(path, "/.") {
			top = "/" // entries "/", "/bin" …, as dockerd names them: clients rebase them by prefix
		}
	}
	info, err := os.Lstat(hostPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("could not find the file %s in container", path))
	}
	if err != nil {
		return nil, fmt.Errorf("stat %s in container: %w", path, err)
	}
	if strings.HasSuffix(path, "/") && !info.IsDir() {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: not a directory", path))
	}
	tw := tar.NewWriter(w)
	a := &archiver{tw: tw, links: map[fileID]string{}}
	err = filepath.WalkDir(hostPath, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(hostPath, p)
		if err != nil {
			return err
		}
		name := top
		switch {
		case rel == ".":
		case top == ".":
			name = "./" + rel // a directory's contents (path/.): ./a, ./sub/b, as dockerd names them
		default:
			name = filepath.Join(top, rel)
		}
		if d.IsDir() && rel != "." && pseudoFS(p) {
			// A running container's /proc, /sys, /dev/pts …: the kernel's
			// views, not files; the directory goes in empty, as Docker's
			// archive of the root has them.
			if err := a.add(p, name); err != nil {
				return err
			}
			return fs.SkipDir
		}
		return a.add(p, name)
	})
	if err != nil {
		return nil, fmt.Errorf("archive %s: %w", path, err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("archive %s: %w", path, err)
	}
	return info, nil
}

// checkContainerPath refuses a path no file can have: one holding a NUL
// byte (the kernel would answer "invalid argument" for it).
func checkContainerPath(p string) error {
	if strings.ContainsRune(p, 0) {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid path %q: a path cannot hold a NUL byte", p))
	}
	return nil
}

// resolveSource maps a container path to a host path inside rootfs and names the
// tar's top entry. Without follow, the final component is not resolved.
func resolveSource(rootfs, path string, follow bool) (string, string, error) {
	if path == "" {
		return "", "", errdefs.ErrInvalidArgument.WithMessage("empty path")
	}
	if err := checkContainerPath(path); err != nil {
		return "", "", err
	}
	clean := filepath.Join("/", path)
	contentOnly := strings.HasSuffix(path, "/.") || path == "."
	top := filepath.Base(clean)
	if clean == "/" || contentOnly {
		top = "."
	}
	var hostPath string
	var err error
	if follow || clean == "/" || contentOnly {
		hostPath, err = securejoin.SecureJoin(rootfs, clean)
	} else {
		var parent string
		parent, err = securejoin.SecureJoin(rootfs, filepath.Dir(clean))
		hostPath = filepath.Join(parent, filepath.Base(clean))
	}
	if err != nil {
		return "", "", fmt.Errorf("resolve %s in container: %w", path, err)
	}
	return hostPath, top, nil
}

// archiver writes tar entries, remembering hard-linked files already written.
type archiver struct {
	tw    *tar.Writer
	links map[fileID]string
}

// add writes one entry: header with owner, xattrs and hard links, then content.
func (a *archiver) add(p, name string) error {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return fmt.Errorf("stat %s: %w", p, err)
	}
	info, err := os.Lstat(p)
	if err != nil {
		return err
	}
	link := ""
	if info.Mode()&os.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return fmt.Errorf("tar header of %s: %w", p, err)
	}
	hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = name, int(st.Uid), int(st.Gid), "", ""
	hdr.Format = tar.FormatPAX
	if info.IsDir() {
		hdr.Name += "/"
	}
	if hdr.Typeflag == tar.TypeReg && st.Nlink > 1 {
		id := fileID{uint64(st.Dev), st.Ino}
		if first, ok := a.links[id]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		} else {
			a.links[id] = name
		}
	}
	if err := addXattrs(p, hdr); err != nil {
		return err
	}
	if err := a.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write header of %s: %w", name, err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	return a.copyContent(p, hdr.Size)
}

// copyContent writes a regular file's bytes, refusing to follow a symlink swapped in.
func (a *archiver) copyContent(p string, size int64) error {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	if _, err := io.CopyN(a.tw, f, size); err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	return nil
}

func addXattrs(p string, hdr *tar.Header) error {
	names, err := listXattrs(p)
	if err != nil {
		return err
	}
	for _, n := range names {
		v, err := getXattr(p, n)
		if err != nil {
			return err
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+n] = string(v)
	}
	return nil
}

// pseudoFS reports whether directory p is the root of a kernel pseudo
// file system (proc, sysfs, cgroup, devpts, mqueue and the like).
func pseudoFS(p string) bool {
	var st unix.Statfs_t
	if unix.Statfs(p, &st) != nil {
		return false
	}
	switch int64(st.Type) {
	case unix.PROC_SUPER_MAGIC, unix.SYSFS_MAGIC, unix.CGROUP_SUPER_MAGIC, unix.CGROUP2_SUPER_MAGIC,
		unix.DEVPTS_SUPER_MAGIC, mqueueMagic, unix.SECURITYFS_MAGIC, unix.DEBUGFS_MAGIC,
		unix.TRACEFS_MAGIC, unix.BPF_FS_MAGIC:
		return true
	}
	return false
}

// mqueueMagic is the POSIX message queue file system's magic (linux/magic.h),
// which x/sys/unix does not name.
const mqueueMagic = 0x19800202
