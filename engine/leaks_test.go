package engine_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"berth/engine"
)

// The leak test runs create/start/rm -f cycles of a container on the default
// bridge with a published port in one in-process engine (the shape of a
// long-lived berth process: the TUI, later an API server) and compares what
// the process and the data root hold before and after.

// leakCycles is the number of measured cycles: 100, or 1,000 in the stress
// form (BERTH_STRESS_SECONDS set, as make test-stress does).
func leakCycles() int {
	if os.Getenv("BERTH_STRESS_SECONDS") != "" {
		return 1000
	}
	return 100
}

// leakWarmup cycles run before the first measurement: the first cycle makes
// what stays for the root's lifetime (the bridge, the nftables table and
// its network rules, the netns directory's mount, database tables' first
// pages, the pool's connections), and a few more let SQLite's b-trees and
// free list reach the size that a container's rows need.
const leakWarmup = 5

// leakEventsMax is the events log's rotation size in the leak test: small,
// so that the cycles rotate it several times.
const leakEventsMax = 16 << 10

// leakSnap is what one measurement found.
type leakSnap struct {
	root       string
	fds        []string // targets of the test process's open fds
	goroutines int
	mounts     []string // mount points under the root
	cgroups    []string // cgroups of the cycles' containers
	veths      []string
	rules      []string // comments of the rules in the root's nftables table
	leases     int      // endpoints on the default bridge
	ports      int      // containers with published-port records
	dbPages    int      // berth.db pages after a checkpoint (free ones included)
	dbFree     int      // of which on the free list
	walBytes   int64    // berth.db-wal after the checkpoint
	files      []string // paths under the root (rotated events logs left out)
	eventBytes int64    // events.log and its rotated files
}

func TestCycleLeaks(t *testing.T) {
	root := t.TempDir()
	e, err := engine.New(engine.Options{Root: root, EventsMaxSize: leakEventsMax,
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	if err != nil {
		t.Fatal(err)
	}
	usedNames.Store(e.Networks().TableName(), true)
	t.Cleanup(func() { teardown(t, e) })
	if _, err := e.Images().Bootstrap(context.Background(), "busybox", nil); err != nil {
		t.Fatal(err)
	}
	lc := &leakCycler{t: t, e: e, port: freePort(t, "tcp"), ids: map[string]bool{}}
	lc.run(0, leakWarmup)
	n, start := leakCycles(), time.Now()
	before := lc.snap()
	var pages []int // the database's pages after each tenth of the cycles
	for i := leakWarmup; i < leakWarmup+n; i += n / 10 {
		lc.run(i, n/10)
		pages = append(pages, lc.snap().dbPages)
	}
	took := time.Since(start)
	after := lc.snap()
	if !lc.settle(before, &after) {
		t.Errorf("goroutines or fds did not return to the baseline:\n%s", goroutineDump())
	}
	t.Logf("%d cycles in %v (after %d warm-up cycles); database pages at each tenth: %v", n, took.Round(time.Second), leakWarmup, pages)
	compareLeakSnaps(t, before, after, pages)
	rep, err := e.Check(context.Background(), false)
	if err != nil {
		t.Fatalf("system check: %v", err)
	}
	for _, f := range rep.Findings {
		t.Errorf("system check: %s", f)
	}
}

// leakCycler runs the cycles of one test.
type leakCycler struct {
	t    *testing.T
	e    *engine.Engine
	port string
	ids  map[string]bool // every container the cycles made
}

// run makes cycles first..first+n-1: create with -p port:80, start, rm -f.
// Right after each removal nothing of the container's network may be left.
func (lc *leakCycler) run(first, n int) {
	t, ctx := lc.t, context.Background()
	for i := first; i < first+n; i++ {
		o := opts("sleep", "1000")
		o.Name = fmt.Sprintf("leak%d", i)
		o.HostConfig.PortBindings = engine.PortMap{"80/tcp": {{HostPort: lc.port}}}
		c, err := lc.e.Create(ctx, o)
		if err != nil {
			t.Fatalf("cycle %d: create: %v", i, err)
		}
		lc.ids[c.ID] = true
		if err := lc.e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
			t.Fatalf("cycle %d: start: %v", i, err)
		}
		if i == 0 {
			lc.seen(c.ID)
		}
		if err := lc.e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true}); err != nil {
			t.Fatalf("cycle %d: rm -f: %v", i, err)
		}
		if v := leftVeths(lc.e); len(v) > 0 {
			t.Fatalf("cycle %d: veths left when rm returned: %v", i, v)
		}
	}
}

// seen checks that the measurements see what a running container holds, so
// that a count that stays the same means something.
func (lc *leakCycler) seen(id string) {
	s := lc.snap()
	rule := slices.Contains(s.rules, "berth ctr:"+id)
	if len(s.mounts) < 2 || len(s.cgroups) == 0 || len(s.veths) != 1 || s.leases != 1 || s.ports != 1 || !rule {
		lc.t.Fatalf("a running container shows as mounts %v, cgroups %v, veths %v, leases %d, port owners %d, its port rule %v",
			s.mounts, s.cgroups, s.veths, s.leases, s.ports, rule)
	}
}

// settle waits (a bounded while) for goroutines and fds that end
// asynchronously to get back to the baseline, measuring after again.
func (lc *leakCycler) settle(before leakSnap, after *leakSnap) bool {
	for range 50 {
		db := filepath.Join(before.root, "berth.db")
		if after.goroutines <= before.goroutines && len(withoutFile(after.fds, db)) <= len(withoutFile(before.fds, db)) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
		*after = lc.snap()
	}
	return false
}

func (lc *leakCycler) snap() leakSnap {
	t, e, ctx := lc.t, lc.e, context.Background()
	s := leakSnap{root: e.Root()}
	// Removed containers' files are deleted in the background (trash.go):
	// a snapshot is of a quiet engine, once they are gone.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if left, _ := os.ReadDir(filepath.Join(e.Root(), "trash")); len(left) == 0 {
			break
		}
	}
	runtime.GC()
	s.goroutines = runtime.NumGoroutine()
	s.fds = openFDs(t)
	s.mounts = mountsUnder(t, e.Root())
	s.cgroups = cgroupsOf(t, lc.ids)
	s.veths = leftVeths(e)
	s.rules = ruleTags(e.Networks().TableName())
	eps, err := e.Networks().Members(ctx, "bridge")
	if err != nil {
		t.Fatal(err)
	}
	s.leases = len(eps)
	owners, err := e.Networks().PortOwners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.ports = len(owners)
	s.dbPages, s.dbFree, s.walBytes = checkpointedDB(t, filepath.Join(e.Root(), "berth.db"))
	s.files, s.eventBytes = rootFiles(t, e.Root())
	return s
}

// compareLeakSnaps fails on anything that did not return to where it was.
func compareLeakSnaps(t *testing.T, before, after leakSnap, pages []int) {
	t.Helper()
	t.Logf("fds %d -> %d, goroutines %d -> %d, mounts %d -> %d, cgroups %d -> %d, veths %d -> %d, rules %d -> %d, "+
		"leases %d -> %d, port owners %d -> %d, db pages %d (free %d) -> %d (free %d), wal %d -> %d bytes, "+
		"files %d -> %d, events %d -> %d bytes",
		len(before.fds), len(after.fds), before.goroutines, after.goroutines, len(before.mounts), len(after.mounts),
		len(before.cgroups), len(after.cgroups), len(before.veths), len(after.veths), len(before.rules), len(after.rules),
		before.leases, after.leases, before.ports, after.ports, before.dbPages, before.dbFree, after.dbPages, after.dbFree,
		before.walBytes, after.walBytes, len(before.files), len(after.files), before.eventBytes, after.eventBytes)
	diff := func(what string, b, a []string) {
		if gone, added := setDiff(b, a); len(gone)+len(added) > 0 {
			t.Errorf("%s differ: gone %v, added %v", what, gone, added)
		}
	}
	// database/sql keeps up to 2 idle connections (its default, which the
	// store keeps), each with berth.db open: a second one opens whenever two
	// queries overlap, so it may come during the cycles. More is a leak.
	db := filepath.Join(after.root, "berth.db")
	diff("open fds", withoutFile(before.fds, db), withoutFile(after.fds, db))
	if n := len(after.fds) - len(withoutFile(after.fds, db)); n > 2 {
		t.Errorf("%d fds of %s open, more than the connection pool keeps idle", n, db)
	}
	diff("mounts under the root", before.mounts, after.mounts)
	diff("cgroups", before.cgroups, after.cgroups)
	diff("veths", before.veths, after.veths)
	diff("nftables rules", before.rules, after.rules)
	diff("files under the root", before.files, after.files)
	if after.goroutines > before.goroutines {
		t.Errorf("goroutines: %d before, %d after", before.goroutines, after.goroutines)
	}
	if before.leases != after.leases || before.ports != after.ports {
		t.Errorf("leases %d -> %d, port owners %d -> %d", before.leases, after.leases, before.ports, after.ports)
	}
	checkDBPages(t, before.dbPages, pages)
	// Rotation keeps events.log and one rotated file of at most leakEventsMax
	// each; the monitors (which rotate at the default size) may append a
	// cycle's few events past that before the engine's next append rotates.
	if _, err := os.Stat(filepath.Join(after.root, "events.log.1")); err != nil {
		t.Errorf("the events log never rotated: %v", err)
	}
	if limit := int64(2*leakEventsMax + 4<<10); after.eventBytes > limit {
		t.Errorf("events log holds %d bytes, over the rotation bound %d", after.eventBytes, limit)
	}
}

// checkDBPages fails on a database that grew past the pages of the warm-up
// cycles. A deleted container's rows free their pages onto SQLite's free
// list, and the next cycle's rows take them again, so once the warm-up made
// the pages one container needs (and the b-trees' interior pages) the file
// stays that size. The slack of 2 pages covers a b-tree page split falling
// on a different page in a later cycle (a split page is only merged back
// when it empties). A growing trend (every tenth bigger than the one before
// it) fails even within that slack.
func checkDBPages(t *testing.T, base int, pages []int) {
	t.Helper()
	const slack = 2
	for i, p := range pages {
		if p > base+slack {
			t.Errorf("database grew: %d pages after the warm-up, %d after tenth %d of the cycles (%v)", base, p, i+1, pages)
			return
		}
	}
	growing := len(pages) > 2
	for i := 1; i < len(pages); i++ {
		growing = growing && pages[i] > pages[i-1]
	}
	if growing {
		t.Errorf("database keeps growing: pages at each tenth %v", pages)
	}
}

func setDiff(before, after []string) (gone, added []string) {
	count := map[string]int{}
	for _, s := range before {
		count[s]++
	}
	for _, s := range after {
		count[s]--
	}
	for s, n := range count {
		for ; n > 0; n-- {
			gone = append(gone, s)
		}
		for ; n < 0; n++ {
			added = append(added, s)
		}
	}
	slices.Sort(gone)
	slices.Sort(added)
	return gone, added
}

// withoutFile is fds less the ones open on path.
func withoutFile(fds []string, path string) []string {
	var out []string
	for _, f := range fds {
		if f != path {
			out = append(out, f)
		}
	}
	return out
}

// openFDs lists the targets of the process's open fds (sorted).
func openFDs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", en.Name())); err == nil {
			out = append(out, target) // the fd of ReadDir itself is gone by now
		}
	}
	slices.Sort(out)
	return out
}

// mountsUnder lists the mount points of /proc/self/mountinfo under root.
func mountsUnder(t *testing.T, root string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == root || strings.HasPrefix(fields[4], root+"/")) {
			out = append(out, fields[4])
		}
	}
	return out
}

// cgroupsOf lists the cgroups of the given containers under the container
// cgroup parent (/berth) of every mounted hierarchy: each v1 controller, the
// hybrid unified one, or the v2 root.
func cgroupsOf(t *testing.T, ids map[string]bool) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		_, after, ok := strings.Cut(line, " - ")
		if !ok || !(strings.HasPrefix(after, "cgroup ") || strings.HasPrefix(after, "cgroup2 ")) {
			continue
		}
		parent := filepath.Join(strings.Fields(line)[4], filepath.Dir(engine.CgroupPath("x")))
		ents, _ := os.ReadDir(parent)
		for _, en := range ents {
			if en.IsDir() && ids[en.Name()] {
				out = append(out, filepath.Join(parent, en.Name()))
			}
		}
	}
	return out
}

// checkpointedDB checkpoints berth.db's write-ahead log into the file (as
// the last connection's close would) and returns its pages, its free pages
// and what is left in the log.
func checkpointedDB(t *testing.T, path string) (pages, free int, wal int64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var busy, logged, moved int
	if err := db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &moved); err != nil || busy != 0 {
		t.Fatalf("checkpoint %s: busy %d: %v", path, busy, err)
	}
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA freelist_count`).Scan(&free); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil {
		wal = fi.Size()
	}
	return pages, free, wal
}

// rotatedEvents matches the events log and its rotated files.
var rotatedEvents = regexp.MustCompile(`^events\.log(\.[0-9])?$`)

// rootFiles lists the paths under root (the rotated events logs, which come
// and go with rotation, left out) and the events logs' total size.
func rootFiles(t *testing.T, root string) ([]string, int64) {
	t.Helper()
	var out []string
	var events int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rotatedEvents.MatchString(d.Name()) && filepath.Dir(p) == root {
			if fi, err := d.Info(); err == nil {
				events += fi.Size()
			}
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, events
}

func goroutineDump() string {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	return b.String()
}
