package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/health"
	"berth/images"
	"berth/testdata/fuzzcheck"
)

// fakeLookup resolves before/since containers and ancestor images.
type fakeLookup struct {
	cs   map[string]*engine.Container
	imgs map[string]*images.Image
}

func (l fakeLookup) Inspect(_ context.Context, ref string) (*engine.Container, error) {
	if c, ok := l.cs[ref]; ok {
		return c, nil
	}
	return nil, errdefs.ErrNotFound.WithMessage("no such container: " + ref)
}

func (l fakeLookup) InspectImage(_ context.Context, ref string) (*images.Image, error) {
	if img, ok := l.imgs[ref]; ok {
		return img, nil
	}
	return nil, errdefs.ErrNotFound.WithMessage("no such image: " + ref)
}

func layers(chains ...string) []images.Layer {
	var out []images.Layer
	for _, c := range chains {
		out = append(out, images.Layer{ChainID: c})
	}
	return out
}

// filterFixture is three containers: web (running, healthy, on net1,
// publishing 8080, from base), job (exited 3, built on base) and db
// (created, from another image).
func filterFixture() (map[string]*engine.Container, fakeLookup) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	web := &engine.Container{ID: "aaaa1111", Name: "/web", Image: "sha256:base", ImageRef: "base:1", Created: t0,
		Config:     engine.Config{Labels: map[string]string{"project": "p", "oneoff": "False"}, ExposedPorts: map[string]struct{}{"80/tcp": {}}},
		HostConfig: engine.HostConfig{NetworkMode: "net1", PortBindings: engine.PortMap{"8080/tcp": {{HostPort: "8080"}}}},
		State:      engine.State{Status: "running", Running: true, Health: &health.State{Status: "healthy"}},
		Mounts:     []engine.MountPoint{{Name: "data", Destination: "/data"}}}
	web.NetworkSettings.Networks = map[string]*engine.EndpointSettings{"net1": {NetworkID: "n1234"}}
	job := &engine.Container{ID: "bbbb2222", Name: "/job", Image: "sha256:child", ImageRef: "child", Created: t0.Add(time.Minute),
		Config: engine.Config{Labels: map[string]string{"project": "p", "oneoff": "True"}, ExposedPorts: map[string]struct{}{"53/udp": {}}},
		State:  engine.State{Status: "exited", ExitCode: 3}}
	db := &engine.Container{ID: "cccc3333", Name: "/db", Image: "sha256:other", ImageRef: "other", Created: t0.Add(2 * time.Minute),
		State: engine.State{Status: "created"}}
	cs := map[string]*engine.Container{"web": web, "job": job, "db": db}
	base := &images.Image{ID: "sha256:base", Layers: layers("c1")}
	l := fakeLookup{cs: cs, imgs: map[string]*images.Image{
		"base:1": base, "sha256:base": base,
		"sha256:child": {ID: "sha256:child", Layers: layers("c1", "c2")},
		"sha256:other": {ID: "sha256:other", Layers: layers("c9")},
	}}
	return cs, l
}

// TestContainerFilters: each filter key with Docker's rules (name and id
// are regular expressions, labels must all match, ancestor takes
// descendants, values of one key are alternatives).
func TestContainerFilters(t *testing.T) {
	cs, l := filterFixture()
	for _, tc := range []struct {
		args map[string][]string
		want string // the names that pass, in web, job, db order
	}{
		{nil, "web job db"},
		{map[string][]string{"name": {"web"}}, "web"},
		{map[string][]string{"name": {"^/?(web|db)$"}}, "web db"},
		{map[string][]string{"name": {"^j"}}, "job"},
		{map[string][]string{"name": {"[bad"}}, ""},
		{map[string][]string{"id": {"^bbbb"}}, "job"},
		{map[string][]string{"id": {"2222"}}, "job"},
		{map[string][]string{"label": {"project=p"}}, "web job"},
		{map[string][]string{"label": {"project=p", "oneoff=False"}}, "web"},
		{map[string][]string{"label": {"project"}}, "web job"},
		{map[string][]string{"label": {"project=p", "missing"}}, ""},
		{map[string][]string{"status": {"running", "exited"}}, "web job"},
		{map[string][]string{"status": {"created"}}, "db"},
		{map[string][]string{"exited": {"3"}}, "job"},
		{map[string][]string{"exited": {"0"}}, ""},
		{map[string][]string{"health": {"healthy"}}, "web"},
		{map[string][]string{"health": {"none"}}, "job db"},
		{map[string][]string{"ancestor": {"base:1"}}, "web job"},
		{map[string][]string{"ancestor": {"sha256:child"}}, "job"},
		{map[string][]string{"ancestor": {"gone:1"}}, ""},
		{map[string][]string{"before": {"db"}}, "web job"},
		{map[string][]string{"since": {"web"}}, "job db"},
		{map[string][]string{"since": {"web"}, "before": {"db"}}, "job"},
		{map[string][]string{"volume": {"data"}}, "web"},
		{map[string][]string{"volume": {"/data"}}, "web"},
		{map[string][]string{"network": {"net1"}}, "web"},
		{map[string][]string{"network": {"n12"}}, "web"},
		{map[string][]string{"publish": {"8080"}}, "web"},
		{map[string][]string{"publish": {"8000-8100/tcp"}}, "web"},
		{map[string][]string{"publish": {"8080/udp"}}, ""},
		{map[string][]string{"expose": {"53/udp"}}, "job"},
		{map[string][]string{"expose": {"80"}}, "web"},
		{map[string][]string{"is-task": {"false"}}, "web job db"},
		{map[string][]string{"is-task": {"true"}}, ""},
		{map[string][]string{"isolation": {"default"}}, "web job db"},
		{map[string][]string{"status": {"exited"}, "label": {"project=p"}}, "job"},
	} {
		f, err := engine.ParseContainerFilters(tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if err := f.Resolve(context.Background(), l); err != nil {
			t.Fatalf("%v: resolve: %v", tc.args, err)
		}
		var got []string
		for _, n := range []string{"web", "job", "db"} {
			if f.Match(cs[n]) {
				got = append(got, n)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%v: %q, want %q", tc.args, strings.Join(got, " "), tc.want)
		}
	}
}

// TestContainerFiltersBad: a bad key or value is one plain sentence naming
// it (an invalid argument: the server's 400); a missing before/since
// container is not found.
func TestContainerFiltersBad(t *testing.T) {
	for _, tc := range []struct {
		args map[string][]string
		want string
	}{
		{map[string][]string{"nope": {"x"}}, `invalid filter "nope"`},
		{map[string][]string{"status": {"sleeping"}}, "invalid filter 'status=sleeping'"},
		{map[string][]string{"health": {"sick"}}, "invalid filter 'health=sick'"},
		{map[string][]string{"exited": {"x"}}, "invalid filter 'exited=x'"},
		{map[string][]string{"is-task": {"maybe"}}, "invalid filter 'is-task=maybe'"},
		{map[string][]string{"publish": {"80-70"}}, "invalid filter 'publish=80-70'"},
		{map[string][]string{"expose": {"80/icmp"}}, "invalid filter 'expose=80/icmp'"},
		{map[string][]string{"expose": {"99999"}}, "invalid filter 'expose=99999'"},
		{map[string][]string{"before": {""}}, "invalid filter 'before='"},
	} {
		_, err := engine.ParseContainerFilters(tc.args)
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an invalid argument saying %s", tc.args, err, tc.want)
		}
	}
	_, l := filterFixture()
	f, err := engine.ParseContainerFilters(map[string][]string{"before": {"ghost"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Resolve(context.Background(), l); !errdefs.IsNotFound(err) {
		t.Errorf("before a missing container: %v, want not found", err)
	}
	if _, err := engine.ParseFilterFlags([]string{"status"}); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), `"status"`) {
		t.Errorf("a flag without =: %v", err)
	}
	if m, err := engine.ParseFilterFlags([]string{"label=a=b", "label=c", "name=x"}); err != nil || len(m["label"]) != 2 || m["name"][0] != "x" {
		t.Errorf("flags: %v, %v", m, err)
	}
}

// FuzzContainerFilters: --filter flags parse to a filter or fail plainly,
// and matching never panics.
func FuzzContainerFilters(f *testing.F) {
	for _, s := range []string{"status=running", "name=web label=a=b", "exited=0 id=ab", "ancestor=base:1", "x", "bogus=1",
		"label=", "publish=80-90/udp", "expose=1-", "name=[", "before=web"} {
		f.Add(s)
	}
	cs, l := filterFixture()
	f.Fuzz(func(t *testing.T, s string) {
		args, err := engine.ParseFilterFlags(strings.Split(s, " "))
		if err != nil {
			fuzzcheck.Check(t, err, s)
			return
		}
		flt, err := engine.ParseContainerFilters(args)
		if err != nil {
			fuzzcheck.Check(t, err, s)
			return
		}
		if err := flt.Resolve(context.Background(), l); err != nil {
			return // a missing before/since container
		}
		for _, c := range cs {
			flt.Match(c)
		}
	})
}
