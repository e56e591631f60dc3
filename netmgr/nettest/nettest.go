// Package nettest gives network tests a client outside every berth network: a
// network namespace of the test's own, joined to the host by a veth pair with
// test-made addresses, so that a server can see the real address its client
// connects from. It also gives bare namespaces of a test's own (unnamed, held
// by a descriptor, so nothing is left on the host) and finds the host's main
// address (the one a published port is reached on from outside). Tests of
// netmgr, the engine and stats use it; it knows nothing of any of them.
package nettest

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// HostAddr returns the host's main IPv4 address: the preferred source of the
// default route, or else the first global address of its interface. It is an
// address of the host's own main interface, never a berth bridge's gateway.
func HostAddr() (netip.Addr, error) {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("list routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst != nil {
			if ones, _ := r.Dst.Mask.Size(); ones != 0 {
				continue
			}
		}
		if a, ok := netip.AddrFromSlice(r.Src.To4()); ok && a.IsGlobalUnicast() {
			return a, nil
		}
		l, err := netlink.LinkByIndex(r.LinkIndex)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("default route's link: %w", err)
		}
		addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("addresses of %s: %w", l.Attrs().Name, err)
		}
		for _, ad := range addrs {
			if a, ok := netip.AddrFromSlice(ad.IP.To4()); ok && a.IsGlobalUnicast() {
				return a, nil
			}
		}
	}
	return netip.Addr{}, errors.New("no default IPv4 route with a global source address")
}

// Client is a network namespace joined to the host by a veth pair: Addr is
// its address (inside), HostSide the host end's address, Link the host end.
type Client struct {
	Addr, HostSide netip.Addr
	Link           string
	ns             Namespace
}

// NewClient makes a client namespace with a /30 from 10.199.0.0/16 that no
// host route overlaps and a default route to the host; the test's cleanup
// removes the veth pair and the namespace and fails the test if either is left.
func NewClient(tb testing.TB) *Client {
	tb.Helper()
	c, err := newClient()
	if err != nil {
		tb.Fatalf("client namespace: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.close(); err != nil {
			tb.Error(err)
		}
	})
	return c
}

func newClient() (*Client, error) {
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, fmt.Errorf("random: %w", err)
	}
	c := &Client{Link: fmt.Sprintf("nt%08x", binary.BigEndian.Uint32(r[:]))}
	sub, err := freeSubnet(r[0], r[1]&^3)
	if err != nil {
		return nil, err
	}
	c.HostSide, c.Addr = sub.Addr().Next(), sub.Addr().Next().Next()
	if c.ns.ns, err = newNamespace(); err != nil {
		return nil, err
	}
	if err := c.plumb(sub.Bits()); err != nil {
		return nil, errors.Join(err, c.close())
	}
	return c, nil
}

// freeSubnet picks a /30 of 10.199.0.0/16, starting at 10.199.a.b, that no
// route of the host overlaps.
func freeSubnet(a, b byte) (netip.Prefix, error) {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("list routes: %w", err)
	}
	for i := 0; i < 64; i++ {
		cand := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 199, a + byte(i), b}), 30)
		free := true
		for _, r := range routes {
			if r.Dst == nil {
				continue
			}
			if p, err := netip.ParsePrefix(r.Dst.String()); err == nil && p.Bits() > 0 && p.Overlaps(cand) {
				free = false
			}
		}
		if free {
			return cand, nil
		}
	}
	return netip.Prefix{}, errors.New("no free /30 in 10.199.0.0/16")
}

// newNamespace makes an unnamed network namespace held only by the returned
// handle (no thread stays in it: see inNamespace).
func newNamespace() (netns.NsHandle, error) {
	h := netns.None()
	err := onThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare: %w", err)
		}
		var err error
		h, err = netns.Get()
		return err
	})
	return h, err
}

// onThread runs fn on a locked thread and then moves the thread back to the
// caller's network namespace; a thread that cannot go back is thrown away
// (left locked, it ends with its goroutine). So once onThread returns, no
// thread is left in a namespace fn entered.
func onThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("current namespace: %w", err)
			return
		}
		defer orig.Close()
		err = fn()
		if rerr := netns.Set(orig); rerr != nil {
			errc <- errors.Join(err, fmt.Errorf("back to the host namespace: %w", rerr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// plumb makes the veth pair, its addresses and the client's default route.
func (c *Client) plumb(bits int) error {
	host, err := netns.Get()
	if err != nil {
		return fmt.Errorf("host namespace: %w", err)
	}
	defer host.Close()
	err = Veth(VethEnd{NS: host, Name: c.Link, Addr: netip.PrefixFrom(c.HostSide, bits)},
		VethEnd{NS: c.ns.ns, Name: "eth0", Addr: netip.PrefixFrom(c.Addr, bits)})
	if err != nil {
		return err
	}
	if err := c.ns.loUp(); err != nil {
		return err
	}
	h, err := netlink.NewHandleAt(c.ns.ns)
	if err != nil {
		return fmt.Errorf("netlink in client namespace: %w", err)
	}
	defer h.Close()
	gw := net.IP(c.HostSide.AsSlice())
	if err := h.RouteAdd(&netlink.Route{Gw: gw}); err != nil {
		return fmt.Errorf("client default route: %w", err)
	}
	return nil
}

// setUp gives l the address p (if valid) and brings it up; an empty Handle
// works in the caller's namespace.
func setUp(h *netlink.Handle, l netlink.Link, p netip.Prefix) error {
	if p.IsValid() {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}}
		if err := h.AddrAdd(l, a); err != nil {
			return fmt.Errorf("address %s on %s: %w", p, l.Attrs().Name, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("%s up: %w", l.Attrs().Name, err)
	}
	return nil
}

// Dial connects from inside the client namespace (the socket is made on a
// thread that joined it for the call; the connection works from any thread).
func (c *Client) Dial(network, addr string) (net.Conn, error) {
	return c.ns.Dial(network, addr)
}

// close removes the veth pair and lets the namespace go, then checks that
// neither is left: the link by name, the namespace by its inode among this
// process's threads, files and mounts (nothing else ever held it).
func (c *Client) close() error {
	var errs []error
	if l, err := netlink.LinkByName(c.Link); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, fmt.Errorf("delete %s: %w", c.Link, err))
		}
	}
	if err := c.ns.close(); err != nil {
		errs = append(errs, fmt.Errorf("client: %w", err))
	}
	if _, err := netlink.LinkByName(c.Link); err == nil {
		errs = append(errs, fmt.Errorf("veth %s left behind", c.Link))
	}
	return errors.Join(errs...)
}

// nsHolders lists what in this process still refers to network namespace ino.
func nsHolders(ino uint64) []string {
	want := fmt.Sprintf("net:[%d]", ino)
	var out []string
	for _, pat := range []string{"/proc/self/task/*/ns/net", "/proc/self/fd/*"} {
		paths, _ := filepath.Glob(pat)
		for _, p := range paths {
			if t, err := os.Readlink(p); err == nil && t == want {
				out = append(out, p)
			}
		}
	}
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(mi), want) {
		out = append(out, "a mount")
	}
	return out
}
