package images

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// errNotAdoptable is an upper dir whose overlay metadata a layer tar cannot
// carry (metacopy files, redirected directories).
var errNotAdoptable = errors.New("upper dir has overlay metadata a layer cannot carry")

// linkTree fills dst (an empty directory) with src's entries: directories
// made anew with src's mode, owner, capability xattr and overlay opaque
// mark, everything else but sockets hard-linked (a hard link across file
// systems fails: the caller then writes the layer's blob); mtimes truncated
// to the second, as a layer tar has them.
func linkTree(ctx context.Context, src, dst string, pm *patternmatcher.PatternMatcher) error {
	var dirs []string
	// Files are linked by a few workers (each is three system calls; a
	// directory is made before the walk goes into it).
	g := new(errgroup.Group)
	g.SetLimit(linkWorkers)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel != "." {
			if m, _ := pm.MatchesOrParentMatches(rel); m {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		target := filepath.Join(dst, rel)
		if d.Type()&fs.ModeSocket != 0 {
			return nil // a layer tar has no sockets; nor has its snapshot
		}
		if !d.IsDir() {
			g.Go(func() error { return linkFile(p, target) })
			return nil
		}
		if err := checkOverlayXattrs(p); err != nil {
			return err
		}
		if rel != "." {
			dirs = append(dirs, rel)
		}
		return copyDir(p, target, rel == ".")
	})
	if werr := g.Wait(); err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	// Directories' times last: making their entries changed them.
	slices.Reverse(dirs)
	for _, rel := range append(dirs, ".") {
		if err := setMtimeFrom(filepath.Join(src, rel), filepath.Join(dst, rel)); err != nil {
			return err
		}
	}
	return nil
}

// linkWorkers is how many files linkTree links at once.
const linkWorkers = 3

// linkFile hard-links the upper dir's file p at target, its mtime
// truncated to the second.
func linkFile(p, target string) error {
	if err := checkOverlayXattrs(p); err != nil {
		return err
	}
	if err := os.Link(p, target); err != nil {
		return err
	}
	return truncMtime(target)
}

// checkOverlayXattrs refuses an entry with overlay xattrs other than the
// opaque mark (and the origin, impure and uuid marks, which only serve
// overlay's own bookkeeping of an upper dir): a metacopy file or a
// redirected directory means something else in a snapshot than in its tar.
func checkOverlayXattrs(p string) error {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return nil
		}
		return fmt.Errorf("list xattrs of %s: %w", p, err)
	}
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		switch name {
		case "", "trusted.overlay.opaque", "trusted.overlay.origin", "trusted.overlay.impure", "trusted.overlay.uuid":
		default:
			if strings.HasPrefix(name, "trusted.overlay.") {
				return fmt.Errorf("%s: %s: %w", p, name, errNotAdoptable)
			}
		}
	}
	return nil
}

// copyDir makes dst (or, for the root, sets it) like the directory src:
// mode, owner, the opaque mark and a file capability xattr.
func copyDir(src, dst string, root bool) error {
	var st unix.Stat_t
	if err := unix.Lstat(src, &st); err != nil {
		return fmt.Errorf("stat %s: %w", src, err)
	}
	if !root {
		if err := os.Mkdir(dst, 0o700); err != nil {
			return err
		}
	}
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
		return fmt.Errorf("chmod %s: %w", dst, err)
	}
	// The xattrs a layer tar carries (go-archive keeps security.capability,
	// on directories too) and the overlay's opaque mark.
	buf := make([]byte, 4096)
	for _, name := range []string{"trusted.overlay.opaque", "security.capability"} {
		n, err := unix.Lgetxattr(src, name, buf)
		if err != nil {
			continue
		}
		if err := unix.Lsetxattr(dst, name, buf[:n], 0); err != nil {
			return fmt.Errorf("set %s of %s: %w", name, dst, err)
		}
	}
	return nil
}

// truncMtime truncates p's mtime (and sets its atime to it) to the second,
// without following a symlink.
func truncMtime(p string) error {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return err
	}
	t := unix.Timespec{Sec: st.Mtim.Sec}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{t, t}, unix.AT_SYMLINK_NOFOLLOW)
}

// setMtimeFrom gives dst src's mtime (and atime), to the second.
func setMtimeFrom(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	t := fi.ModTime().Truncate(time.Second)
	return os.Chtimes(dst, t, t)
}
