package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestImageEventsFromCLI: every image verb records Docker's image event —
// bootstrap (tag, import), tag, push, save, rmi (untag, delete), load, pull,
// import — and `events --filter type=image` shows them in order.
func TestImageEventsFromCLI(t *testing.T) {
	host := startRegistry(t, "", "")
	c := newCLI(t)
	ref := host + "/ev/bb:1"
	c.ok("tag", "busybox", "ev:1")
	c.ok("tag", "busybox", ref)
	c.ok("push", "-q", ref)
	digest := strings.TrimSpace(c.ok("inspect", "--format", "{{index .RepoDigests 0}}", ref))
	file := filepath.Join(t.TempDir(), "ev.tar")
	c.ok("save", "-o", file, "ev:1")
	c.ok("rmi", "ev:1")
	c.ok("rmi", ref)
	c.ok("load", "-i", file)
	c.ok("pull", "-q", ref)
	out, errOut, code := c.run(string(tarOf(t, map[string]string{"etc/x": "x\n"})), "import", "-", "imp:1")
	if code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	imp := strings.TrimSpace(out)
	c.ok("rmi", "imp:1")
	got := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "type=image", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
	want := strings.Join([]string{
		"tag busybox:latest", "import busybox:latest", // image bootstrap busybox
		"tag ev:1", "tag " + ref, "push " + host + "/ev/bb", "save ev:1",
		"untag ev:1", "untag " + ref, "untag " + digest, // the last tag of ev/bb takes its digest along
		"load ev:1", "pull " + host + "/ev/bb",
		"tag imp:1", "import imp:1", "untag imp:1", "delete " + imp,
	}, "\n") + "\n"
	if got != want {
		t.Errorf("image events:\n%s\nwant\n%s", got, want)
	}
}
