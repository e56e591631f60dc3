package netmgr

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	_ "modernc.org/sqlite"
)

// testEnv is one test's manager with its own database, run dir, kernel names and pool.
type testEnv struct {
	m    *Manager
	dir  string
	opt  Options
	ctrs []string
}

func needRoot(tb testing.TB) {
	if os.Geteuid() != 0 {
		tb.Skip("needs root")
	}
}

func openDB(tb testing.TB, path string) *sql.DB {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

var poolSeq byte

// newEnv makes a Manager with unique short names ("t" + 5 hex) and its own pool.
func newEnv(tb testing.TB) *testEnv {
	needRoot(tb)
	return newEnvAt(tb, tb.TempDir())
}

// newEnvAt is newEnv with the run directory and database in dir.
func newEnvAt(tb testing.TB, dir string) *testEnv {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	poolSeq++
	opt := Options{Name: "t" + hex.EncodeToString(b)[:5],
		Pool: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 240 + poolSeq%8, 0, 0}), 16)}
	e := &testEnv{dir: dir, opt: opt}
	var err error
	if e.m, err = OpenWith(openDB(tb, filepath.Join(dir, "db")), dir, opt); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.teardown(tb) })
	return e
}

// ns makes a namespace for a test container; teardown releases it.
func (e *testEnv) ns(tb testing.TB, id string) string {
	p, err := e.m.CreateNamespace(id)
	if err != nil {
		tb.Fatal(err)
	}
	e.ctrs = append(e.ctrs, id)
	return p
}

// teardown releases every container, removes every network (the default one
// too) and then checks that nothing of the test is left in the kernel.
func (e *testEnv) teardown(tb testing.TB) {
	ctx := context.Background()
	for _, id := range e.ctrs {
		if err := e.m.Release(ctx, id); err != nil {
			tb.Error(err)
		}
		if err := e.m.DeleteNamespace(id); err != nil {
			tb.Error(err)
		}
	}
	nets, _ := e.m.query(ctx, ``)
	for _, n := range nets {
		_, _ = e.m.db.Exec(`DELETE FROM net_endpoints WHERE network_id = ?`, n.ID)
		_, _ = e.m.db.Exec(`DELETE FROM net_networks WHERE id = ?`, n.ID)
		if err := e.m.teardownBridge(&n); err != nil {
			tb.Error(err)
		}
	}
	if err := e.m.Reconcile(ctx, nil); err != nil {
		tb.Error(err)
	}
	if err := e.m.Close(); err != nil {
		tb.Error(err)
	}
	e.assertClean(tb)
}

// assertClean checks with netlink and nftables that no veth, bridge, namespace or
// rule of this test is left.
func (e *testEnv) assertClean(tb testing.TB) {
	links, err := retryDump(netlink.LinkList)
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range links {
		if n := l.Attrs().Name; strings.HasPrefix(n, e.opt.Name) || strings.HasPrefix(n, "v"+e.opt.Name) {
			tb.Errorf("link %s (%s) left behind", n, l.Type())
		}
	}
	c, err := nftables.New()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.ListTableOfFamily(e.opt.Name, nftables.TableFamilyIPv4); err == nil {
		tb.Errorf("nftables table ip %s left behind", e.opt.Name)
	}
	ents, _ := os.ReadDir(filepath.Join(e.dir, "netns"))
	for _, en := range ents {
		tb.Errorf("namespace %s left behind", en.Name())
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), e.dir) {
		tb.Errorf("mount under %s left behind", e.dir)
	}
}

// inNS runs fn on a thread inside the namespace at path; the thread is thrown
// away afterwards. Sockets fn creates stay in that namespace.
func inNS(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		h, err := netns.GetFromPath(path)
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// ping sends one ICMP echo from the namespace at path to dst and waits for the reply.
func ping(path string, dst netip.Addr) error {
	return inNS(path, func() error {
		c, err := net.ListenPacket("ip4:icmp", "0.0.0.0")
		if err != nil {
			return err
		}
		defer c.Close()
		msg := []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1, 'b', 'e', 'r', 't', 'h'}
		binary.BigEndian.PutUint16(msg[2:], checksum(msg))
		if _, err := c.WriteTo(msg, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return fmt.Errorf("ping %s: %w", dst, err)
			}
			if n >= 8 && buf[0] == 0 && from.String() == dst.String() {
				return nil
			}
		}
	})
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// serveTCP listens inside the namespace and answers every connection with reply.
func serveTCP(tb testing.TB, path, addr, reply string) {
	var l net.Listener
	if err := inNS(path, func() (err error) { l, err = net.Listen("tcp", addr); return }); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(reply))
			c.Close()
		}
	}()
}

// serveUDP echoes datagrams inside the namespace.
func serveUDP(tb testing.TB, path, addr string) {
	var pc net.PacketConn
	if err := inNS(path, func() (err error) { pc, err = net.ListenPacket("udp", addr); return }); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(append([]byte("echo:"), buf[:n]...), from)
		}
	}()
}

// fetch reads what a TCP server at addr says; ns "" dials from the host.
func fetch(path, addr string) (string, error) {
	var out string
	do := func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		b := make([]byte, 100)
		n, err := c.Read(b)
		out = string(b[:n])
		if n > 0 {
			return nil
		}
		return err
	}
	if path == "" {
		return out, do()
	}
	return out, inNS(path, do)
}

// udpAsk sends msg to addr from the host and returns the answer.
func udpAsk(addr, msg string) (string, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	// UDP may drop a datagram (or reach a proxy still starting): ask again,
	// as a DNS client does, up to ten times.
	b := make([]byte, 100)
	for try := 1; ; try++ {
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Write([]byte(msg)); err != nil {
			return "", err
		}
		n, err := c.Read(b)
		if err == nil {
			return string(b[:n]), nil
		}
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() || try == 10 {
			return "", err
		}
	}
}

var errExpected = errors.New("expected failure")
