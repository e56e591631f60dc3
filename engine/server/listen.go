package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// SocketPath returns the path of a unix:// address ("unix:///run/x.sock").
func SocketPath(addr string) (string, error) {
	p, ok := strings.CutPrefix(addr, "unix://")
	if !ok || p == "" {
		return "", fmt.Errorf("%q is not a unix socket address (unix:///path/to/socket)", addr)
	}
	return p, nil
}

// ListenUnix listens on a unix socket at path with mode 0660, owned by root
// and by group when it is not empty (a name or a number). A socket file left
// by a process that is gone is replaced; one that still answers is not.
func ListenUnix(path, group string) (net.Listener, error) {
	gid := -1
	if group != "" {
		g, err := lookupGroup(group)
		if err != nil {
			return nil, err
		}
		gid = g
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("make the socket's directory: %w", err)
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s is in use by another server", path)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() != os.ModeSocket {
		return nil, fmt.Errorf("%s exists and is not a socket", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove the old socket: %w", err)
	}
	// The socket is made in a private directory (0700), given its owner
	// and mode there, then renamed into place: nobody else can reach it
	// before it is 0660, and the process's umask is left alone.
	dir, err := os.MkdirTemp(filepath.Dir(path), ".berth-sock-")
	if err != nil {
		return nil, fmt.Errorf("make the socket: %w", err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	l, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false) // the socket is renamed: its owner removes it
	fail := func(what string, err error) (net.Listener, error) {
		l.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := os.Chown(tmp, 0, gid); err != nil {
		return fail("give the socket to group "+group, err)
	}
	if err := os.Chmod(tmp, 0o660); err != nil {
		return fail("set the socket's mode", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail("put the socket in place", err)
	}
	return l, nil
}

func lookupGroup(name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return -1, fmt.Errorf("no such group: %s", name)
	}
	return strconv.Atoi(g.Gid)
}
