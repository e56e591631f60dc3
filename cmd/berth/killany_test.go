package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"berth/engine/fault"
	"berth/engine/monitor"
)

// The kill-anywhere test (issue 11, "Faults"): berth is SIGKILLed at every
// named fault point (BERTH_FAULT, package engine/fault) and at random
// moments of its multi-step verbs. After each kill the next berth process
// must work and `berth system check` must find nothing: whatever the kill
// left, the next engine open completes or rolls back.

// killRoot is one data root for the kill-anywhere test: an image of its own
// on a registry on 127.0.0.1 and saved to a file, so that pull, load, rmi and
// first-time unpacks have real work to do.
type killRoot struct {
	*cli
	ref     string // the test image's reference on the registry
	tarball string // the test image, saved
	context string // a build context: FROM the test image, a COPY
	saved   string // where the save case writes
	kills   int
	failed  int // kills after which something did not work
	errors  int // what did not work
}

// killCase is one verb to kill: setup makes what it needs, undo removes
// what it made (whatever the kill left done).
type killCase struct {
	name  string
	setup func(k *killRoot)
	args  []string
	undo  func(k *killRoot)
}

func newKillRoot(t *testing.T) *killRoot {
	host := startRegistry(t, "", "")
	k := &killRoot{cli: newCLI(t), ref: host + "/kill/img:v1"}
	src := filepath.Join(t.TempDir(), "layer.tar")
	if err := os.WriteFile(src, tarOf(t, map[string]string{"etc/kill": "anywhere\n"}), 0o644); err != nil {
		t.Fatal(err)
	}
	k.ok("import", src, k.ref)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	k.ok("push", "-q", k.ref)
	k.tarball = filepath.Join(t.TempDir(), "img.tar")
	k.ok("save", "-o", k.tarball, k.ref)
	k.ok("rmi", k.ref)
	k.context, k.saved = t.TempDir(), filepath.Join(t.TempDir(), "saved.tar")
	files := map[string]string{"Dockerfile": "FROM " + k.ref + "\nCOPY f /f\n", "f": "built\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(k.context, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// quiet runs berth and ignores how it ends.
func (k *killRoot) quiet(args ...string) { k.run("", args...) }

// undo runs a verb that removes what a killed verb may or may not have left:
// it must work, or say the object is not there (a kill before it was made,
// or a --rm container its monitor removed meanwhile).
func (k *killRoot) undo(args ...string) {
	k.t.Helper()
	_, errOut, code := k.run("", args...)
	low := strings.ToLower(errOut)
	if code != 0 && !strings.Contains(low, "no such") && !strings.Contains(low, "not found") {
		k.t.Errorf("after a kill, berth %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		k.errors++
	}
}

// start starts berth with args, with BERTH_FAULT set to spec when not empty.
func (k *killRoot) start(spec string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(filepath.Join(binDir, "berth"), append([]string{"--root", k.root}, args...)...)
	cmd.Env = os.Environ()
	if spec != "" {
		cmd.Env = append(cmd.Env, "BERTH_FAULT="+spec)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		k.t.Fatalf("start berth %v: %v", args, err)
	}
	return cmd, &out
}

// killed reports whether berth ended by SIGKILL.
func killed(err error) bool {
	ee, ok := err.(*exec.ExitError)
	if !ok {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// survived checks the root after a kill: the next berth process works and,
// once it has recovered, system check finds nothing. It undoes the case.
func (k *killRoot) survived(what string, kc killCase) {
	k.t.Helper()
	k.kills++
	before := k.errors
	if _, errOut, code := k.run("", "ps", "-a"); code != 0 {
		k.t.Errorf("%s: the next berth process (ps -a) failed: exit %d: %s", what, code, errOut)
		k.errors++
	}
	waitRmDone(k.root) // a killed run --rm leaves its removal to the container's monitor
	if out, errOut, code := k.run("", "system", "check"); code != 0 || out != "no problems found\n" {
		k.t.Errorf("%s: system check: exit %d: %s%s", what, code, out, errOut)
		k.errors++
		k.quiet("system", "check", "--repair") // so that the next case starts clean
	}
	if kc.undo != nil {
		kc.undo(k)
	}
	if k.errors > before {
		k.failed++
	}
}

// atPoint runs kc with its fault point armed and expects it to die there.
func (k *killRoot) atPoint(point string, kc killCase) {
	k.t.Helper()
	if kc.setup != nil {
		kc.setup(k)
	}
	cmd, out := k.start(point, kc.args...)
	err := cmd.Wait()
	if !killed(err) {
		k.t.Errorf("fault %s: berth %s was not killed there (%v): %s", point, strings.Join(kc.args, " "), err, out)
		if kc.undo != nil {
			kc.undo(k)
		}
		return
	}
	k.survived("fault "+point, kc)
}

// timed runs kc and kills it after a random part of d.
func (k *killRoot) timed(rng *rand.Rand, kc killCase, d time.Duration) {
	k.t.Helper()
	if kc.setup != nil {
		kc.setup(k)
	}
	delay := time.Duration(rng.Int63n(int64(d) + 1))
	cmd, _ := k.start("", kc.args...)
	time.Sleep(delay)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	k.survived(fmt.Sprintf("%s killed after %v", kc.name, delay.Round(time.Millisecond)), kc)
}

// rmAll removes every container (and its anonymous volumes).
func rmAll(k *killRoot) {
	out, _, _ := k.run("", "ps", "-aq", "--no-trunc")
	for _, id := range strings.Fields(out) {
		k.undo("rm", "-f", "-v", id)
	}
}

func upContainer(name string) func(k *killRoot) {
	return func(k *killRoot) {
		k.ok("run", "-d", "--name", name, "-v", "/data", "-p", "127.0.0.1::80", "busybox", "sleep", "1000")
	}
}

// exitedAlone makes a container that exits on its own and waits, without
// a berth process (whose engine would release its endpoints at open), until
// its monitor has recorded the end and gone.
func exitedAlone(name string) func(k *killRoot) {
	return func(k *killRoot) {
		id := strings.TrimSpace(k.ok("run", "-d", "--name", name, "-p", "127.0.0.1::80", "busybox", "sh", "-c", "sleep 0.2"))
		statePath := filepath.Join(k.root, "containers", id, "state.json")
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			st, err := monitor.ReadState(statePath)
			if err == nil && st.Status == monitor.StatusExited && !st.Alive() {
				return
			}
			if time.Now().After(deadline) { // a bound against a hang only
				k.t.Fatalf("container %s did not exit: %v", name, err)
			}
		}
	}
}

func undoNetwork(k *killRoot) {
	rmAll(k)
	k.undo("network", "rm", "kn")
}

// killCases are the verbs the test kills, by name.
func killCases() map[string]killCase {
	runD := killCase{name: "run -d", args: []string{"run", "-d", "--name", "kc", "-v", "/data", "-p", "127.0.0.1::80", "busybox", "sleep", "1000"}, undo: rmAll}
	connected := func(k *killRoot) {
		k.ok("network", "create", "kn")
		upContainer("kc")(k)
		k.ok("network", "connect", "kn", "kc")
	}
	noImage := func(k *killRoot) { k.undo("rmi", "-f", k.ref) }
	loaded := func(k *killRoot) { noImage(k); k.ok("load", "-q", "-i", k.tarball) }
	unbuilt := func(k *killRoot) {
		k.undo("rmi", "-f", "kb")
		k.undo("builder", "prune", "-a", "-f")
		noImage(k)
	}
	built := func(k *killRoot) { loaded(k); k.ok("build", "-q", "-t", "kb", k.context) }
	return map[string]killCase{
		"run -d":   runD,
		"run --rm": {name: "run --rm", args: []string{"run", "--rm", "-v", "/data", "-p", "127.0.0.1::80", "busybox", "sh", "-c", "echo hi; sleep 0.2"}, undo: rmAll},
		"start":    {name: "start", setup: func(k *killRoot) { k.ok("create", "--name", "kc", "-p", "127.0.0.1::80", "busybox", "sleep", "1000") }, args: []string{"start", "kc"}, undo: rmAll},
		"stop":     {name: "stop", setup: upContainer("kc"), args: []string{"stop", "-t", "1", "kc"}, undo: rmAll},
		"start exited": {name: "start (a container that exited with no berth process around)", setup: exitedAlone("kc"),
			args: []string{"start", "kc"}, undo: rmAll},
		"rm -f":      {name: "rm -f", setup: upContainer("kc"), args: []string{"rm", "-f", "-v", "kc"}, undo: rmAll},
		"create new": {name: "create (first unpack)", setup: loaded, args: []string{"create", "--name", "kc", "REF", "true"}, undo: func(k *killRoot) { rmAll(k); noImage(k) }},
		"connect":    {name: "network connect", setup: func(k *killRoot) { k.ok("network", "create", "kn"); upContainer("kc")(k) }, args: []string{"network", "connect", "kn", "kc"}, undo: undoNetwork},
		"disconnect": {name: "network disconnect", setup: connected, args: []string{"network", "disconnect", "kn", "kc"}, undo: undoNetwork},
		"net create": {name: "network create", args: []string{"network", "create", "kn"}, undo: undoNetwork},
		"net rm":     {name: "network rm", setup: func(k *killRoot) { connected(k); rmAll(k) }, args: []string{"network", "rm", "kn"}, undo: undoNetwork},
		"net rm stopped": {name: "network rm (a stopped member)", setup: func(k *killRoot) { connected(k); k.ok("stop", "-t", "0", "kc") },
			args: []string{"network", "rm", "kn"}, undo: undoNetwork},
		"volume create": {name: "volume create", args: []string{"volume", "create", "kv"}, undo: func(k *killRoot) { k.undo("volume", "rm", "kv") }},
		"volume rm":     {name: "volume rm", setup: func(k *killRoot) { k.ok("volume", "create", "kv") }, args: []string{"volume", "rm", "kv"}, undo: func(k *killRoot) { k.undo("volume", "rm", "kv") }},
		"pull":          {name: "pull", setup: noImage, args: []string{"pull", "-q", "REF"}, undo: noImage},
		"load":          {name: "load", setup: noImage, args: []string{"load", "-q", "-i", "TARBALL"}, undo: noImage},
		"rmi":           {name: "rmi", setup: loaded, args: []string{"rmi", "REF"}, undo: noImage},
		"build":         {name: "build", setup: loaded, args: []string{"build", "-q", "--no-cache", "-t", "kb", "CONTEXT"}, undo: unbuilt},
		"save":          {name: "save (a built layer's first blob)", setup: built, args: []string{"save", "-o", "SAVED", "kb"}, undo: unbuilt},
	}
}

// faultVerbs names, for each fault point, the case that reaches it.
func faultVerbs() map[string]string {
	m := map[string]string{
		"stop.marked": "stop", "stop.signalled": "stop",
		"connect.joined": "connect", "disconnect.detached": "disconnect", "net.disconnect.unlinked": "disconnect",
		"net.create.stored": "net create", "net.rm.row-deleted": "net rm",
		"netstop.recorded": "stop", "netstop.released": "stop", "netstop.names-updated": "stop",
		"volume.create.dir-made": "volume create", "volume.rm.moved-aside": "volume rm", "volume.rm.committed": "volume rm",
		"image.blob-stored": "pull", "image.blobs-stored": "load", "image.recorded": "pull",
		"image.rm.untagged": "rmi", "image.gc.blob-removed": "rmi",
		"image.snapshot-unpacked": "create new", "image.snapshot-linked": "create new",
		"image.snapshot-adopted": "build", "image.lazy-blob-written": "save",
		"autorm.marked": "run --rm", "autorm.owned": "run --rm",
	}
	for _, p := range fault.Points() {
		switch {
		case strings.HasPrefix(p, "create.") || strings.HasPrefix(p, "start.") || strings.HasPrefix(p, "net.connect."):
			m[p] = "run -d"
		case strings.HasPrefix(p, "rm."):
			m[p] = "rm -f"
		}
	}
	return m
}

// moreFaults are fault points also reached by a second verb, or reached
// several times by one (BERTH_FAULT=<point>:<n>), killed there too.
func moreFaults() [][2]string {
	return [][2]string{
		{"net.connect.leased", "connect"}, {"net.connect.veth-made", "connect"},
		{"net.rm.row-deleted", "net rm stopped"},
		// The recovery at open releases the endpoints of a container that
		// exited with no berth process around, before the start's own.
		{"netstop.recorded", "start exited"}, {"netstop.released", "start exited"},
		{"netstop.names-updated", "start exited"}, {"start.released", "start exited"},
		{"image.gc.blob-removed:2", "rmi"}, {"image.gc.blob-removed:3", "rmi"},
	}
}

// resolve fills in the root's image reference and tarball.
func (k *killRoot) resolve(kc killCase) killCase {
	args := make([]string, len(kc.args))
	for i, a := range kc.args {
		switch a {
		case "REF":
			a = k.ref
		case "TARBALL":
			a = k.tarball
		case "CONTEXT":
			a = k.context
		case "SAVED":
			a = k.saved
		}
		args[i] = a
	}
	kc.args = args
	return kc
}

// killTarget is how many kills the test makes: every fault point once and
// 20 timed kills, or in the stress form at least 100 in all, for at least
// BERTH_STRESS_SECONDS.
func killTarget(points int) (timed int, until time.Time) {
	s, err := strconv.Atoi(os.Getenv("BERTH_STRESS_SECONDS"))
	if err != nil || s <= 0 {
		return 20, time.Time{}
	}
	return max(100-points, 20), time.Now().Add(time.Duration(s) * time.Second)
}

// TestKillAnywhere kills berth at every fault point and at random moments of
// run, rm, start, stop, pull, load, rmi, network and volume verbs, and checks
// after each kill that the next process works and system check is clean.
func TestKillAnywhere(t *testing.T) {
	k := newKillRoot(t)
	cases, verbs := killCases(), faultVerbs()
	points := fault.Points()
	for _, p := range points {
		name, ok := verbs[p]
		if !ok {
			t.Errorf("fault point %s: no verb of this test reaches it", p)
			continue
		}
		k.atPoint(p, k.resolve(cases[name]))
	}
	for _, f := range moreFaults() {
		k.atPoint(f[0], k.resolve(cases[f[1]]))
	}
	injected := k.kills

	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	durations := map[string]time.Duration{}
	for _, n := range names { // how long each verb takes when not killed
		kc := k.resolve(cases[n])
		if kc.setup != nil {
			kc.setup(k)
		}
		begin := time.Now()
		if _, errOut, code := k.run("", kc.args...); code != 0 {
			t.Fatalf("berth %s: exit %d: %s", strings.Join(kc.args, " "), code, errOut)
		}
		durations[n] = time.Since(begin)
		if kc.undo != nil {
			kc.undo(k)
		}
	}
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	timed, until := killTarget(len(points) + len(moreFaults()))
	for i := 0; i < timed || time.Now().Before(until); i++ {
		n := names[rng.Intn(len(names))]
		k.timed(rng, k.resolve(cases[n]), durations[n])
	}
	k.wantClean() // and the undos left nothing either
	t.Logf("kills: %d injected, %d survived (%d at fault points, %d timed, seed %d)",
		k.kills, k.kills-k.failed, injected, k.kills-injected, seed)
}

// TestBadFaultPointRefused checks that a misspelt BERTH_FAULT stops berth
// with a clear error instead of never firing.
func TestBadFaultPointRefused(t *testing.T) {
	cmd := exec.CommandContext(context.Background(), filepath.Join(binDir, "berth"), "--root", t.TempDir(), "ps")
	cmd.Env = append(os.Environ(), "BERTH_FAULT=no.such.point")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no such fault point") {
		t.Errorf("berth ps with BERTH_FAULT=no.such.point: %v: %s", err, out)
	}
}
