package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// hostDevices lists the host's device nodes under /dev for a privileged
// container, skipping what the runtime mounts itself, as Docker (containerd's
// oci.HostDevices) does.
func hostDevices() ([]specs.LinuxDevice, error) {
	var out []specs.LinuxDevice
	err := filepath.WalkDir("/dev", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil // gone meanwhile, or unreadable: not a device to give
			}
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev":
				return filepath.SkipDir
			}
			return nil
		}
		if path == "/dev/console" || d.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
			return nil
		}
		if dev, ok := deviceAt(path); ok {
			out = append(out, dev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the host's devices: %w", err)
	}
	return out, nil
}

// deviceAt describes the device node at path (false if it is not one).
func deviceAt(path string) (specs.LinuxDevice, bool) {
	fi, err := os.Lstat(path)
	if err != nil {
		return specs.LinuxDevice{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return specs.LinuxDevice{}, false
	}
	typ := "c"
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
		typ = "b"
	case unix.S_IFCHR:
	default:
		return specs.LinuxDevice{}, false
	}
	mode := fi.Mode().Perm()
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Path: path, Type: typ, Major: int64(unix.Major(st.Rdev)), Minor: int64(unix.Minor(st.Rdev)),
		FileMode: &mode, UID: &uid, GID: &gid,
	}, true
}
