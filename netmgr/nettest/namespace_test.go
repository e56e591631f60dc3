package nettest

import (
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make network namespaces")
	}
}

// inode is the inode of the namespace file at path.
func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestNamespace: a namespace is reachable by its Path while the test runs,
// is not the host's, and once its test ends nothing in the process holds it.
func TestNamespace(t *testing.T) {
	needRoot(t)
	var ino uint64
	t.Run("use", func(t *testing.T) {
		n := NewNamespace(t)
		ino = inode(t, n.Path())
		if ino == inode(t, "/proc/self/ns/net") {
			t.Fatal("the namespace is the host's")
		}
		var st unix.Stat_t
		if err := unix.Fstat(int(n.Handle()), &st); err != nil || st.Ino != ino {
			t.Fatalf("Path %s is not the handle's namespace: %v", n.Path(), err)
		}
		// Loopback is up: a listener on it inside takes a connection.
		var ln net.Listener
		err := onThread(func() error {
			if err := netns.Set(n.Handle()); err != nil {
				return err
			}
			var err error
			ln, err = net.Listen("tcp", "127.0.0.1:0")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := n.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("dial loopback inside: %v", err)
		}
		c.Close()
	})
	if held := nsHolders(ino); len(held) > 0 {
		t.Errorf("namespace still held by %v after its test", held)
	}
}

// TestNamespaceCloseReportsHolder: a descriptor left open on the namespace
// fails the cleanup.
func TestNamespaceCloseReportsHolder(t *testing.T) {
	needRoot(t)
	h, err := newNamespace()
	if err != nil {
		t.Fatal(err)
	}
	n := &Namespace{ns: h}
	dup, err := unix.Dup(int(h))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dup)
	if err := n.close(); err == nil || !strings.Contains(err.Error(), "still held by /proc/self/fd/") {
		t.Fatalf("close with a descriptor left = %v, want it named", err)
	}
}

// TestVeth: a pair made between two namespaces carries a connection from
// one end's address to the other's.
func TestVeth(t *testing.T) {
	needRoot(t)
	a, b := NewNamespace(t), NewNamespace(t)
	pa, pb := netip.MustParsePrefix("10.253.79.1/30"), netip.MustParsePrefix("10.253.79.2/30")
	if err := Veth(VethEnd{NS: a.Handle(), Name: "va", Addr: pa}, VethEnd{NS: b.Handle(), Name: "vb", Addr: pb}); err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	err := onThread(func() error {
		if err := netns.Set(b.Handle()); err != nil {
			return err
		}
		var err error
		ln, err = net.Listen("tcp", net.JoinHostPort(pb.Addr().String(), "0"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := a.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial across the veth: %v", err)
	}
	defer c.Close()
	if got := c.LocalAddr().(*net.TCPAddr).IP.String(); got != pa.Addr().String() {
		t.Errorf("connection from %s, want %s", got, pa.Addr())
	}
}
