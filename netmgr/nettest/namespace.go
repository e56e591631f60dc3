package nettest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Namespace is an unnamed network namespace of a test's own, held only by a
// file descriptor of the test process: no host path names it (no
// /run/netns entry, no bind mount), so no other process finds it and nothing
// is left on the host once the descriptor is closed.
type Namespace struct {
	ns netns.NsHandle
}

// NewNamespace makes a namespace with its loopback up; the test's cleanup
// lets it go and fails the test if anything in this process still holds it
// (a thread, a descriptor, a mount). A test deletes the links it made in the
// host namespace itself; links inside go with the namespace.
func NewNamespace(tb testing.TB) *Namespace {
	tb.Helper()
	h, err := newNamespace()
	if err != nil {
		tb.Fatalf("network namespace: %v", err)
	}
	n := &Namespace{ns: h}
	tb.Cleanup(func() {
		if err := n.close(); err != nil {
			tb.Error(err)
		}
	})
	if err := n.loUp(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// loUp brings the namespace's loopback up.
func (n *Namespace) loUp() error {
	h, err := netlink.NewHandleAt(n.ns)
	if err != nil {
		return fmt.Errorf("netlink in namespace: %w", err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("namespace loopback: %w", err)
	}
	return setUp(h, lo, netip.Prefix{})
}

// Path is /proc/<pid>/fd/<n> of the descriptor holding the namespace: what
// `nsenter --net=PATH` and code that opens a namespace path take. It is
// valid until the test's cleanup.
func (n *Namespace) Path() string {
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), int(n.ns))
}

// Handle is the namespace's descriptor, for calls that take one (Veth,
// netlink.NewHandleAt, LinkSetNsFd). It stays owned by the Namespace:
// callers must not close it.
func (n *Namespace) Handle() netns.NsHandle { return n.ns }

// Dial connects from inside the namespace (the socket is made on a thread
// that joined it for the call; the connection works from any thread).
func (n *Namespace) Dial(network, addr string) (net.Conn, error) {
	var conn net.Conn
	err := onThread(func() error {
		if err := netns.Set(n.ns); err != nil {
			return fmt.Errorf("enter namespace: %w", err)
		}
		var err error
		conn, err = net.DialTimeout(network, addr, 5*time.Second)
		return err
	})
	return conn, err
}

// close lets the namespace go and checks that nothing in this process
// still holds it: no thread in it, no descriptor or mount of it.
func (n *Namespace) close() error {
	if !n.ns.IsOpen() {
		return nil
	}
	var errs []error
	var st unix.Stat_t
	if err := unix.Fstat(int(n.ns), &st); err != nil {
		errs = append(errs, fmt.Errorf("stat namespace: %w", err))
	}
	if err := n.ns.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close namespace: %w", err))
	}
	n.ns = -1
	if held := nsHolders(st.Ino); len(held) > 0 {
		errs = append(errs, fmt.Errorf("namespace net:[%d] still held by %s", st.Ino, strings.Join(held, ", ")))
	}
	return errors.Join(errs...)
}

// VethEnd is one end of a veth pair: the namespace it is made in (by
// descriptor), its name there and its address with prefix length.
type VethEnd struct {
	NS   netns.NsHandle
	Name string
	Addr netip.Prefix
}

// Veth makes a veth pair whose ends are made straight in a's and b's
// namespaces (never in the caller's, unless it is one of them), gives each
// its address and brings both up. The pair goes with either namespace.
func Veth(a, b VethEnd) error {
	ha, err := netlink.NewHandleAt(a.NS)
	if err != nil {
		return fmt.Errorf("netlink in %s's namespace: %w", a.Name, err)
	}
	defer ha.Close()
	la := netlink.NewLinkAttrs()
	la.Name = a.Name
	if err := ha.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: b.Name, PeerNamespace: netlink.NsFd(int(b.NS))}); err != nil {
		return fmt.Errorf("veth %s/%s: %w", a.Name, b.Name, err)
	}
	hb, err := netlink.NewHandleAt(b.NS)
	if err != nil {
		return fmt.Errorf("netlink in %s's namespace: %w", b.Name, err)
	}
	defer hb.Close()
	for _, end := range []struct {
		h *netlink.Handle
		VethEnd
	}{{ha, a}, {hb, b}} {
		l, err := end.h.LinkByName(end.Name)
		if err != nil {
			return fmt.Errorf("veth end %s: %w", end.Name, err)
		}
		if err := setUp(end.h, l, end.Addr); err != nil {
			return err
		}
	}
	return nil
}
