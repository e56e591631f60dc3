package netmgr

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
)

// connectMany connects n fresh namespaces concurrently to network "ipam".
func connectMany(m *Manager, prefix string, n int) error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("%s%02d", prefix, i)
			p, err := m.CreateNamespace(id)
			if err == nil {
				_, err = m.Connect(context.Background(), "ipam", id, p, ConnectOptions{Primary: true})
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// TestIPAMHelperProcess is the second process of TestIPAMConcurrent.
func TestIPAMHelperProcess(t *testing.T) {
	dir := os.Getenv("NETMGR_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	pool := netip.MustParsePrefix(os.Getenv("NETMGR_HELPER_POOL"))
	m, err := OpenWith(openDB(t, filepath.Join(dir, "db")), dir, Options{Name: os.Getenv("NETMGR_HELPER_NAME"), Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := connectMany(m, "p", 25); err != nil {
		t.Fatal(err)
	}
}

// TestIPAMConcurrent: 25 goroutines here and 25 in a second process connect at
// once; all 50 get distinct addresses and working interfaces.
func TestIPAMConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.m.Create(ctx, CreateOptions{Name: "ipam"}); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		e.ctrs = append(e.ctrs, fmt.Sprintf("g%02d", i), fmt.Sprintf("p%02d", i))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestIPAMHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "NETMGR_HELPER_DIR="+e.dir, "NETMGR_HELPER_NAME="+e.opt.Name,
		"NETMGR_HELPER_POOL="+e.opt.Pool.String())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	errHere := connectMany(e.m, "g", 25)
	if err := cmd.Wait(); err != nil {
		t.Errorf("helper process: %v\n%s", err, out.String())
	}
	if errHere != nil {
		t.Error(errHere)
	}
	mem, err := e.m.Members(ctx, "ipam")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[netip.Addr]string{}
	for _, ep := range mem {
		if prev, dup := seen[ep.IP]; dup {
			t.Errorf("%s handed to %s and %s", ep.IP, prev, ep.ContainerID)
		}
		seen[ep.IP] = ep.ContainerID
	}
	if len(seen) != 50 {
		t.Errorf("%d distinct addresses, want 50", len(seen))
	}
	if err := ping(e.m.NamespacePath("g00"), mem[len(mem)-1].IP); err != nil {
		t.Errorf("g00 -> %s: %v", mem[len(mem)-1].ContainerID, err)
	}
}

// TestBadInput: invalid requests fail with the right class and create nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.m.Create(ctx, CreateOptions{Name: "taken", Subnet: netip.MustParsePrefix("10.251.0.0/24")}); err != nil {
		t.Fatal(err)
	}
	p := e.ns(t, "c1")
	if _, err := e.m.Connect(ctx, "taken", "c1", p, ConnectOptions{Aliases: []string{"db"}}); err != nil {
		t.Fatal(err)
	}
	pfx := netip.MustParsePrefix
	cases := []struct {
		name string
		do   func() error
		want error
	}{
		{"overlap", func() error {
			_, err := e.m.Create(ctx, CreateOptions{Name: "n2", Subnet: pfx("10.251.0.128/25")})
			return err
		}, errdefs.ErrInvalidArgument},
		{"gateway outside", func() error {
			_, err := e.m.Create(ctx, CreateOptions{Name: "n3", Subnet: pfx("10.252.0.0/24"), Gateway: netip.MustParseAddr("10.252.1.1")})
			return err
		}, errdefs.ErrInvalidArgument},
		{"host bits", func() error {
			_, err := e.m.Create(ctx, CreateOptions{Name: "n4", Subnet: pfx("10.252.0.1/24")})
			return err
		}, errdefs.ErrInvalidArgument},
		{"bad name", func() error { _, err := e.m.Create(ctx, CreateOptions{Name: "-x y"}); return err }, errdefs.ErrInvalidArgument},
		{"reserved name", func() error { _, err := e.m.Create(ctx, CreateOptions{Name: "host"}); return err }, errdefs.ErrInvalidArgument},
		{"duplicate name", func() error { _, err := e.m.Create(ctx, CreateOptions{Name: "taken"}); return err }, errdefs.ErrAlreadyExists},
		{"unknown network", func() error {
			_, err := e.m.Connect(ctx, "nosuch", "c2", p, ConnectOptions{})
			return err
		}, errdefs.ErrNotFound},
		{"ip outside subnet", func() error {
			_, err := e.m.Connect(ctx, "taken", "c2", p, ConnectOptions{IP: netip.MustParseAddr("10.9.9.9")})
			return err
		}, errdefs.ErrInvalidArgument},
		{"already connected", func() error {
			_, err := e.m.Connect(ctx, "taken", "c1", p, ConnectOptions{})
			return err
		}, errdefs.ErrAlreadyExists},
		{"bad port spec", func() error { _, err := ParsePorts([]string{"70000:80"}); return err }, errdefs.ErrInvalidArgument},
		{"port spec abc", func() error { _, err := ParsePorts([]string{"abc"}); return err }, errdefs.ErrInvalidArgument},
		{"remove unknown", func() error { return e.m.Remove(ctx, "nosuch") }, errdefs.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.do(); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
			nets, _ := e.m.query(ctx, ``) // the records, without the built-in host and none
			eps, _ := e.m.endpoints(ctx, ``)
			if len(nets) != 1 || len(eps) != 1 {
				t.Errorf("left %d networks, %d endpoints", len(nets), len(eps))
			}
		})
	}
	if err := e.m.Disconnect(ctx, "taken", "c1"); err != nil {
		t.Fatal(err)
	}
	pruned, err := e.m.Prune(ctx)
	if err != nil || len(pruned) != 1 || pruned[0] != "taken" {
		t.Errorf("prune = %v, %v", pruned, err)
	}
}
