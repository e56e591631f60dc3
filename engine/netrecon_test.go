package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
	"github.com/vishvananda/netlink"

	"berth/engine"
	"berth/netmgr"
)

// The network-recovery tests run several berth processes on one data root:
// the test binary re-executed with BERTH_TEST_HELPER=netrecon and
// BERTH_NETRECON_MODE saying what to do until BERTH_NETRECON_UNTIL (Unix
// nanoseconds). A helper prints one "error: ..." line per failed call and a
// last "done N" line with the number of rounds it made.

// netReconHelper is the body of a re-executed helper process.
func netReconHelper() int {
	until, _ := strconv.ParseInt(os.Getenv("BERTH_NETRECON_UNTIL"), 10, 64)
	root, bin := os.Getenv("BERTH_TEST_ROOT"), os.Getenv("BERTH_NETRECON_BIN")
	o := engine.Options{Root: root, MonitorPath: filepath.Join(bin, "berth-monitor"), InitPath: filepath.Join(bin, "berth-init")}
	rounds := 0
	for ; time.Now().UnixNano() < until; rounds++ {
		var errs []error
		switch os.Getenv("BERTH_NETRECON_MODE") {
		case "open":
			errs = openRound(o)
		default:
			errs = lifecycleRound(o, fmt.Sprintf("%s-%d", os.Getenv("BERTH_TEST_PREFIX"), rounds), rounds)
		}
		for _, err := range errs {
			fmt.Printf("error: %s\n", strings.ReplaceAll(err.Error(), "\n", " | "))
		}
	}
	fmt.Printf("done %d\n", rounds)
	return 0
}

// openRound opens an engine (which runs the network recovery), lists the
// containers as `berth ps` does, and closes it again. A recovery that failed
// to do something (a warning of the engine) counts as an error too.
func openRound(o engine.Options) []error {
	e, err := engine.New(o)
	if err != nil {
		return []error{fmt.Errorf("open: %w", err)}
	}
	defer e.Close()
	var errs []error
	for _, w := range e.Warnings() {
		errs = append(errs, fmt.Errorf("open: %s", w))
	}
	if _, err := e.List(context.Background(), true); err != nil {
		errs = append(errs, fmt.Errorf("list: %w", err))
	}
	return errs
}

// lifecycleRound is one `berth run -d`, network connect and disconnect,
// stop (every other round) and `berth rm -f`, each verb in an engine of its
// own as separate CLI invocations would have.
func lifecycleRound(o engine.Options, name string, round int) []error {
	ctx := context.Background()
	primary, other := "bridge", "reconnet"
	if round%2 == 1 {
		primary, other = other, primary
	}
	var errs []error
	verb := func(what string, f func(e *engine.Engine) error) bool {
		e, err := engine.New(o)
		if err == nil {
			for _, w := range e.Warnings() {
				errs = append(errs, fmt.Errorf("%s %s: open: %s", what, name, w))
			}
			err = f(e)
			e.Close()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", what, name, err))
		}
		return err == nil
	}
	created := verb("run", func(e *engine.Engine) error {
		c, err := e.Create(ctx, engine.CreateOptions{Name: name, Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "60"}},
			HostConfig: engine.HostConfig{NetworkMode: primary}})
		if err != nil {
			return err
		}
		return e.Start(ctx, c.ID, engine.StartOptions{})
	})
	if created && verb("connect", func(e *engine.Engine) error { return e.Connect(ctx, other, name, engine.EndpointSettings{}) }) {
		verb("disconnect", func(e *engine.Engine) error { return e.Disconnect(ctx, other, name) })
	}
	if round%2 == 0 {
		verb("stop", func(e *engine.Engine) error {
			zero := time.Duration(0)
			return e.Stop(ctx, name, engine.StopOptions{Timeout: &zero})
		})
	}
	verb("rm", func(e *engine.Engine) error { return e.Remove(ctx, name, engine.RemoveOptions{Force: true}) })
	return errs
}

// stressDuration is how long the concurrency test runs: 10 s, or
// BERTH_STRESS_SECONDS (make test-stress sets it).
func stressDuration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("BERTH_STRESS_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 10 * time.Second
}

// TestNetworkRecoveryBesideSetups runs four processes that create, start,
// connect, disconnect, stop and remove containers on one root beside a
// fifth that keeps opening engines (each open runs the network recovery).
// Recovery must not break any setup in flight nor wedge the root: no call
// may fail, and at the end no namespace, veth, lease or port rule is left.
func TestNetworkRecoveryBesideSetups(t *testing.T) {
	root := t.TempDir()
	e := openEngine(t, root, true)
	ctx := context.Background()
	if _, err := e.CreateNetwork(ctx, netmgr.CreateOptions{Name: "reconnet"}); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(stressDuration()).UnixNano()
	modes := []string{"loop", "loop", "loop", "loop", "open"}
	outs := make([]string, len(modes))
	var wg sync.WaitGroup
	for i, mode := range modes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = runNetReconHelper(t, root, mode, fmt.Sprintf("p%d", i), until)
		}()
	}
	wg.Wait()
	rounds := map[string]int{}
	failed := 0
	for i, out := range outs {
		sc := bufio.NewScanner(strings.NewReader(out))
		n := -1
		for sc.Scan() {
			line := sc.Text()
			if msg, ok := strings.CutPrefix(line, "error: "); ok {
				t.Errorf("%s helper %d: %s", modes[i], i, msg)
				failed++
			}
			if v, ok := strings.CutPrefix(line, "done "); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		if n < 1 {
			t.Errorf("%s helper %d made no round: %q", modes[i], i, out)
		}
		t.Logf("%s helper %d: %d rounds", modes[i], i, n)
		rounds[modes[i]] += max(n, 0)
	}
	t.Logf("concurrency: %v, 4 processes made %d run/connect/disconnect/stop/rm rounds beside %d engine opens, %d errors",
		stressDuration(), rounds["loop"], rounds["open"], failed)
	// Every removal deleted its veths before it returned, and no thread of a
	// helper stayed in a namespace (which kept it and its veths alive until
	// the helper exited, and for a while after): nothing is left even
	// before the next open's recovery, and the check finds nothing.
	if left := leftVeths(e); len(left) > 0 {
		t.Errorf("veths left: %v", left)
	}
	rep, err := e.Check(ctx, false)
	if err != nil {
		t.Fatalf("system check: %v", err)
	}
	for _, f := range rep.Findings {
		t.Errorf("system check: %s", f)
	}
	next := openEngine(t, root, false) // closed by its own teardown
	assertNoNetworkLeft(t, next)
}

// leftVeths lists the host veths of e's root.
func leftVeths(e *engine.Engine) []string {
	var left []string
	links, _ := netlink.LinkList()
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, "v"+e.Networks().TableName()) {
			left = append(left, l.Attrs().Name)
		}
	}
	return left
}

// runNetReconHelper runs one helper process to the end and returns its output.
func runNetReconHelper(t *testing.T, root, mode, prefix string, until int64) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BERTH_TEST_HELPER=netrecon", "BERTH_TEST_ROOT="+root, "BERTH_TEST_PREFIX="+prefix,
		"BERTH_NETRECON_MODE="+mode, "BERTH_NETRECON_BIN="+binDir, fmt.Sprintf("BERTH_NETRECON_UNTIL=%d", until))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("%s helper %s: %v\n%s", mode, prefix, err, stderr.String())
	}
	return string(out)
}

// assertNoNetworkLeft checks that no container, namespace, veth, lease or
// container port rule of e's root is left.
func assertNoNetworkLeft(t *testing.T, e *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	if cs, err := e.List(ctx, true); err != nil || len(cs) > 0 {
		t.Errorf("containers left: %d (%v)", len(cs), err)
	}
	ents, _ := os.ReadDir(filepath.Join(e.Root(), "run", "net", "netns"))
	for _, en := range ents {
		t.Errorf("namespace %s left", en.Name())
	}
	for _, n := range []string{"bridge", "reconnet"} {
		if eps, err := e.Networks().Members(ctx, n); err != nil || len(eps) > 0 {
			t.Errorf("leases left on %s: %+v (%v)", n, eps, err)
		}
	}
	links, _ := netlink.LinkList()
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, "v"+e.Networks().TableName()) {
			t.Errorf("veth %s left", l.Attrs().Name)
		}
	}
	for _, tag := range ruleTags(e.Networks().TableName()) {
		if strings.HasPrefix(tag, "berth ctr:") {
			t.Errorf("port rule %q left", tag)
		}
	}
}

// ruleTags lists the comments of the rules in nftables table ip <table>.
func ruleTags(table string) []string {
	c, err := nftables.New()
	if err != nil {
		return nil
	}
	chains, _ := c.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	var tags []string
	for _, ch := range chains {
		if ch.Table.Name != table {
			continue
		}
		rs, _ := c.GetRules(ch.Table, ch)
		for _, r := range rs {
			s, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			tags = append(tags, s)
		}
	}
	return tags
}
