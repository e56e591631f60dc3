package engine

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/containerd/errdefs"

	"berth/images"
)

// checkNetwork reports network namespaces, leases and published ports of
// containers without a record, and links and rules no record owns. A repair
// releases them through the network manager.
func (k *checker) checkNetwork(ctx context.Context) error {
	owners := map[string][]int{} // container ID → its findings
	nss, err := k.e.nets.Namespaces()
	if err != nil {
		return err
	}
	for _, id := range nss {
		if _, ok := k.rows[id]; !ok {
			owners[id] = append(owners[id], len(k.rep.Findings))
			k.add(CheckFinding{Kind: "netns", Object: k.e.nets.NamespacePath(id), Problem: "network namespace without a container"})
		}
	}
	eps, err := k.e.nets.AllEndpoints(ctx)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if _, ok := k.rows[ep.ContainerID]; !ok {
			owners[ep.ContainerID] = append(owners[ep.ContainerID], len(k.rep.Findings))
			k.add(CheckFinding{Kind: "lease", Object: ep.IP.String(), Problem: fmt.Sprintf(
				"address on network %s (veth %s) leased to container %s, which has no record", ep.NetworkName, ep.HostVeth, shortID(ep.ContainerID))})
		}
	}
	ports, err := k.e.nets.PortOwners(ctx)
	if err != nil {
		return err
	}
	for _, id := range ports {
		if _, ok := k.rows[id]; !ok {
			owners[id] = append(owners[id], len(k.rep.Findings))
			k.add(CheckFinding{Kind: "ports", Object: id, Problem: "published ports of a container without a record"})
		}
	}
	for id, idx := range owners {
		k.releaseNetwork(ctx, id, idx)
	}
	if err := k.checkLinks(ctx); err != nil {
		return err
	}
	return k.checkRules(ctx)
}

// releaseNetwork repairs the network findings idx of container id, which has
// no record, unless an operation holds its lock (then they are dropped: a
// create or removal is at it).
func (k *checker) releaseNetwork(ctx context.Context, id string, idx []int) {
	unlock, ok := k.e.tryLock(id)
	if !ok {
		for _, i := range idx {
			k.rep.Findings[i].Kind = "" // dropped below
		}
		return
	}
	defer unlock()
	if !k.repair {
		return
	}
	err := k.e.nets.Release(ctx, id)
	if err == nil {
		err = k.e.nets.DeleteNamespace(id)
	}
	for _, i := range idx {
		k.fix(i, "removed", err)
	}
}

// checkLinks reports berth veths and bridges no record owns.
func (k *checker) checkLinks(ctx context.Context) error {
	k.dropBusy()
	links, err := k.e.nets.StrayLinks(ctx)
	if err != nil {
		return err
	}
	for _, name := range links {
		kind := "veth"
		if !strings.HasPrefix(name, "v") {
			kind = "bridge"
		}
		i := len(k.rep.Findings)
		k.add(CheckFinding{Kind: kind, Object: name, Problem: "link without a container or network"})
		if k.repair {
			k.fix(i, "removed", k.e.nets.DeleteStrayLink(ctx, name))
		}
	}
	return nil
}

// checkRules reports nftables rules whose network or ports have no record.
func (k *checker) checkRules(ctx context.Context) error {
	tags, err := k.e.nets.StrayRules(ctx)
	if err != nil {
		return err
	}
	for _, tag := range tags {
		i := len(k.rep.Findings)
		k.add(CheckFinding{Kind: "rule", Object: tag, Problem: "nftables rule without a network or container"})
		if k.repair {
			k.fix(i, "removed", k.e.nets.DeleteStrayRules(ctx, tag))
		}
	}
	return nil
}

// dropBusy removes the findings that were dropped because an operation is
// at their object.
func (k *checker) dropBusy() {
	out := k.rep.Findings[:0]
	for _, f := range k.rep.Findings {
		if f.Kind != "" {
			out = append(out, f)
		}
	}
	k.rep.Findings = out
}

// checkImages reports the image store's corrupt and missing blobs and its
// unused blobs and snapshots (which a repair removes).
func (k *checker) checkImages(ctx context.Context) error {
	r, err := k.e.images.Check(ctx, k.repair)
	if err != nil {
		return fmt.Errorf("check images: %w", err)
	}
	for _, b := range append(append([]images.BlobIssue(nil), r.Corrupt...), r.Missing...) {
		// The store's sentence starts with the blob, which the line names already.
		problem := strings.TrimPrefix(strings.TrimPrefix(b.Problem, "blob "+b.Digest+" "), "is ")
		if len(b.Images) > 0 {
			problem += fmt.Sprintf(" (used by %d image(s))", len(b.Images))
		}
		k.add(CheckFinding{Kind: "blob", Object: b.Digest, Problem: problem})
	}
	done := ""
	if k.repair {
		done = "removed"
	}
	for _, d := range r.OrphanBlobs {
		k.add(CheckFinding{Kind: "blob", Object: d, Problem: "blob no image references", Repair: done})
	}
	for _, s := range r.OrphanSnapshots {
		k.add(CheckFinding{Kind: "snapshot", Object: s, Problem: "unpacked layer no image owns", Repair: done})
	}
	if r.StaleIndex {
		k.add(CheckFinding{Kind: "index", Object: "index.json", Problem: "does not list the recorded images", Repair: strings.Replace(done, "removed", "rewritten", 1)})
	}
	for _, p := range r.Temps {
		k.add(CheckFinding{Kind: "temp", Object: p, Problem: "left by a killed berth process", Repair: done})
	}
	return nil
}

// shortID is the 12-character form of a container ID.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// checkVolumes reports volume references of containers without a record (a
// create killed after it made its mounts); a repair drops them and removes
// the anonymous volumes among them, as the create would have on failure.
func (k *checker) checkVolumes(ctx context.Context) error {
	refs, err := k.e.vols.References(ctx)
	if err != nil {
		return err
	}
	for _, id := range sortedKeys(keysOf(refs)) {
		if _, ok := k.rows[id]; ok {
			continue
		}
		k.strayRefs(ctx, id, refs[id])
	}
	return nil
}

func (k *checker) strayRefs(ctx context.Context, id string, names []string) {
	unlock, ok := k.e.tryLock(id)
	if !ok {
		return // a create holds it
	}
	defer unlock()
	if _, err := k.e.db.Get(ctx, id); !errdefs.IsNotFound(err) {
		return // stored since the records were read
	}
	first := len(k.rep.Findings)
	for _, n := range names {
		k.add(CheckFinding{Kind: "volume", Object: n, Problem: "referenced by container " + shortID(id) + ", which has no record"})
	}
	if !k.repair {
		return
	}
	anon, err := k.e.vols.Release(ctx, id)
	for _, n := range anon {
		if err == nil {
			err = k.e.vols.Remove(ctx, n, false)
		}
	}
	for i := first; i < len(k.rep.Findings); i++ {
		k.fix(i, "released", err)
	}
	if err == nil && !dirExists(k.e.containerDir(id)) {
		os.Remove(k.e.lockPath(id)) // nothing of the container is left
	}
}

func keysOf[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
