package apitest

import (
	"slices"
	"strings"
	"testing"

	"berth/engine"
)

// listCases are ListContainers' filters and the prunes' filters: one rule
// for every front end.
func listCases() []Case {
	return []Case{
		{"list-filters", caseListFilters},
		{"prune-filters", casePruneFilters},
		{"create-extra-networks", caseCreateExtraNetworks},
	}
}

// names lists the names (without the slash) of cs.
func names(cs []*engine.Container) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Name[1:])
	}
	slices.Sort(out)
	return out
}

// caseListFilters: Docker's rules — name is a regular expression, labels
// must all match, status lists stopped containers without All, other keys
// list the running ones only; a bad filter is an invalid argument.
func caseListFilters(t *testing.T, s *Suite) {
	tag := s.Name("lf")
	mk := func(suffix string, labels map[string]string) *engine.Container {
		return s.createWith(t, engine.CreateOptions{Name: tag + suffix,
			Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "300"}, Labels: labels}})
	}
	web := mk("-web", map[string]string{"apitest-list": tag, "role": "web"})
	ok(t, "start", s.Start(ctx(t), web.ID, engine.StartOptions{}))
	mk("-db", map[string]string{"apitest-list": tag, "role": "db"})
	list := func(o engine.ContainerListOptions) []string {
		t.Helper()
		cs, err := s.ListContainers(ctx(t), o)
		ok(t, "list", err)
		return names(cs)
	}
	for _, tc := range []struct {
		what string
		o    engine.ContainerListOptions
		want []string
	}{
		{"name regexp, all", engine.ContainerListOptions{All: true, Filters: map[string][]string{"name": {"^/?" + tag + "-(web|db)$"}}}, []string{tag + "-db", tag + "-web"}},
		{"name without all lists the running one", engine.ContainerListOptions{Filters: map[string][]string{"name": {tag}}}, []string{tag + "-web"}},
		{"labels all match", engine.ContainerListOptions{All: true, Filters: map[string][]string{"label": {"apitest-list=" + tag, "role=db"}}}, []string{tag + "-db"}},
		{"status implies all", engine.ContainerListOptions{Filters: map[string][]string{"status": {"created"}, "label": {"apitest-list=" + tag}}}, []string{tag + "-db"}},
		{"limit keeps the newest", engine.ContainerListOptions{Limit: 1, Filters: map[string][]string{"label": {"apitest-list=" + tag}}}, []string{tag + "-db"}},
		{"id regexp", engine.ContainerListOptions{Filters: map[string][]string{"id": {"^" + web.ID[:12]}}}, []string{tag + "-web"}},
	} {
		if got := list(tc.o); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.what, got, tc.want)
		}
	}
	for _, bad := range []map[string][]string{{"status": {"sleeping"}}, {"nope": {"x"}}, {"exited": {"x"}}, {"publish": {"80-1/tcp"}}} {
		_, err := s.ListContainers(ctx(t), engine.ContainerListOptions{Filters: bad})
		wantClass(t, "list with a bad filter", err, invalidArgument)
	}
}

// casePruneFilters: the prunes remove only what their filters select.
func casePruneFilters(t *testing.T, s *Suite) {
	tag := s.Name("pf")
	sel := map[string]string{"apitest-prune": tag}
	gone := s.createWith(t, engine.CreateOptions{Name: tag + "-gone", Config: engine.Config{Image: "busybox", Cmd: []string{"true"}, Labels: sel}})
	kept := s.create(t, "true")
	rep, err := s.PruneContainers(ctx(t), engine.PruneFilters{Labels: []string{"apitest-prune=" + tag}})
	ok(t, "prune containers", err)
	if !slices.Equal(rep.ContainersDeleted, []string{gone.ID}) {
		t.Errorf("prune containers label=%s: %q, want only %s", tag, rep.ContainersDeleted, gone.ID)
	}
	if _, err := s.Inspect(ctx(t), kept.ID); err != nil {
		t.Errorf("prune removed a container its filter spares: %v", err)
	}
	_, err = s.CreateNetwork(ctx(t), engine.NetworkCreateOptions{Name: tag + "-net", Labels: sel})
	ok(t, "create network", err)
	nets, err := s.PruneNetworks(ctx(t), map[string][]string{"label": {"apitest-prune=" + tag}})
	ok(t, "prune networks", err)
	if !slices.Equal(nets, []string{tag + "-net"}) {
		t.Errorf("prune networks: %q, want %s", nets, tag+"-net")
	}
	_, err = s.CreateVolume(ctx(t), engine.VolumeCreateOptions{Name: tag + "-vol", Labels: sel})
	ok(t, "create volume", err)
	t.Cleanup(func() { _ = s.RemoveVolume(ctx(t), tag+"-vol", true) })
	vols, _, err := s.PruneVolumes(ctx(t), map[string][]string{"label": {"apitest-prune=" + tag}})
	ok(t, "prune volumes without all", err)
	if len(vols) != 0 {
		t.Errorf("prune volumes without all removed the named %q", vols)
	}
	vols, _, err = s.PruneVolumes(ctx(t), map[string][]string{"all": {"true"}, "label": {"apitest-prune=" + tag}})
	ok(t, "prune volumes all=true", err)
	if !slices.Equal(vols, []string{tag + "-vol"}) {
		t.Errorf("prune volumes all=true: %q, want %s", vols, tag+"-vol")
	}
	_, err = s.PruneNetworks(ctx(t), map[string][]string{"dangling": {"true"}})
	wantClass(t, "prune networks with a bad filter", err, invalidArgument)
}

// caseCreateExtraNetworks: Create joins the extra networks it is given
// (the API's NetworkingConfig) at once, started or not; a missing one
// refuses the create and leaves no container.
func caseCreateExtraNetworks(t *testing.T, s *Suite) {
	tag := s.Name("xn")
	_, err := s.CreateNetwork(ctx(t), engine.NetworkCreateOptions{Name: tag})
	ok(t, "create network", err)
	t.Cleanup(func() { _ = s.RemoveNetwork(ctx(t), tag) })
	c := s.createWith(t, engine.CreateOptions{Name: tag + "-ctr", Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "300"}},
		ExtraNetworks: map[string]engine.EndpointSettings{tag: {Aliases: []string{"apitest-extra"}}}})
	in, err := s.Inspect(ctx(t), c.ID)
	ok(t, "inspect", err)
	if in.NetworkSettings.Networks["bridge"] == nil || in.NetworkSettings.Networks[tag] == nil {
		t.Fatalf("created container's networks %v: want bridge and %s", in.NetworkSettings.Networks, tag)
	}
	ok(t, "start", s.Start(ctx(t), c.ID, engine.StartOptions{}))
	_, eps, err := s.InspectNetwork(ctx(t), tag)
	ok(t, "inspect network", err)
	if !slices.ContainsFunc(eps, func(ep engine.NetworkEndpoint) bool { return ep.ContainerID == c.ID }) {
		t.Fatalf("endpoints of %s: %+v: want the started container", tag, eps)
	}
	name := tag + "-refused"
	_, err = s.Create(ctx(t), engine.CreateOptions{Name: name, Config: engine.Config{Image: "busybox", Cmd: []string{"true"}},
		ExtraNetworks: map[string]engine.EndpointSettings{"apitest-no-such-network": {}}})
	// A bad parameter, not a not found: clients pull the image on a 404.
	wantClass(t, "create with a missing extra network", err, invalidArgument)
	if !strings.Contains(err.Error(), "apitest-no-such-network") {
		t.Fatalf("create with a missing extra network: error %q does not name it", err)
	}
	_, err = s.Inspect(ctx(t), name)
	wantMissing(t, "inspect the refused container", err, name)
	_, err = s.Create(ctx(t), engine.CreateOptions{Name: name, Config: engine.Config{Image: "busybox", Cmd: []string{"true"}},
		HostConfig: engine.HostConfig{NetworkMode: "none"}, ExtraNetworks: map[string]engine.EndpointSettings{tag: {}}})
	wantClass(t, "create in network mode none with an extra network", err, invalidArgument)
}
