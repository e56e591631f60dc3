package volumes

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// CopyUp does Docker's copy-up: when volDir is empty and srcDir (the image's
// content at the mount target, a path inside the container's root filesystem) is
// a directory, it copies srcDir's tree into volDir keeping owners, modes, times,
// xattrs, symlinks, hard links and device nodes; volDir itself takes srcDir's owner
// and mode. Otherwise (volDir has entries, srcDir missing or not a directory) it
// does nothing.
func CopyUp(srcDir, volDir string) error {
	empty, err := isEmptyDir(volDir)
	if err != nil || !empty {
		return err
	}
	st, err := os.Lstat(srcDir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !st.IsDir()) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy-up from %s: %w", srcDir, err)
	}
	c := &copier{links: map[fileID]string{}}
	if err := c.copyTree(srcDir, volDir); err != nil {
		return fmt.Errorf("copy-up %s to %s: %w", srcDir, volDir, err)
	}
	return nil
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, fmt.Errorf("copy-up into %s: %w", dir, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("copy-up into %s: %w", dir, err)
	}
	return len(names) == 0, nil
}

type fileID struct{ dev, ino uint64 }

// copier copies one tree, remembering hard-linked files already copied.
type copier struct {
	links map[fileID]string
	dirs  []dirMeta
}

type dirMeta struct {
	dst string
	st  *unix.Stat_t
}

// copyTree copies src's content into the existing directory dst; directory times
// are set last, after their children are written.
func (c *copier) copyTree(src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		return c.copyEntry(p, filepath.Join(dst, rel), rel == ".")
	})
	if err != nil {
		return err
	}
	for i := len(c.dirs) - 1; i >= 0; i-- {
		if err := setTimes(c.dirs[i].dst, c.dirs[i].st); err != nil {
			return err
		}
	}
	return nil
}

// copyEntry copies one entry (not a directory's children) and its metadata.
func (c *copier) copyEntry(src, dst string, isRoot bool) error {
	var st unix.Stat_t
	if err := unix.Lstat(src, &st); err != nil {
		return fmt.Errorf("stat %s: %w", src, err)
	}
	sys := &st
	mode := st.Mode & unix.S_IFMT
	if mode != unix.S_IFDIR && st.Nlink > 1 {
		id := fileID{uint64(st.Dev), st.Ino}
		if first, ok := c.links[id]; ok {
			if err := os.Link(first, dst); err != nil {
				return fmt.Errorf("hard link %s: %w", dst, err)
			}
			return nil
		}
		c.links[id] = dst
	}
	var err error
	switch mode {
	case unix.S_IFDIR:
		if !isRoot {
			err = unix.Mkdir(dst, st.Mode&0o7777)
		}
		c.dirs = append(c.dirs, dirMeta{dst, sys})
	case unix.S_IFREG:
		err = copyFile(src, dst, st.Mode&0o7777)
	case unix.S_IFLNK:
		var target string
		if target, err = os.Readlink(src); err == nil {
			err = os.Symlink(target, dst)
		}
	case unix.S_IFIFO, unix.S_IFCHR, unix.S_IFBLK:
		err = unix.Mknod(dst, st.Mode, int(st.Rdev)) //nolint:gosec // dev_t fits
	default:
		return nil // sockets are not copied, as Docker
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := copyMeta(src, dst, sys, mode == unix.S_IFLNK); err != nil {
		return err
	}
	if mode == unix.S_IFDIR {
		return nil // times set after the children
	}
	return setTimes(dst, sys)
}

func copyFile(src, dst string, perm uint32) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, os.FileMode(perm&0o777))
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyMeta sets owner, xattrs and then mode (chown clears setuid bits).
func copyMeta(src, dst string, st *unix.Stat_t, isLink bool) error {
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", dst, err)
	}
	if err := copyXattrs(src, dst); err != nil {
		return err
	}
	if isLink {
		return nil
	}
	if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
		return fmt.Errorf("chmod %s: %w", dst, err)
	}
	return nil
}

func setTimes(dst string, st *unix.Stat_t) error {
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times of %s: %w", dst, err)
	}
	return nil
}

// copyXattrs copies every extended attribute the source has; attributes the
// destination's filesystem does not support are skipped.
func copyXattrs(src, dst string) error {
	names, err := listXattrs(src)
	if err != nil {
		return err
	}
	for _, name := range names {
		val, err := getXattr(src, name)
		if err != nil {
			return err
		}
		err = unix.Lsetxattr(dst, name, val, 0)
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) && !isUserXattr(name) {
			continue
		}
		if err != nil {
			return fmt.Errorf("set xattr %s on %s: %w", name, dst, err)
		}
	}
	return nil
}

func isUserXattr(name string) bool { return len(name) > 5 && name[:5] == "user." }

func listXattrs(p string) ([]string, error) {
	size, err := unix.Llistxattr(p, nil)
	if errors.Is(err, unix.ENOTSUP) || size == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list xattrs of %s: %w", p, err)
	}
	buf := make([]byte, size)
	size, err = unix.Llistxattr(p, buf)
	if err != nil {
		return nil, fmt.Errorf("list xattrs of %s: %w", p, err)
	}
	var names []string
	start := 0
	for i := 0; i < size; i++ {
		if buf[i] == 0 {
			if i > start {
				names = append(names, string(buf[start:i]))
			}
			start = i + 1
		}
	}
	return names, nil
}

func getXattr(p, name string) ([]byte, error) {
	size, err := unix.Lgetxattr(p, name, nil)
	if err != nil {
		return nil, fmt.Errorf("get xattr %s of %s: %w", name, p, err)
	}
	buf := make([]byte, size)
	size, err = unix.Lgetxattr(p, name, buf)
	if err != nil {
		return nil, fmt.Errorf("get xattr %s of %s: %w", name, p, err)
	}
	return buf[:size], nil
}
