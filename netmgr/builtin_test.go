package netmgr

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

// TestBuiltinNetworks: host and none are listed after the bridge networks
// with fixed IDs (the same in every process), found by name, ID and ID
// prefix, and cannot be removed, pruned or connected to.
func TestBuiltinNetworks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	names := func(ns []Network) (out []string) {
		for _, n := range ns {
			out = append(out, n.Name+"/"+n.Driver)
		}
		return out
	}
	ns, err := e.m.List(ctx)
	if err != nil || len(ns) != 2 || ns[0].Name != "host" || ns[0].Driver != "host" || ns[1].Name != "none" ||
		ns[1].Driver != "null" || !ns[0].Created.IsZero() || ns[0].Subnet.IsValid() || ns[0].Bridge != "" {
		t.Fatalf("before any bridge: %+v, %v", ns, err)
	}
	br, err := e.m.EnsureDefault(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Create(ctx, CreateOptions{Name: "appnet"}); err != nil {
		t.Fatal(err)
	}
	ns, err = e.m.List(ctx)
	if got := names(ns); err != nil || len(got) != 4 || got[0] != "bridge/bridge" || got[1] != "appnet/bridge" ||
		got[2] != "host/host" || got[3] != "none/null" {
		t.Fatalf("list: %q, %v", got, err)
	}
	if !ns[2].Created.Equal(br.Created) || !ns[2].Builtin() || ns[0].Builtin() {
		t.Errorf("host created %v, bridge %v", ns[2].Created, br.Created)
	}
	other, err := OpenWith(e.m.db, filepath.Join(e.dir, "other"), e.opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range ns[2:] {
		for _, ref := range []string{b.Name, b.ID, b.ID[:12]} {
			if got, err := other.Get(ctx, ref); err != nil || got.ID != b.ID || got.Name != b.Name {
				t.Errorf("another manager's Get(%s): %+v, %v; want ID %s", ref, got, err, b.ID)
			}
		}
		if eps, err := e.m.Members(ctx, b.Name); err != nil || len(eps) != 0 {
			t.Errorf("members of %s: %+v, %v", b.Name, eps, err)
		}
	}
	for _, name := range []string{"bridge", "host", "none"} {
		err := e.m.Remove(ctx, name)
		if want := name + " is a pre-defined network and cannot be removed"; !errors.Is(err, errdefs.ErrInvalidArgument) || err.Error() != want {
			t.Errorf("remove %s: %v, want %q", name, err, want)
		}
	}
	if gone, err := e.m.Prune(ctx); err != nil || len(gone) != 1 || gone[0] != "appnet" {
		t.Errorf("prune: %q, %v", gone, err)
	}
	p := e.ns(t, "c1")
	for _, name := range []string{"host", "none"} {
		if _, err := e.m.Connect(ctx, name, "c1", p, ConnectOptions{Primary: true}); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("connect to %s: %v", name, err)
		}
	}
	if eps, _ := e.m.Endpoints(ctx, "c1"); len(eps) != 0 {
		t.Errorf("a refused connect left %+v", eps)
	}
}
