package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"

	"golang.org/x/sys/unix"

	"berth/engine/monitor"
	"berth/engine/runner"
	"berth/engine/store"
)

// CheckFinding is one inconsistency that Check found.
type CheckFinding struct {
	// Kind names the object's kind: container, mount, cgroup, monitor, netns,
	// lease, ports, veth, bridge, rule, volume, image, index, blob, snapshot or temp.
	Kind string `json:"Kind"`
	// Object names the object (an ID, a path, a link name, a digest).
	Object string `json:"Object"`
	// Problem says what is wrong.
	Problem string `json:"Problem"`
	// Repair says what a repair did ("removed"); empty when nothing was done.
	Repair string `json:"Repair,omitempty"`
	// Error says why a repair failed.
	Error string `json:"Error,omitempty"`
}

// String is the finding as one line: "container 3f2a…: directory without a
// record (removed)".
func (f CheckFinding) String() string {
	obj := f.Object
	if f.Kind == "container" && idPattern().MatchString(obj) {
		obj = obj[:12]
	}
	s := fmt.Sprintf("%s %s: %s", f.Kind, obj, f.Problem)
	switch {
	case f.Repair != "":
		s += " (" + f.Repair + ")"
	case f.Error != "":
		s += " (not repaired: " + f.Error + ")"
	}
	return s
}

// CheckReport is what Check found and, with repair, did.
type CheckReport struct {
	Findings []CheckFinding `json:"Findings"`
}

// Remaining counts the findings that were not repaired.
func (r *CheckReport) Remaining() int {
	n := 0
	for _, f := range r.Findings {
		if f.Repair == "" {
			n++
		}
	}
	return n
}

// idPattern matches a full container ID.
var idPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })

// checker carries one Check run.
type checker struct {
	e      *Engine
	repair bool
	rep    *CheckReport
	rows   map[string]store.Row
	// dead are the containers reported for a dead monitor: their mount is
	// part of that finding.
	dead map[string]bool
}

// Check looks for inconsistencies between the engine's records and what is on
// disk and in the kernel: container records without their files and files
// without records, dead monitors, stray mounts, cgroups and monitor
// processes, network namespaces, leases, links and rules no container or
// network owns, volume references of containers that are gone, and corrupt,
// missing or unused image content. With repair it removes what no record
// owns, completes what a killed process left, and says what it did. Objects of an operation in progress in another process
// (whose container lock is held) are left alone and not reported.
func (e *Engine) Check(ctx context.Context, repair bool) (*CheckReport, error) {
	list, err := e.db.List(ctx)
	if err != nil {
		return nil, err
	}
	k := &checker{e: e, repair: repair, rep: &CheckReport{}, rows: map[string]store.Row{}, dead: map[string]bool{}}
	for _, r := range list {
		k.rows[r.ID] = r
	}
	known := k.knownIDs()
	k.checkRows(ctx, list)
	steps := []func() error{
		k.checkMonitors,
		func() error { return k.checkDirs(ctx) },
		k.checkMounts,
		func() error { return k.checkCgroups(known) },
		func() error { return k.checkNetwork(ctx) },
		func() error { return k.checkVolumes(ctx) },
		func() error { return k.checkImageRefs(ctx) },
		func() error { return k.checkVolumeDirs(ctx) },
		func() error { return k.checkImages(ctx) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return k.rep, nil
}

func (k *checker) add(f CheckFinding) *CheckFinding {
	k.rep.Findings = append(k.rep.Findings, f)
	return &k.rep.Findings[len(k.rep.Findings)-1]
}

// fix records the outcome of a repair on finding i.
func (k *checker) fix(i int, done string, err error) {
	f := &k.rep.Findings[i]
	if err != nil {
		f.Error = err.Error()
		return
	}
	f.Repair = done
}

// knownIDs are the IDs that this data root has any trace of: records,
// container directories, libcontainer states and lock files. Only their
// cgroups are this root's (every root shares the cgroup parent).
func (k *checker) knownIDs() map[string]bool {
	out := map[string]bool{}
	for id := range k.rows {
		out[id] = true
	}
	for _, dir := range []string{k.e.containersDir(), k.e.stateRoot(), filepath.Dir(k.e.lockPath("x"))} {
		ents, _ := os.ReadDir(dir)
		for _, ent := range ents {
			if idPattern().MatchString(ent.Name()) {
				out[ent.Name()] = true
			}
		}
	}
	return out
}

// checkRows checks each record: its directory and root filesystem exist, and
// a running state has a live monitor.
func (k *checker) checkRows(ctx context.Context, list []store.Row) {
	for _, row := range list {
		problem := ""
		switch {
		case !dirExists(k.e.containerDir(row.ID)):
			problem = "record without its directory"
		case !dirExists(filepath.Join(k.e.containerDir(row.ID), "fs", "upper")):
			problem = "record without its root filesystem"
		}
		if problem != "" {
			k.brokenRow(ctx, row, problem)
			continue
		}
		st, err := monitor.ReadState(k.e.statePath(row.ID))
		if err != nil || !orphaned(st) {
			continue
		}
		unlock, ok := k.e.tryLock(row.ID)
		if !ok {
			continue // an operation is at it
		}
		i := len(k.rep.Findings)
		k.dead[row.ID] = true
		k.add(CheckFinding{Kind: "container", Object: row.ID, Problem: "state says " + st.Status + " but its monitor is gone"})
		if k.repair {
			_, err := k.e.settle(row.ID)
			if err == nil { // it holds no endpoint once exited
				err = k.e.releaseLocked(ctx, row.ID)
			}
			k.fix(i, "marked exited", err)
		}
		unlock()
	}
}

// brokenRow reports a record whose files are gone and, with repair, removes
// the container (its record last, with a destroy event).
func (k *checker) brokenRow(ctx context.Context, row store.Row, problem string) {
	unlock, ok := k.e.tryLock(row.ID)
	if !ok {
		return
	}
	defer unlock()
	row, err := k.e.db.Get(ctx, row.ID)
	if err != nil {
		return // removed meanwhile
	}
	i := len(k.rep.Findings)
	k.add(CheckFinding{Kind: "container", Object: row.ID, Problem: problem})
	if k.repair {
		k.fix(i, "removed", k.e.removeLocked(ctx, row, RemoveOptions{Force: true}))
		delete(k.rows, row.ID)
	}
}

// checkDirs reports container directories that have no record: what a create
// killed before it stored the record leaves.
func (k *checker) checkDirs(ctx context.Context) error {
	ents, err := os.ReadDir(k.e.containersDir())
	if err != nil {
		return fmt.Errorf("check containers: %w", err)
	}
	for _, ent := range ents {
		id := ent.Name()
		if _, ok := k.rows[id]; ok || !idPattern().MatchString(id) {
			continue
		}
		// A create in flight holds the container's lock (orphanDir leaves it).
		k.orphanDir(ctx, id)
	}
	return nil
}

func (k *checker) orphanDir(ctx context.Context, id string) {
	unlock, ok := k.e.tryLock(id)
	if !ok {
		return // a create or removal holds it
	}
	defer unlock()
	if _, err := k.e.db.Get(ctx, id); err == nil {
		return // created meanwhile
	}
	i := len(k.rep.Findings)
	k.add(CheckFinding{Kind: "container", Object: id, Problem: "directory without a record"})
	if k.repair {
		k.killStray(id)
		k.e.teardownNetwork(ctx, id, nil)
		err := k.e.cleanup(id)
		if err == nil {
			os.Remove(k.e.lockPath(id))
		}
		k.fix(i, "removed", err)
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// monitorAlive reports whether container id's monitor runs.
func (k *checker) monitorAlive(id string) bool {
	st, err := monitor.ReadState(k.e.statePath(id))
	return err == nil && st.Alive()
}

// killStray kills the libcontainer container of id if its state survives,
// and forgets that state.
func (k *checker) killStray(id string) {
	if c, err := runner.Load(k.e.stateRoot(), id); err == nil {
		_ = c.Signal(unix.SIGKILL)
	}
	_ = runner.Destroy(k.e.stateRoot(), id)
}

// ignoreGone treats an object that vanished meanwhile as removed.
func ignoreGone(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
