package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// A monitor runs in two shapes in one process. The full shape links
// libcontainer and creates, starts and destroys containers; it is costly in
// memory once it has run (parsed specs, libcontainer state, threads). So as
// soon as the container runs, the monitor re-executes itself (same pid, so the
// container's init stays its child) into the lean shape, which only copies
// output, serves attach and waits. When the container exits, the lean shape
// records the exit and re-executes into the full shape to destroy the
// container and apply the restart policy. The open descriptors cross each exec
// as described by a handoff in the environment.

const handoffEnv = "BERTH_HANDOFF"

// Handoff modes.
const (
	modeLean   = "lean"   // the container runs: wait for it
	modeExited = "exited" // the container exited: clean up, maybe restart
)

// handoff lists what crosses an exec between the two shapes.
type handoff struct {
	Mode     string `json:"mode"`
	Pid      int    `json:"pid,omitempty"`     // the container's init, our child
	Out      int    `json:"out,omitempty"`     // stdout pipe (read end), 0 if none
	Err      int    `json:"err,omitempty"`     // stderr pipe (read end)
	In       int    `json:"in,omitempty"`      // stdin pipe (write end)
	Pty      int    `json:"pty,omitempty"`     // pty master
	Listener int    `json:"listener"`          // attach socket
	Clients  []int  `json:"clients,omitempty"` // attached clients
	Net      []int  `json:"net,omitempty"`     // network service sockets (see netsvc.go), 0 = none
	Order    string `json:"order,omitempty"`   // writes announced but not copied yet: 'o' stdout, 'e' stderr
	Pending  bool   `json:"pending,omitempty"` // later writes are announced by signals queued to the main thread
	Queued   int    `json:"queued,omitempty"`  // memory file of output read and not yet copied (see queueFile)
}

// encodeOrder writes a copier's order of streams as a handoff's Order.
func encodeOrder(order []int) string {
	b := make([]byte, len(order))
	for i, s := range order {
		b[i] = "oe"[s]
	}
	return string(b)
}

// decodeOrder reads a handoff's Order.
func decodeOrder(s string) []int {
	var order []int
	for _, c := range s {
		switch c {
		case 'o':
			order = append(order, streamOut)
		case 'e':
			order = append(order, streamErr)
		}
	}
	return order
}

// handoffFromEnv returns the handoff this process was started with, if any.
func handoffFromEnv() (*handoff, error) {
	v := os.Getenv(handoffEnv)
	if v == "" {
		return nil, nil
	}
	var h handoff
	if err := json.Unmarshal([]byte(v), &h); err != nil {
		return nil, fmt.Errorf("monitor handoff: %w", err)
	}
	os.Unsetenv(handoffEnv)
	return &h, nil
}

// reexec replaces this process with the monitor binary in the shape h names,
// keeping h's descriptors open. It returns only on failure.
func reexec(h *handoff) error {
	fds := append(append([]int{h.Out, h.Err, h.In, h.Pty, h.Listener, h.Queued}, h.Clients...), h.Net...)
	for _, fd := range fds {
		if fd > 0 {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
				return fmt.Errorf("monitor handoff: keep fd %d: %w", fd, err)
			}
		}
	}
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	env := []string{handoffEnv + "=" + string(b)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BERTH_READY_FD=") && !strings.HasPrefix(kv, handoffEnv+"=") {
			env = append(env, kv)
		}
	}
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return fmt.Errorf("monitor handoff: %w", err)
	}
	return unix.Exec(exe, os.Args, env)
}

// fdOf returns the descriptor number of f, or 0 for nil.
func fdOf(f *os.File) int {
	if f == nil {
		return 0
	}
	return int(f.Fd())
}

// fileOf wraps an inherited descriptor, or returns nil for 0.
func fileOf(fd int, name string) *os.File {
	if fd <= 0 {
		return nil
	}
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), name)
}
