package runner

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ConsolePair returns a socket pair for libcontainer's ConsoleSocket: pass child
// as Process.ConsoleSocket, then call RecvConsole(parent) to get the pty master.
func ConsolePair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("console socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[1]), "console-parent"), os.NewFile(uintptr(fds[0]), "console-child"), nil
}

// RecvConsole receives the pty master that the container init sends over sock
// with SCM_RIGHTS.
func RecvConsole(sock *os.File) (*os.File, error) {
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	rc, err := sock.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	var n, oobn int
	var rerr error
	if err := rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), name, oob, unix.MSG_CMSG_CLOEXEC)
		return rerr != unix.EAGAIN
	}); err != nil {
		return nil, fmt.Errorf("receive console: %w", err)
	}
	if rerr != nil {
		return nil, fmt.Errorf("receive console: %w", rerr)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receive console: bad control message (%d bytes): %v", oobn, err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receive console: bad rights: %v", err)
	}
	return os.NewFile(uintptr(fds[0]), string(name[:n])), nil
}
