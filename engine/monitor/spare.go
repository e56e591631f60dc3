package monitor

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A spare monitor is a monitor process started before the container it will
// serve is ready: it pays its exec and the Go start-up while the engine
// mounts the root filesystem and writes the spec, or between two starts of a
// long-lived engine (berth serve, a build). It waits on a socket (SpareEnv
// names its descriptor) for one handover message: the path of its config as
// the payload, and two descriptors — the log its stdout and stderr go to,
// then the pipe it reports the first start on (see Run's ready). With the
// handover it is an ordinary monitor. When the engine closes the socket
// without a handover, it exits. A spare's one argument is a placeholder as
// long as a config path, which the handover writes over (NameConfig).

// SpareEnv is the environment variable that makes berth-monitor a spare; its
// value is the descriptor of the handover socket.
const SpareEnv = "BERTH_SPARE_FD"

// maxHandover bounds a handover's payload, the config's path.
const maxHandover = 4096

// SendHandover gives the spare at the other end of sock its config path, its
// log and its ready pipe (the descriptors are duplicated into the spare).
func SendHandover(sock *os.File, cfgPath string, logf, ready *os.File) error {
	if len(cfgPath) > maxHandover {
		return fmt.Errorf("monitor handover: config path too long")
	}
	rights := unix.UnixRights(int(logf.Fd()), int(ready.Fd()))
	if err := unix.Sendmsg(int(sock.Fd()), []byte(cfgPath), rights, nil, unix.MSG_NOSIGNAL); err != nil {
		return fmt.Errorf("monitor handover: %w", err)
	}
	return nil
}

// AwaitHandover is a spare's wait for its handover on sock, which it closes.
// It points stdout and stderr at the log it receives and returns the config
// path and the ready pipe; ok is false when the engine let the spare go (or
// sent something unreadable), and the spare should just exit.
func AwaitHandover(sock *os.File) (cfgPath string, ready *os.File, ok bool) {
	defer sock.Close()
	buf := make([]byte, maxHandover)
	oob := make([]byte, unix.CmsgSpace(2*4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil || n == 0 {
		return "", nil, false
	}
	fds, err := receivedFds(oob[:oobn])
	if err != nil || len(fds) != 2 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return "", nil, false
	}
	logFd, readyFd := fds[0], fds[1]
	for _, std := range []int{1, 2} {
		if err := unix.Dup3(logFd, std, 0); err != nil {
			unix.Close(logFd)
			unix.Close(readyFd)
			return "", nil, false
		}
	}
	unix.Close(logFd)
	evenPriority()
	return string(buf[:n]), os.NewFile(uintptr(readyFd), "ready"), true
}

// evenPriority gives every thread of this process the scheduling (policy
// and priority) of the calling (main) thread, which the engine set for its
// handover: a thread made while the engine changed them could have kept the
// spare's, and the container's processes inherit the one of the thread
// that starts them.
func evenPriority() {
	attr, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			a := *attr
			_ = unix.SchedSetAttr(tid, &a, 0)
		}
	}
}

// receivedFds reads the descriptors of a message's SCM_RIGHTS.
func receivedFds(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			return fds, err
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// NameConfig writes the config path over the placeholder argument arg (a
// spare's os.Args[1]) in place, so that the process's command line (ps,
// pgrep, berth system check) names its config, as that of a monitor started
// with it does. Go's os.Args share the memory of the process's arguments;
// the engine makes the placeholder exactly as long as its config paths. It
// reports whether it could.
func NameConfig(arg, path string) bool {
	if len(arg) != len(path) || path == "" {
		return false
	}
	copy(unsafe.Slice(unsafe.StringData(arg), len(arg)), path)
	return true
}
