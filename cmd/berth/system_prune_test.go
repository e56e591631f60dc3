package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"berth/engine"
	"berth/images"
)

// tarWith writes a one-file tarball for berth import.
func tarWith(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name+".tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
	tw.Write([]byte(content))
	tw.Close()
	f.Close()
	return p
}

func TestSystemPrune(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "live", "busybox", "sleep", "1000")
	c.ok("run", "--name", "old", "-l", "tier=old", "busybox", "true")
	c.ok("run", "--name", "other", "-v", "/data", "busybox", "true")
	c.ok("network", "create", "unused")
	c.ok("network", "create", "--label", "tier=old", "oldnet")
	c.ok("volume", "create", "named")
	dangling := strings.TrimSpace(c.ok("import", tarWith(t, "a", "dangling")))
	tagged := strings.TrimSpace(c.ok("import", tarWith(t, "b", "tagged"), "spare:1"))
	psAll := func() string { return c.ok("ps", "-a", "--format", "{{.Names}}") }
	before := psAll()

	// Without -f it asks, as Docker does, and "n" keeps everything.
	out, _, code := c.run("n\n", "system", "prune")
	want := "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n" +
		"  - all dangling images\n\nAre you sure you want to continue? [y/N] "
	if out != want || code != 0 || psAll() != before {
		t.Errorf("prompt: %q exit %d; want %q and nothing removed", out, code, want)
	}
	out, _, _ = c.run("n\n", "system", "prune", "-a", "--volumes", "--filter", "label=x", "--filter", "label!=y")
	if !strings.Contains(out, "  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n\n"+
		"  Items to be pruned will be filtered with:\n  - label!=y\n  - label=x\n\nAre you sure") {
		t.Errorf("prompt with -a --volumes and filters: %q", out)
	}

	// Filters narrow every kind: only what has the label goes.
	out = c.ok("system", "prune", "-f", "--filter", "label=tier=old")
	if !strings.Contains(out, "Deleted Containers:\n") || !strings.Contains(out, "Deleted Networks:\noldnet\n\nTotal reclaimed space: ") {
		t.Errorf("prune --filter label: %q", out)
	}
	if got := psAll(); got != "other\nlive\n" {
		t.Errorf("after prune --filter label: containers %q", got)
	}
	if out := c.ok("system", "prune", "-f", "--filter", "until=2000-01-01"); out != "Total reclaimed space: 0B\n" {
		t.Errorf("prune --filter until before everything removed something: %q", out)
	}

	// Plain prune with --volumes: stopped containers, unused networks,
	// anonymous volumes and dangling images; tagged images, named volumes and
	// what runs stay.
	out = c.ok("system", "prune", "-f", "--volumes")
	for _, w := range []string{"Deleted Containers:\n", "Deleted Networks:\nunused\n\n", "Deleted Volumes:\n", "Deleted Images:\ndeleted: " + dangling + "\n\n", "Total reclaimed space: "} {
		if !strings.Contains(out, w) {
			t.Errorf("prune --volumes lacks %q:\n%s", w, out)
		}
	}
	if got := psAll(); got != "live\n" {
		t.Errorf("containers after prune: %q", got)
	}
	if got := c.ok("volume", "ls", "-q"); got != "named\n" {
		t.Errorf("volumes after prune: %q", got)
	}
	if got := c.ok("network", "ls", "--format", "{{.Name}}"); got != "bridge\nhost\nnone\n" {
		t.Errorf("networks after prune: %q", got)
	}
	// -a also removes tagged images no container uses; busybox is in use.
	out = c.ok("system", "prune", "-af")
	if !strings.Contains(out, "Deleted Images:\nuntagged: spare:1\ndeleted: "+tagged+"\n") {
		t.Errorf("prune -a: %q", out)
	}
	if got := c.ok("images", "--format", "{{.Repository}}"); got != "busybox\n" {
		t.Errorf("images after prune -a: %q", got)
	}
	got := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "event=prune", "--format", "{{.Type}}")
	if !strings.Contains(got, "container\nnetwork\nvolume\nimage\n") {
		t.Errorf("prune events: %q", got)
	}
}

func TestSystemPruneRefusesBadFilters(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "--name", "stopped", "busybox", "true")
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"system", "prune", "-f", "--filter", "color=red"}, `invalid filter "color"`},
		{[]string{"system", "prune", "-f", "--filter", "until=someday"}, "invalid until filter"},
		{[]string{"system", "prune", "-f", "--filter", "label"}, "expected name=value"},
		{[]string{"system", "prune", "-f", "--volumes", "--filter", "until=1h"}, "until filter is not supported with --volumes"},
	} {
		out, errOut, code := c.run("", tt.args...)
		if code != 125 || out != "" || !strings.Contains(errOut, tt.err) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d out %q err %q; want 125 and one line with %q", tt.args, code, out, errOut, tt.err)
		}
	}
	if got := c.ok("ps", "-aq"); got == "" {
		t.Error("a refused prune removed the stopped container")
	}
}

func TestPruneWarning(t *testing.T) {
	got := pruneWarning(engine.SystemPruneOptions{}, nil)
	want := "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n" +
		"  - all dangling images\n\nAre you sure you want to continue? [y/N] "
	if got != want {
		t.Errorf("plain: %q", got)
	}
	got = pruneWarning(engine.SystemPruneOptions{All: true, Volumes: true}, []string{"until=24h", "label=a", "label!=b"})
	want = "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n" +
		"  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n\n" +
		"  Items to be pruned will be filtered with:\n  - label!=b\n  - label=a\n  - until=24h\n\nAre you sure you want to continue? [y/N] "
	if got != want {
		t.Errorf("with -a --volumes and filters:\n%q\nwant\n%q", got, want)
	}
}

func TestPrintPruneReport(t *testing.T) {
	var b bytes.Buffer
	printPruneReport(&b, &engine.SystemPruneReport{
		ContainersDeleted: []string{"c1", "c2"}, NetworksDeleted: []string{"n1"}, VolumesDeleted: []string{"v1"},
		ImagesDeleted:  []images.DeleteResponse{{Untagged: "x:1"}, {Deleted: "sha256:aa"}},
		SpaceReclaimed: 1234567,
	})
	want := "Deleted Containers:\nc1\nc2\n\nDeleted Networks:\nn1\n\nDeleted Volumes:\nv1\n\n" +
		"Deleted Images:\nuntagged: x:1\ndeleted: sha256:aa\n\nTotal reclaimed space: 1.235MB\n"
	if b.String() != want {
		t.Errorf("report:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	printPruneReport(&b, &engine.SystemPruneReport{})
	if b.String() != "Total reclaimed space: 0B\n" {
		t.Errorf("empty report: %q", b.String())
	}
}
