package images

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// ChangeKind is what happened to a path in a container: Docker's C, A or D.
type ChangeKind int

const (
	// ChangeModify is a path changed in place (C).
	ChangeModify ChangeKind = iota
	// ChangeAdd is a path added (A).
	ChangeAdd
	// ChangeDelete is a path deleted (D).
	ChangeDelete
)

// String is the letter `docker diff` prints.
func (k ChangeKind) String() string {
	switch k {
	case ChangeAdd:
		return "A"
	case ChangeDelete:
		return "D"
	}
	return "C"
}

// Change is one line of `docker diff`.
type Change struct {
	Kind ChangeKind
	Path string
}

// OverlayChanges lists the changes an overlay upper dir makes over its lower
// dirs (absolute paths, top-most first), as Docker's overlay2 driver lists
// them: in the order of a lexical walk of upper; a whiteout (0:0 character
// device) is a deletion; an opaque directory (deleted and made again) is
// reported deleted; a path that exists below is changed, except a directory
// whose size, mode and mtime are all unchanged; the parent of an added or
// deleted path is reported changed before it. Paths in ignore (absolute,
// such as the mount points a runtime makes for /etc/hosts) are left out, and so
// is a directory that holds nothing else and exists below.
func OverlayChanges(lowers []string, upper string, ignore ...string) ([]Change, error) {
	var out []Change
	changedDirs := map[string]bool{}
	skip := map[string]bool{}
	for _, p := range ignore {
		skip[filepath.Clean(p)] = true
	}
	err := filepath.Walk(upper, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		path := "/" + rel
		if skip[path] {
			return nil
		}
		ch := Change{Path: path, Kind: ChangeAdd}
		if isWhiteout(fi) || isOpaque(p, fi) {
			ch.Kind = ChangeDelete
		} else if existsBelow(lowers, path) {
			if fi.IsDir() && (sameDirBelow(lowers, path, fi) || onlyIgnored(p, path, skip)) {
				return nil
			}
			ch.Kind = ChangeModify
		}
		if fi.IsDir() {
			changedDirs[path] = true
		}
		if ch.Kind != ChangeModify {
			if parent := filepath.Dir(path); parent != "/" && !changedDirs[parent] {
				out = append(out, Change{Path: parent, Kind: ChangeModify})
				changedDirs[parent] = true
			}
		}
		out = append(out, ch)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list changes in %s: %w", upper, err)
	}
	return out, nil
}

// isWhiteout says whether fi is an overlay whiteout: a 0:0 character device.
func isWhiteout(fi os.FileInfo) bool {
	if fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Rdev == 0
}

// isOpaque says whether the directory at p hides everything below it.
func isOpaque(p string, fi os.FileInfo) bool {
	if !fi.IsDir() {
		return false
	}
	buf := make([]byte, 4)
	n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// existsBelow says whether path is in the top-most lower dir that has it.
func existsBelow(lowers []string, path string) bool {
	for _, l := range lowers {
		if _, err := os.Lstat(filepath.Join(l, path)); err == nil {
			return true
		}
	}
	return false
}

// sameDirBelow says whether the first lower dir holding path has it as a
// directory with the same size, mode and mtime (to the second when either
// side has no fraction, as tar keeps them).
func sameDirBelow(lowers []string, path string, fi os.FileInfo) bool {
	for _, l := range lowers {
		st, err := os.Lstat(filepath.Join(l, path))
		if err != nil {
			continue
		}
		if !st.IsDir() || st.Size() != fi.Size() || st.Mode() != fi.Mode() {
			return false
		}
		a, b := st.ModTime(), fi.ModTime()
		return a.Equal(b) || (a.Unix() == b.Unix() && (a.Nanosecond() == 0 || b.Nanosecond() == 0))
	}
	return false
}

// onlyIgnored says whether the upper directory p (path in the container)
// holds only ignored entries, and at least one.
func onlyIgnored(p, path string, skip map[string]bool) bool {
	if len(skip) == 0 {
		return false
	}
	names, err := os.ReadDir(p)
	if err != nil || len(names) == 0 {
		return false
	}
	for _, n := range names {
		if !skip[filepath.Join(path, n.Name())] {
			return false
		}
	}
	return true
}
