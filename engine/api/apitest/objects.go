package apitest

import (
	"slices"
	"strings"
	"testing"

	"berth/engine"
	"berth/images"
)

func imageCases() []Case {
	return []Case{
		{"image-list-inspect", func(t *testing.T, s *Suite) {
			img, err := s.InspectImage(ctx(t), "busybox")
			ok(t, "inspect busybox", err)
			if !strings.HasPrefix(img.ID, "sha256:") || !slices.Contains(img.RepoTags, "busybox:latest") ||
				len(img.Config.RootFS.DiffIDs) == 0 || img.Config.OS != "linux" {
				t.Fatalf("inspect busybox: ID %q, tags %v, %d layers, OS %q", img.ID, img.RepoTags,
					len(img.Config.RootFS.DiffIDs), img.Config.OS)
			}
			byID, err := s.InspectImage(ctx(t), img.ID)
			ok(t, "inspect by ID", err)
			if byID.ID != img.ID {
				t.Fatalf("inspect by ID: %s, want %s", byID.ID, img.ID)
			}
			list, err := s.ListImages(ctx(t), images.ListOptions{})
			ok(t, "list images", err)
			if !slices.ContainsFunc(list, func(i images.Image) bool { return i.ID == img.ID }) {
				t.Fatalf("list images: no busybox")
			}
			hist, err := s.ImageHistory(ctx(t), "busybox")
			ok(t, "history", err)
			if len(hist) == 0 || hist[0].ID != img.ID {
				t.Fatalf("history: %+v: want the image's ID on top", hist)
			}
			_, err = s.InspectImage(ctx(t), "apitest-no-such-image:1")
			wantMissing(t, "inspect a missing image", err, "apitest-no-such-image:1")
		}},
		{"image-tag-remove", caseTagRemove},
	}
}

// caseTagRemove: a tag names the image; removing it untags only.
func caseTagRemove(t *testing.T, s *Suite) {
	img, err := s.InspectImage(ctx(t), "busybox")
	ok(t, "inspect busybox", err)
	tag := "apitest/tagged:v1"
	ok(t, "tag", s.TagImage(ctx(t), "busybox", tag))
	tagged, err := s.InspectImage(ctx(t), tag)
	ok(t, "inspect the tag", err)
	if tagged.ID != img.ID {
		t.Fatalf("tag names %s, want %s", tagged.ID, img.ID)
	}
	resp, err := s.RemoveImage(ctx(t), tag, false)
	ok(t, "remove the tag", err)
	if len(resp) != 1 || resp[0].Untagged != tag || resp[0].Deleted != "" {
		t.Fatalf("remove the tag: %+v: want one untag of %s and no delete", resp, tag)
	}
	_, err = s.InspectImage(ctx(t), tag)
	wantMissing(t, "inspect a removed tag", err, tag)
	if _, err := s.InspectImage(ctx(t), "busybox"); err != nil {
		t.Fatalf("busybox after its other tag went: %v", err)
	}
	wantMissing(t, "tag a missing image", s.TagImage(ctx(t), "apitest-no-such-image:1", "apitest/x:1"), "apitest-no-such-image:1")
	_, err = s.RemoveImage(ctx(t), "apitest-no-such-image:1", false)
	wantMissing(t, "remove a missing image", err, "apitest-no-such-image:1")
	c := s.create(t, "true")
	_, err = s.RemoveImage(ctx(t), c.Image, false)
	wantClass(t, "remove by ID an image a container uses", err, conflict)
}

func networkCases() []Case {
	return []Case{{"network-lifecycle", caseNetwork}}
}

// caseNetwork: create, inspect, list, connect a container, remove.
func caseNetwork(t *testing.T, s *Suite) {
	name := s.Name("net")
	n, err := s.CreateNetwork(ctx(t), engine.NetworkCreateOptions{Name: name, Labels: map[string]string{"apitest": "yes"}})
	ok(t, "create network", err)
	if n.ID == "" || n.Name != name || n.Driver != "bridge" || !n.Subnet.IsValid() || n.Labels["apitest"] != "yes" {
		t.Fatalf("create network: %+v", n)
	}
	_, err = s.CreateNetwork(ctx(t), engine.NetworkCreateOptions{Name: name})
	wantClass(t, "create a network with a taken name", err, conflict)
	_, err = s.CreateNetwork(ctx(t), engine.NetworkCreateOptions{Name: "bad name!"})
	wantClass(t, "create a network with an invalid name", err, invalidArgument)
	list, err := s.ListNetworks(ctx(t), nil)
	ok(t, "list networks", err)
	for _, want := range []string{name, "bridge"} {
		if !slices.ContainsFunc(list, func(n engine.Network) bool { return n.Name == want }) {
			t.Fatalf("list networks: no %s", want)
		}
	}
	c := s.started(t, "sleep", "300")
	ok(t, "connect", s.Connect(ctx(t), name, c.ID, engine.EndpointSettings{Aliases: []string{"apitest-alias"}}))
	got, eps, err := s.InspectNetwork(ctx(t), name)
	ok(t, "inspect network", err)
	if got.ID != n.ID || !slices.ContainsFunc(eps, func(ep engine.NetworkEndpoint) bool {
		return ep.ContainerID == c.ID && n.Subnet.Contains(ep.IP)
	}) {
		t.Fatalf("inspect network: %s, endpoints %+v: want the container with an address in %s", got.ID, eps, n.Subnet)
	}
	in, err := s.Inspect(ctx(t), c.ID)
	ok(t, "inspect container", err)
	if ep := in.NetworkSettings.Networks[name]; ep == nil || ep.IPAddress == "" {
		t.Fatalf("container's networks %v: want an address on %s", in.NetworkSettings.Networks, name)
	}
	wantClass(t, "remove a network in use", s.RemoveNetwork(ctx(t), name), conflict)
	ok(t, "disconnect", s.Disconnect(ctx(t), name, c.ID))
	ok(t, "remove network", s.RemoveNetwork(ctx(t), name))
	_, _, err = s.InspectNetwork(ctx(t), name)
	wantMissing(t, "inspect a removed network", err, name)
	wantMissing(t, "remove a missing network", s.RemoveNetwork(ctx(t), name), name)
}

func volumeCases() []Case {
	return []Case{{"volume-lifecycle", caseVolume}}
}

// caseVolume: create, list (filtered), inspect, remove.
func caseVolume(t *testing.T, s *Suite) {
	name := s.Name("vol")
	v, err := s.CreateVolume(ctx(t), engine.VolumeCreateOptions{Name: name, Labels: map[string]string{"apitest": name}})
	ok(t, "create volume", err)
	if v.Name != name || v.Driver != "local" || v.Mountpoint == "" || v.Labels["apitest"] != name {
		t.Fatalf("create volume: %+v", v)
	}
	for _, filters := range []map[string][]string{nil, {"label": {"apitest=" + name}}, {"name": {name}}} {
		list, err := s.ListVolumes(ctx(t), filters)
		ok(t, "list volumes", err)
		if !slices.ContainsFunc(list, func(v engine.Volume) bool { return v.Name == name }) {
			t.Fatalf("list volumes %v: no %s", filters, name)
		}
	}
	none, err := s.ListVolumes(ctx(t), map[string][]string{"label": {"apitest=other"}})
	ok(t, "list volumes", err)
	if slices.ContainsFunc(none, func(v engine.Volume) bool { return v.Name == name }) {
		t.Fatalf("list volumes label=apitest=other: has %s", name)
	}
	in, err := s.InspectVolume(ctx(t), name)
	ok(t, "inspect volume", err)
	if in.Name != name || in.Mountpoint != v.Mountpoint {
		t.Fatalf("inspect volume: %+v, want %+v", in, v)
	}
	_, err = s.CreateVolume(ctx(t), engine.VolumeCreateOptions{Name: "bad name!"})
	wantClass(t, "create a volume with an invalid name", err, invalidArgument)
	ok(t, "remove volume", s.RemoveVolume(ctx(t), name, false))
	_, err = s.InspectVolume(ctx(t), name)
	wantMissing(t, "inspect a removed volume", err, name)
	wantMissing(t, "remove a missing volume", s.RemoveVolume(ctx(t), name, false), name)
	ok(t, "remove a missing volume with force (no error, as in Docker)", s.RemoveVolume(ctx(t), name, true))
}
