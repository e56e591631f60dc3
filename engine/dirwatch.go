package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// watchDir follows dir with inotify: the channel receives a value (sends
// never block; wakes coalesce) whenever one of the named files is created,
// written and closed, or renamed into dir, or dir itself goes. Files not
// named wake nobody: a start and an exit write several (the spec, the
// monitor's config and log, temporary files), and each wake costs its
// reader a look at the state. It ends when ctx does.
func watchDir(ctx context.Context, dir string, names ...string) (<-chan struct{}, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	const mask = unix.IN_CREATE | unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_DELETE_SELF
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	f := os.NewFile(uintptr(fd), "inotify") // non-blocking: Close ends a pending Read
	wake := make(chan struct{}, 1)
	context.AfterFunc(ctx, func() { f.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			if !concerns(buf[:n], names) {
				continue
			}
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}()
	return wake, nil
}

// inotifyHeader is the size of an inotify event before its name.
const inotifyHeader = unix.SizeofInotifyEvent

// concerns reports whether the inotify events in buf (as one read returns
// them) say something about one of names, or about the watched directory
// itself (its removal, a lost watch, an overflowed queue); a buffer it
// cannot read concerns everyone.
func concerns(buf []byte, names []string) bool {
	for len(buf) > 0 {
		if len(buf) < inotifyHeader {
			return true
		}
		mask := binary.NativeEndian.Uint32(buf[4:8])
		size := binary.NativeEndian.Uint32(buf[12:16])
		if uint64(size) > uint64(len(buf)-inotifyHeader) {
			return true
		}
		name := buf[inotifyHeader : inotifyHeader+int(size)]
		buf = buf[inotifyHeader+int(size):]
		if mask&(unix.IN_DELETE_SELF|unix.IN_IGNORED|unix.IN_Q_OVERFLOW) != 0 || len(names) == 0 {
			return true
		}
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i] // the kernel pads names with NULs
		}
		for _, n := range names {
			if string(name) == n {
				return true
			}
		}
	}
	return false
}
