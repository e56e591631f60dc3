package engine

import (
	"context"
	"errors"
	"os"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/store"
)

// recoverKilled rolls back or completes, when an engine opens, what a berth
// process killed in the middle of a create or a start left (package fault
// names the points such a kill can hit): a container directory, volume
// references and an image reference of a container that was never stored,
// and the root filesystem mount of a container whose monitor never came up.
// It is the repair of system check for those objects, limited to what no
// operation in flight holds (the container's lock tells): so the next berth
// process, whatever its verb, finds a consistent root. What it cannot fix is
// kept as a warning.
func (e *Engine) recoverKilled(ctx context.Context) {
	list, err := e.db.List(ctx)
	if err != nil {
		return // a database that cannot be read: the verb will say so
	}
	k := &checker{e: e, repair: true, rep: &CheckReport{}, rows: map[string]store.Row{}, dead: map[string]bool{}}
	for _, r := range list {
		k.rows[r.ID] = r
	}
	for _, step := range []func() error{func() error { return k.checkDirs(ctx) }, k.checkMounts, func() error { return k.checkVolumes(ctx) }} {
		if err := step(); err != nil {
			e.warnings = append(e.warnings, "recovery: "+err.Error())
		}
	}
	for _, f := range k.rep.Findings {
		if f.Error != "" {
			e.warnings = append(e.warnings, "recovery: "+f.String())
		}
	}
	e.releaseStaleImageRefs()
}

// busy reports whether an operation in flight (in any process) holds the
// lock of container id. It makes no lock file: an ID without one has
// nothing in flight.
func (e *Engine) busy(id string) bool {
	f, err := os.OpenFile(e.lockPath(id), os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil
}

// releaseStaleImageRefs drops image references whose container was never
// stored (a create killed after it referenced its image), so that the image
// can be removed again. A create holds its container's lock from before it
// takes the reference until its record is stored, so a reference whose
// holder has no record and no lock held is stale. It is best effort: on a
// full disk it leaves them for the next time.
func (e *Engine) releaseStaleImageRefs() {
	ctx := context.Background()
	_ = e.images.ReleaseStale(ctx, 0, func(id string) bool {
		// The lock first: a create holds it until its record is stored.
		if e.busy(id) {
			return true
		}
		_, err := e.db.Get(ctx, id)
		return !errdefs.IsNotFound(err)
	})
}

// checkImageRefs reports image references held for containers that have no
// record and no operation in flight; a repair drops them.
func (k *checker) checkImageRefs(ctx context.Context) error {
	holders, err := k.e.images.Holders(ctx)
	if err != nil {
		return err
	}
	for _, h := range holders {
		if _, ok := k.rows[h]; ok || k.e.busy(h) {
			continue
		}
		if _, err := k.e.db.Get(ctx, h); !errdefs.IsNotFound(err) {
			continue // stored meanwhile
		}
		i := len(k.rep.Findings)
		k.add(CheckFinding{Kind: "image", Object: shortID(h), Problem: "image reference held for a container that has no record"})
		if k.repair {
			k.fix(i, "released", k.e.images.Release(ctx, h))
		}
	}
	return nil
}

// checkVolumeDirs reports entries of the volumes directory that no volume
// record owns (what a killed volume create or removal left, when the
// recovery at open could not put it right).
func (k *checker) checkVolumeDirs(ctx context.Context) error {
	strays, err := k.e.vols.Strays(ctx)
	if err != nil {
		return err
	}
	for _, name := range strays {
		k.add(CheckFinding{Kind: "volume", Object: name, Problem: "directory without a volume record"})
	}
	if len(strays) > 0 && k.repair {
		err := k.e.vols.Recover(ctx)
		for i := len(k.rep.Findings) - len(strays); i < len(k.rep.Findings); i++ {
			k.fix(i, "repaired", err)
		}
	}
	return nil
}
