package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// ReserveSize is the space the reserve file keeps allocated beside the
// database. When the filesystem is full it is given back, so that SQLite has
// room for its shared memory (32 KiB at the first open) and for the WAL frames
// of the updates and deletes a removal makes, until the removal has freed
// space of its own.
const ReserveSize = 4 << 20

// lowSpace is the free space under which a commit first gives back the
// reserve: more than the WAL frames of the updates and deletes a removal makes.
const lowSpace = 1 << 20

// SQLite result codes that mean the filesystem is full: SQLITE_FULL is what a
// failed write of the database or its WAL returns on ENOSPC; growing the -shm
// file returns SQLITE_IOERR_SHMSIZE whatever the errno was.
const (
	sqliteFull       = 13
	sqliteIOErrShmSz = 10 | 19<<8
)

// NoSpace returns the error of an operation that found the data root's
// filesystem full: one plain sentence, class errdefs.ErrResourceExhausted.
func NoSpace() error {
	return errdefs.ErrResourceExhausted.WithMessage("no space left on device")
}

// IsNoSpace reports whether err says a filesystem is full: ENOSPC from a file
// operation, SQLITE_FULL from the database, or NoSpace's error.
func IsNoSpace(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == sqliteFull {
		return true
	}
	return errors.Is(err, NoSpace()) // the error is a comparable value
}

// openNoSpace reports whether the error of opening the database at path came
// from a full filesystem. Growing the -shm file fails with an I/O error that
// does not carry ENOSPC, so that one counts when the filesystem has no room.
func openNoSpace(err error, path string) bool {
	if IsNoSpace(err) {
		return true
	}
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code() == sqliteIOErrShmSz && freeBytes(filepath.Dir(path)) < lowSpace
}

// freeBytes is the space a root process can still allocate on dir's
// filesystem (root may use ext4's reserved blocks), or -1 when unknown.
func freeBytes(dir string) int64 {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return -1
	}
	free := st.Bavail
	if os.Geteuid() == 0 {
		free = st.Bfree
	}
	return int64(free) * st.Bsize
}

// reserve is a file of up to ReserveSize allocated bytes. It is filled when
// the filesystem has room and deleted when the database needs the space
// (see Open). Filling holds an flock on the file, so that several berth
// processes do not grow it at once.
type reserve struct {
	path string
}

// size is how many bytes the reserve holds now.
func (r reserve) size() int64 {
	st, err := os.Stat(r.path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// release deletes the reserve; it reports whether there was any space to give back.
func (r reserve) release() bool {
	n := r.size()
	if err := os.Remove(r.path); err != nil {
		return false
	}
	return n > 0
}

// fill grows the reserve towards ReserveSize with what the filesystem has
// free beyond keep bytes, which it leaves to everything else on the
// filesystem. It returns NoSpace's error when the reserve is still short.
func (r reserve) fill(keep int64) error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		if IsNoSpace(err) {
			return NoSpace()
		}
		return fmt.Errorf("open space reserve: %w", err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock space reserve: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat space reserve: %w", err)
	}
	have := st.Size()
	want := int64(ReserveSize) - have
	if want <= 0 {
		return nil
	}
	if free := freeBytes(r.dir()); free >= 0 && free-keep < want {
		want = max(free-keep, 0) &^ (64<<10 - 1) // whole 64 KiB pieces of what may be taken
	}
	if want > 0 {
		if err := allocate(f, have, want); err != nil {
			_ = f.Truncate(have) // give back a half-made allocation
			if !IsNoSpace(err) {
				return fmt.Errorf("fill space reserve: %w", err)
			}
		}
	}
	if st, err := f.Stat(); err != nil || st.Size() < ReserveSize {
		return NoSpace()
	}
	return nil
}

// dir is the directory of the database and its reserve.
func (r reserve) dir() string { return filepath.Dir(r.path) }

// allocate makes n bytes at off really taken on disk: fallocate, or zeros
// where the filesystem has no fallocate.
func allocate(f *os.File, off, n int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, off, n)
	if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.ENOSYS) {
		return err
	}
	zero := make([]byte, 64<<10)
	for n > 0 {
		k := min(n, int64(len(zero)))
		if _, err := f.WriteAt(zero[:k], off); err != nil {
			return err
		}
		off, n = off+k, n-k
	}
	return f.Sync()
}
