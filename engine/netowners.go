package engine

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/events"
)

// netOwners answers the network recovery's questions about containers
// (netmgr.Owners): a container's network is changed only under its lock
// (start, connect, disconnect, remove), and a container exists while it has a
// record.
type netOwners struct{ e *Engine }

// TryLock takes the container's lock without waiting. A container without a
// lock file has no operation in flight on it.
func (o netOwners) TryLock(id string) (func(), bool, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsRune(id, '/') {
		return func() {}, true, nil
	}
	f, err := os.OpenFile(o.e.lockPath(id), os.O_RDWR, 0) // the file e.lock takes
	if errors.Is(err, os.ErrNotExist) {
		return func() {}, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return func() { f.Close() }, true, nil
}

// Exists reports whether a container with exactly this ID has a record.
func (o netOwners) Exists(ctx context.Context, id string) (bool, error) {
	row, err := o.e.db.Get(ctx, id)
	if errdefs.IsNotFound(err) || errdefs.IsInvalidArgument(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return row.ID == id, nil
}

// recoverNetwork runs the network recovery. Its failures do not stop the
// engine from opening (a root no verb can open can only be repaired by hand):
// they are kept as warnings and appended to the events log.
func (e *Engine) recoverNetwork(ctx context.Context) {
	err := e.nets.Reconcile(ctx, netOwners{e})
	if err == nil {
		return
	}
	msg := "network recovery: " + strings.ReplaceAll(err.Error(), "\n", "; ")
	e.warnings = append(e.warnings, msg)
	_ = e.events.Append(events.Event{Type: "daemon", Action: "warning", ID: e.root,
		Attributes: map[string]string{"message": msg}})
}

// Warnings are the problems the recovery at open could not fix (the engine
// works around them); empty when there were none.
func (e *Engine) Warnings() []string { return append([]string(nil), e.warnings...) }
