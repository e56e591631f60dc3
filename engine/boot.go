package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"berth/engine/monitor"
	"berth/engine/store"
)

// Boot starts again, after a host reboot, the containers whose restart
// policy is always or unless-stopped (and that the user did not stop) and
// that were running when their monitor went away, as dockerd does when it
// starts. It returns the IDs it started, in record order. Running it again
// starts nothing more: a started container's monitor is alive. A container
// that fails to start does not keep the others from starting; the errors are
// returned joined.
func (e *Engine) Boot(ctx context.Context) ([]string, error) {
	rows, err := e.db.List(ctx)
	if err != nil {
		return nil, err
	}
	var started []string
	var errs []error
	for _, row := range rows {
		ok, err := e.bootOne(ctx, row)
		if err != nil {
			errs = append(errs, fmt.Errorf("start container %s: %w", row.Name, err))
		}
		if ok {
			started = append(started, row.ID)
		}
	}
	return started, errors.Join(errs...)
}

// bootOne starts the container of row if Boot should, under its lock.
func (e *Engine) bootOne(ctx context.Context, row store.Row) (bool, error) {
	rec, err := decodeRecord(row.Data)
	if err != nil || !restartsAtBoot(rec.HostConfig.RestartPolicy.Name) || rec.Removal != nil {
		return false, nil
	}
	unlock, err := e.lockCtx(ctx, row.ID)
	if err != nil {
		return false, err
	}
	defer unlock()
	if row, err = e.db.Get(ctx, row.ID); err != nil {
		return false, nil // removed meanwhile
	}
	if !e.bootDue(row.ID) {
		return false, nil
	}
	if err := e.startLocked(ctx, row, StartOptions{}); err != nil {
		return false, err
	}
	return true, nil
}

// restartsAtBoot reports whether a restart policy brings a container back
// after a reboot.
func restartsAtBoot(policy string) bool {
	return policy == "always" || policy == "unless-stopped"
}

// bootDue reports whether container id, whose lock the caller holds, was
// running when its monitor went away (the state still says so, or recovery
// has marked it stopped since) and the user did not stop it.
func (e *Engine) bootDue(id string) bool {
	if _, err := os.Stat(filepath.Join(e.containerDir(id), "stopped")); err == nil {
		return false
	}
	st, err := monitor.ReadState(e.statePath(id))
	if err != nil || st.Alive() {
		return false
	}
	switch st.Status {
	case monitor.StatusRunning, monitor.StatusRestarting, monitor.StatusPaused:
		return true
	case monitor.StatusExited:
		return st.Error == recoveredError
	}
	return false
}
