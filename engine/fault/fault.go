// Package fault is berth's kill-anywhere switch: named points between the
// steps of the engine's multi-step operations where a test can have the berth
// process killed, to prove that the next process recovers whatever the kill
// left (see cmd/berth's kill-anywhere test).
//
// BERTH_FAULT=<point> makes a berth process SIGKILL itself the first time it
// reaches that point; BERTH_FAULT=<point>:<n> the n-th time. The engine reads
// the variable once, when it opens (engine.Options.Fault), and hands a Func
// down: the image, network and volume stores take it as a plain
// func(point string) hook (images.Store.SetFault, netmgr.Options.Fault,
// volumes.Store.SetFault), so they import nothing of the engine and this
// package imports nothing of berth. With the variable unset the Func is nil
// and each point costs one nil check.
//
// The points (see Points, which the test walks):
//
//	create.image-held       create: image referenced, nothing else made
//	create.rootfs-prepared  create: image layers unpacked
//	create.dir-made         create: container directory made
//	create.mounts-made      create: volumes made and referenced
//	create.stored           create: record stored, before the create event
//	start.rootfs-mounted    start: overlay mounted
//	start.netns-made        start: network namespace made
//	net.connect.leased      start/connect: address leased, no veth yet
//	net.connect.veth-made   start/connect: veth pair made, not configured
//	start.connected         start: every network joined, ports not published
//	start.published         start: ports published (nftables rules)
//	start.record-saved      start: record saved, monitor not spawned
//	start.monitor-spawned   start: monitor runs, its word not yet read
//	stop.marked             stop: marked stopped, no signal sent
//	stop.signalled          stop: stop signal sent, not waited for
//	netstop.recorded        stop: record shows no endpoint, veths and leases kept
//	netstop.released        stop: veths, leases, ports freed, DNS names and netns kept
//	netstop.names-updated   stop: DNS names dropped, netns kept
//	start.released          start: what an earlier run left of its endpoints freed
//	rm.marked               rm: record marked "removing"
//	rm.monitor-stopped      rm: monitor ended
//	rm.network-released     rm: namespace, veths, leases, ports gone
//	rm.volumes-released     rm: volume references dropped
//	rm.files-deleted        rm: container directory deleted
//	rm.image-released       rm: image reference dropped, before the row goes
//	rm.row-deleted          rm: row deleted, before the lock file and event
//	autorm.marked           run --rm waiter: record marked "removing", monitor not told
//	autorm.owned            run --rm waiter: removal owned and claim let go, monitor may still run
//	connect.joined          network connect: joined, record not saved
//	disconnect.detached     network disconnect: veth and lease gone, record not saved
//	net.create.stored       network create: record stored
//	net.rm.row-deleted      network rm: record gone, bridge and rules not yet
//	net.disconnect.unlinked network disconnect: veth gone, lease not freed
//	volume.create.dir-made  volume create: directory made, record not committed
//	volume.rm.moved-aside   volume rm: data moved aside, record not yet deleted
//	volume.rm.committed     volume rm: record deleted, data not yet removed
//	image.blob-stored       pull/load: one blob moved into the store
//	image.blobs-stored      pull/load: every blob stored, no record yet
//	image.recorded          pull/load: image recorded, index.json not rewritten
//	image.rm.untagged       image rm: record gone, garbage not collected
//	image.gc.blob-removed   image rm: one unused blob removed
//	image.snapshot-unpacked create: a layer unpacked in a temp dir
//	image.snapshot-linked   create: a layer's short link made, dir not renamed
package fault

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Func is called at each named point; nil means no fault is armed.
type Func func(point string)

// At calls f at point when a fault is armed.
func (f Func) At(point string) {
	if f != nil {
		f(point)
	}
}

// Points lists every named point, in the order of the package comment.
func Points() []string {
	return []string{
		"create.image-held", "create.rootfs-prepared", "create.dir-made", "create.mounts-made", "create.stored",
		"start.rootfs-mounted", "start.netns-made", "net.connect.leased", "net.connect.veth-made",
		"start.connected", "start.published", "start.record-saved", "start.monitor-spawned",
		"stop.marked", "stop.signalled",
		"netstop.recorded", "netstop.released", "netstop.names-updated", "start.released",
		"rm.marked", "rm.monitor-stopped", "rm.network-released", "rm.volumes-released",
		"rm.files-deleted", "rm.image-released", "rm.row-deleted",
		"autorm.marked", "autorm.owned",
		"connect.joined", "disconnect.detached",
		"net.create.stored", "net.rm.row-deleted", "net.disconnect.unlinked",
		"volume.create.dir-made", "volume.rm.moved-aside", "volume.rm.committed",
		"image.blob-stored", "image.blobs-stored", "image.recorded",
		"image.rm.untagged", "image.gc.blob-removed",
		"image.snapshot-unpacked", "image.snapshot-linked",
		"image.snapshot-adopted", "image.lazy-blob-written",
	}
}

// Parse turns a BERTH_FAULT value, "<point>" or "<point>:<n>", into a Func
// that kills the process (SIGKILL, as `kill -9` would) the n-th time (first
// by default) it reaches that point. "" gives nil. An unknown point or a bad
// count is an error, so that a misspelt fault fails loudly instead of never
// firing.
func Parse(spec string) (Func, error) {
	if spec == "" {
		return nil, nil
	}
	point, count, hasCount := strings.Cut(spec, ":")
	n := 1
	if hasCount {
		v, err := strconv.Atoi(count)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("BERTH_FAULT %q: the count after ':' must be a positive number", spec)
		}
		n = v
	}
	if !known(point) {
		return nil, fmt.Errorf("BERTH_FAULT %q: no such fault point (see package berth/engine/fault)", spec)
	}
	var mu sync.Mutex
	seen := 0
	return func(p string) {
		if p != point {
			return
		}
		mu.Lock()
		seen++
		hit := seen == n
		mu.Unlock()
		if hit {
			kill(p)
		}
	}, nil
}

func known(point string) bool {
	for _, p := range Points() {
		if p == point {
			return true
		}
	}
	return false
}

// kill ends the process at once: no deferred function, no cleanup runs.
func kill(point string) {
	fmt.Fprintf(os.Stderr, "berth: fault point %s reached: killing myself\n", point)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	for { // SIGKILL cannot be caught; never return into the operation
		time.Sleep(time.Hour)
	}
}
