package monitor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// An --rm container is removed once it has exited for good, by one of two
// removers. A process that waits for the removal (the engine's WaitFor with
// the "removed" condition: docker run --rm, berth run --rm) holds a shared
// flock on the container's claim file (Config.RemoveClaim) while it waits;
// once it sees the exit it marks the container's record for removal, writes
// the owner file (the claim's path + ".owner": its pid and start time), lets
// go of the claim and removes the container itself. The monitor, at its end,
// takes the claim exclusively — so it waits until every waiter has decided —
// and runs its RemoveCmd only when no living waiter owns the removal. A
// waiter killed before it wrote the owner file releases its flock with its
// death and the monitor removes the container; one killed after it left the
// record marked for removal, which the next engine that opens completes.

// claimWait is how long a monitor waits for the waiters of its --rm
// container to decide before it removes the container anyway.
const claimWait = 30 * time.Second

// EndedPath is the file a monitor writes when it has ended for good and is
// about to decide who removes its --rm container: a waiter that sees it may
// take the removal over, whatever the state says (a first start that failed
// leaves the container "created").
func EndedPath(claim string) string { return claim + ".ended" }

// OwnerPath is the file that names the waiter which took a removal over.
func OwnerPath(claim string) string { return claim + ".owner" }

// HoldRemoval takes a shared hold on the claim file of an --rm container,
// for a waiter that may take the removal over. It reports false when the
// monitor has already decided (it holds the claim exclusively) or the
// container's directory is gone. Closing the file releases the hold.
func HoldRemoval(claim string) (*os.File, bool) {
	f, err := os.OpenFile(claim, os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, false
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// OwnRemoval records that this process removes the container (the caller
// holds the claim and has marked the record for removal).
func OwnRemoval(claim string) error {
	pid := os.Getpid()
	owner := fmt.Sprintf("%d %d\n", pid, ProcStart(pid))
	if err := os.WriteFile(OwnerPath(claim), []byte(owner), 0o600); err != nil {
		return fmt.Errorf("own the removal: %w", err)
	}
	return nil
}

// removalOwned reports whether a living waiter owns the removal.
func removalOwned(claim string) bool {
	b, err := os.ReadFile(OwnerPath(claim))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 {
		return false
	}
	got, state := procStat(pid)
	return got == start && state != "Z" && state != "X"
}

// claimRemoval says, for an --rm container, that this monitor has ended and
// takes the removal claim exclusively — once every waiter has decided — and
// reports whether a living waiter owns the removal. The claim is kept until
// this process exits, so that a waiter that comes later does not take over a
// removal begun here.
func (m *monitor) claimRemoval() bool {
	c := m.cfg.RemoveClaim
	if c == "" {
		return false
	}
	f, err := os.OpenFile(c, os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return false // the container's directory is gone (removed), or no claim to take
	}
	_ = os.WriteFile(EndedPath(c), nil, 0o600)
	return lockWithin(f, claimWait) && removalOwned(c)
}

// announceEnd writes, for an --rm container that has ended for good (an
// --rm container has no restart policy), the monitor's word that it ended
// ahead of its clean-up — the container's destruction, the attach socket —
// so that a waiter that takes the removal over marks it meanwhile rather
// than after: the removal waits for this process to end anyway before it
// deletes anything. claimRemoval, at the end, writes it again (for a
// monitor killed before) and takes the claim as before.
func (m *monitor) announceEnd() {
	if c := m.cfg.RemoveClaim; c != "" && m.state.Status == StatusExited {
		_ = os.WriteFile(EndedPath(c), nil, 0o600)
	}
}

// runRemoveCmd runs the RemoveCmd of an --rm container that no waiter
// removes, unless the container's directory is gone (it was removed).
func (m *monitor) runRemoveCmd() {
	if len(m.cfg.RemoveCmd) == 0 {
		return
	}
	if c := m.cfg.RemoveClaim; c != "" {
		if _, err := os.Stat(filepath.Dir(c)); errors.Is(err, fs.ErrNotExist) {
			return
		}
	}
	// berth removes the container once this monitor is gone (it waits for
	// it); detached so that it outlives us.
	cmd := exec.Command(m.cfg.RemoveCmd[0], m.cfg.RemoveCmd[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor: --rm:", err)
	}
}

// lockWithin takes f's flock exclusively, waiting at most d.
func lockWithin(f *os.File, d time.Duration) bool {
	fd := int(f.Fd())
	done := make(chan error, 1)
	go func() { done <- unix.Flock(fd, unix.LOCK_EX) }() // left blocked on a timeout: the process ends soon
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err == nil
	case <-t.C:
		fmt.Fprintln(os.Stderr, "berth-monitor: --rm: a waiter kept the removal claim; removing anyway")
		return false
	}
}
