package monitor

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// destroyStopped removes what libcontainer keeps of a container whose
// processes are all gone — its cgroups (listed in libcontainer's state.json)
// and its state directory — without linking libcontainer, so that the lean
// shape can end a container that will not restart without another exec.
func destroyStopped(stateRoot, id string) error {
	dir := filepath.Join(stateRoot, id)
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var st struct {
		CgroupPaths map[string]string `json:"cgroup_paths"`
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &st); err != nil {
			return err
		}
	}
	var firstErr error
	for _, p := range st.CgroupPaths {
		if err := rmdirRetry(p); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if err := os.RemoveAll(dir); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// rmdirRetry removes a cgroup directory; the kernel may still be tearing the
// last task down for a moment (EBUSY).
func rmdirRetry(p string) error {
	var err error
	for i := 0; i < 50; i++ {
		err = unix.Rmdir(p)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			return err
		}
		time.Sleep(2 * time.Millisecond)
	}
	return err
}
