package netmgr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// fileOwners is an Owners for tests: a container's lock is the file dir/<id>,
// and the containers of exists exist.
type fileOwners struct {
	dir    string
	exists map[string]bool
}

func (o fileOwners) TryLock(id string) (func(), bool, error) {
	f, err := os.OpenFile(filepath.Join(o.dir, id), os.O_CREATE|os.O_RDWR, 0o600)
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

func (o fileOwners) Exists(_ context.Context, id string) (bool, error) { return o.exists[id], nil }

// TestInFlightSetupHelperProcess is the second process of
// TestReconcileLeavesSetupInFlight: under the container's lock it makes the
// namespace, says so, waits for a line on stdin and then connects it.
func TestInFlightSetupHelperProcess(t *testing.T) {
	dir := os.Getenv("NETMGR_FLIGHT_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	id, lock := os.Getenv("NETMGR_FLIGHT_ID"), os.Getenv("NETMGR_FLIGHT_LOCK")
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	pool := netip.MustParsePrefix(os.Getenv("NETMGR_FLIGHT_POOL"))
	m, err := OpenWith(openDB(t, filepath.Join(dir, "db")), dir, Options{Name: os.Getenv("NETMGR_FLIGHT_NAME"), Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.CreateNamespace(id)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("flight: namespace made")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	ep, err := m.Connect(context.Background(), "flight", id, p, ConnectOptions{Primary: true})
	if err != nil {
		fmt.Printf("flight: connect: %v\n", err)
		t.Fatal(err)
	}
	fmt.Printf("flight: connected %s\n", ep.IP)
}

// TestReconcileLeavesSetupInFlight: a Reconcile while another process holds a
// container's lock between making its namespace and its veth leaves the
// namespace alone, though no record of the container exists (as for a
// container being created), and the setup completes. Once the lock is free,
// a Reconcile removes it all.
func TestReconcileLeavesSetupInFlight(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.m.Create(ctx, CreateOptions{Name: "flight"}); err != nil {
		t.Fatal(err)
	}
	owners := fileOwners{dir: t.TempDir()}
	id := "inflight"
	e.ctrs = append(e.ctrs, id)
	cmd := exec.Command(os.Args[0], "-test.run=^TestInFlightSetupHelperProcess$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "NETMGR_FLIGHT_DIR="+e.dir, "NETMGR_FLIGHT_NAME="+e.opt.Name,
		"NETMGR_FLIGHT_POOL="+e.opt.Pool.String(), "NETMGR_FLIGHT_ID="+id, "NETMGR_FLIGHT_LOCK="+filepath.Join(owners.dir, id))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	waitFor := func(prefix string) string {
		var seen []string
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), prefix) {
				return lines.Text()
			}
			seen = append(seen, lines.Text())
		}
		_ = cmd.Wait()
		t.Fatalf("helper ended before %q:\n%s\n%s", prefix, strings.Join(seen, "\n"), stderr.String())
		return ""
	}
	waitFor("flight: namespace made")
	p := e.m.NamespacePath(id)
	if err := e.m.Reconcile(ctx, owners); err != nil {
		t.Error(err)
	}
	if !isNamespace(p) {
		t.Errorf("Reconcile removed the namespace of a setup in flight")
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	if got := waitFor("flight: c"); !strings.HasPrefix(got, "flight: connected") {
		t.Errorf("setup after Reconcile: %s", got)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v\n%s", err, stderr.String())
	}
	eps, err := e.m.Endpoints(ctx, id)
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints after the setup: %+v, %v", eps, err)
	}
	assertEndpointUp(t, p, &eps[0])
	// Nothing holds the lock now, and the container has no record.
	if err := e.m.Reconcile(ctx, owners); err != nil {
		t.Error(err)
	}
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("namespace of a container without record after Reconcile: %v", err)
	}
	if eps, _ := e.m.Endpoints(ctx, id); len(eps) > 0 {
		t.Errorf("endpoints of a container without record after Reconcile: %+v", eps)
	}
	if _, err := netlink.LinkByName(eps[0].HostVeth); err == nil {
		t.Errorf("veth %s of a container without record after Reconcile", eps[0].HostVeth)
	}
}

// TestReconcileKeepsExistingContainers: the namespace and endpoint of a
// container that exists, and whose lock is free, stay; a namespace file that
// is no namespace goes.
func TestReconcileKeepsExistingContainers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.m.Create(ctx, CreateOptions{Name: "keep"}); err != nil {
		t.Fatal(err)
	}
	p := e.ns(t, "kept")
	if _, err := e.m.Connect(ctx, "keep", "kept", p, ConnectOptions{Primary: true}); err != nil {
		t.Fatal(err)
	}
	stray := e.m.NamespacePath("stray")
	if err := os.WriteFile(stray, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	owners := fileOwners{dir: t.TempDir(), exists: map[string]bool{"kept": true}}
	if err := e.m.Reconcile(ctx, owners); err != nil {
		t.Error(err)
	}
	if _, err := os.Lstat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unmounted namespace file after Reconcile: %v", err)
	}
	eps, err := e.m.Endpoints(ctx, "kept")
	if err != nil || len(eps) != 1 || !isNamespace(p) {
		t.Fatalf("existing container after Reconcile: endpoints %+v (%v), namespace %v", eps, err, isNamespace(p))
	}
	assertEndpointUp(t, p, &eps[0])
}

// assertEndpointUp checks that the endpoint's veth is up on the host and its
// peer in the namespace at nsPath has the endpoint's address.
func assertEndpointUp(t *testing.T, nsPath string, ep *Endpoint) {
	t.Helper()
	if l, err := netlink.LinkByName(ep.HostVeth); err != nil || l.Attrs().OperState != netlink.OperUp {
		t.Errorf("host veth %s: %v", ep.HostVeth, err)
	}
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName(ep.IfName)
	if err != nil {
		t.Fatalf("%s in %s: %v", ep.IfName, nsPath, err)
	}
	addrs, err := h.AddrList(l, netlink.FAMILY_V4)
	if err != nil || len(addrs) != 1 || !addrs[0].IP.Equal(ep.IP.AsSlice()) {
		t.Errorf("addresses of %s: %v (%v), want %s", ep.IfName, addrs, err, ep.IP)
	}
}

// mountNamespaceOn bind-mounts a new network namespace on the existing file p.
func mountNamespaceOn(p string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), p, "", unix.MS_BIND, "")
	}()
	return <-errc
}

// TestDeleteNamespaceStacked: a namespace file with two namespaces mounted on
// it is cleared by DeleteNamespace.
func TestDeleteNamespaceStacked(t *testing.T) {
	e := newEnv(t)
	p := e.ns(t, "twice")
	if err := mountNamespaceOn(p); err != nil {
		t.Fatal(err)
	}
	if err := e.m.DeleteNamespace("twice"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("namespace file after DeleteNamespace: %v", err)
	}
}

// privateDir returns a directory on a tmpfs of its own with private
// propagation (as /run is on hosts without systemd), so that a namespace
// mounted beneath the netns directory's bind mount stays there. Cleanup
// unmounts the tmpfs.
func privateDir(t *testing.T) string {
	t.Helper()
	needRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	if err := unix.Mount("", dir, "", unix.MS_PRIVATE, ""); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "run")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	return sub
}

// TestReconcileClearsNamespaceBeneathNetnsDir builds issue 11's wedge: a
// namespace mounted on netns/<id> while the directory was no mount point,
// then the directory bind-mounted on itself (the first CreateNamespace after)
// and the copy of <id> in the bind mount unmounted, so netns/<id> is a plain
// file that cannot be removed (EBUSY). Reconcile removes it, and the namespace
// made in the bind mount meanwhile stays the same namespace and usable.
func TestReconcileClearsNamespaceBeneathNetnsDir(t *testing.T) {
	e := newEnvAt(t, privateDir(t))
	ctx := context.Background()
	hidden := e.m.NamespacePath("hidden")
	if err := os.WriteFile(hidden, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := mountNamespaceOn(hidden); err != nil {
		t.Fatal(err)
	}
	live := e.ns(t, "live")
	if err := unix.Unmount(hidden, unix.MNT_DETACH); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(hidden); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("remove %s in the wedged state: %v, want EBUSY", hidden, err)
	}
	var before, after unix.Stat_t
	if err := unix.Stat(live, &before); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Reconcile(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(hidden); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("namespace file beneath the netns mount after Reconcile: %v", err)
	}
	if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), hidden) {
		t.Errorf("namespace beneath the netns mount still mounted after Reconcile")
	}
	if err := unix.Stat(live, &after); err != nil || after.Ino != before.Ino || after.Dev != before.Dev {
		t.Fatalf("live namespace after Reconcile: %v, inode %d, want %d", err, after.Ino, before.Ino)
	}
	if _, err := e.m.Create(ctx, CreateOptions{Name: "after"}); err != nil {
		t.Fatal(err)
	}
	ep, err := e.m.Connect(ctx, "after", "live", live, ConnectOptions{Primary: true})
	if err != nil {
		t.Fatal(err)
	}
	assertEndpointUp(t, live, ep)
}

// TestCloseKeepsNetnsDirInUse: Close leaves the netns directory's mount alone
// while someone holds the netns lock (a namespace being made, whose file may
// not be there yet), and unmounts it once the directory is empty and free.
func TestCloseKeepsNetnsDirInUse(t *testing.T) {
	e := newEnv(t)
	e.ns(t, "first")
	if err := e.m.DeleteNamespace("first"); err != nil {
		t.Fatal(err)
	}
	e.ctrs = nil
	unlock, err := e.m.flock(netnsLockName, unix.LOCK_SH)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.m.Close(); err != nil {
		t.Fatal(err)
	}
	mounted, err := mountinfo.Mounted(e.m.netnsDir())
	if err != nil || !mounted {
		t.Errorf("netns dir mounted after Close while a namespace is being made: %v (%v)", mounted, err)
	}
	unlock()
	if err := e.m.Close(); err != nil {
		t.Fatal(err)
	}
	if mounted, err := mountinfo.Mounted(e.m.netnsDir()); err != nil || mounted {
		t.Errorf("netns dir mounted after Close with nothing in it: %v (%v)", mounted, err)
	}
}

// TestCreateNamespaceAgain: making a namespace that exists returns it as it
// is, and a namespace file left unmounted by a killed creation is replaced.
func TestCreateNamespaceAgain(t *testing.T) {
	e := newEnv(t)
	p := e.ns(t, "again")
	var first, second unix.Stat_t
	if err := unix.Stat(p, &first); err != nil {
		t.Fatal(err)
	}
	if q, err := e.m.CreateNamespace("again"); err != nil || q != p {
		t.Fatalf("CreateNamespace again: %q, %v", q, err)
	}
	if err := unix.Stat(p, &second); err != nil || second.Ino != first.Ino {
		t.Errorf("namespace after CreateNamespace again: inode %d, want %d (%v)", second.Ino, first.Ino, err)
	}
	stale := e.m.NamespacePath("stale")
	if err := os.WriteFile(stale, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	e.ns(t, "stale")
	if !isNamespace(stale) {
		t.Errorf("CreateNamespace over a left-over file made no namespace")
	}
}
