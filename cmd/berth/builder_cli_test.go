package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const pruneDockerfile = "FROM busybox\nARG V=1\nRUN head -c 100000 /dev/urandom > /big\n" +
	"RUN --mount=type=cache,target=/c sh -c 'head -c 50000 /dev/urandom > /c/f; echo $V > /v'\n"

// dfLine is system df's row for typ, its fields.
func (c *cli) dfLine(typ string) []string {
	c.t.Helper()
	for _, l := range strings.Split(c.ok("system", "df"), "\n") {
		if strings.HasPrefix(l, typ+" ") {
			return strings.Fields(strings.TrimPrefix(l, typ))
		}
	}
	c.t.Fatalf("system df has no %s row", typ)
	return nil
}

// TestBuilderPruneAndDf checks the Build Cache row of system df (entries,
// size, what a prune frees), its -v detail, and builder prune: without -a
// only cache of images nothing keeps (a rebuild replaced the tag), with -a
// everything, cache mounts included; "n" at the prompt removes nothing.
func TestBuilderPruneAndDf(t *testing.T) {
	c := newCLI(t)
	if got := c.dfLine("Build Cache"); strings.Join(got, " ") != "0 0 0B 0B" {
		t.Errorf("empty cache: %v", got)
	}
	c.run(pruneDockerfile, "build", "-q", "-t", "p:1", "-")
	// The entries: the two RUN steps, the stage's image with its ARG row
	// (0B: no layer) and the cache mount.
	if got := c.dfLine("Build Cache"); strings.Join(got, " ") != "4 0 154kB 50kB" {
		t.Errorf("after a build (two steps shared by p:1, its ARG row, a 50kB cache mount): %v", got)
	}
	c.run(pruneDockerfile, "build", "-q", "--build-arg", "V=2", "-t", "p:1", "-")
	v := c.ok("system", "df", "-v")
	if !strings.Contains(v, "Build cache usage: 258kB") || strings.Count(v, " regular ") != 6 || strings.Count(v, " exec.cachemount ") != 1 {
		t.Errorf("df -v:\n%s", v)
	}
	// An untagged image no build made (an import) is image prune's, not
	// builder prune's: it outlives both prunes below.
	untagged, _, code := c.run(string(tarOf(t, map[string]string{"hello": "hi\n"})), "import", "-")
	if untagged = strings.TrimSpace(untagged); code != 0 {
		t.Fatalf("import: exit %d", code)
	}
	if out, _, _ := c.run("n\n", "builder", "prune"); strings.Contains(out, "Deleted") || c.dfLine("Build Cache")[0] != "7" {
		t.Errorf("answering n removed cache: %q", out)
	}
	out := c.ok("builder", "prune", "-f")
	if strings.Count(out, "\n") != 6 || !strings.HasSuffix(out, "\nTotal reclaimed space: 104kB\n") {
		t.Errorf("prune: %q", out)
	}
	if got := c.dfLine("Build Cache"); strings.Join(got, " ") != "4 0 154kB 50kB" {
		t.Errorf("after prune: %v", got)
	}
	if _, errOut, _ := c.run(pruneDockerfile, "build", "--progress", "plain", "-t", "p:1", "--build-arg", "V=2", "-"); strings.Count(errOut, " CACHED\n") != 2 {
		t.Errorf("the kept steps are no longer cached: %s", errOut)
	}
	if out := c.ok("builder", "prune", "-af"); !strings.HasSuffix(out, "\nTotal reclaimed space: 50kB\n") {
		t.Errorf("prune -a: %q", out)
	}
	if got := c.dfLine("Build Cache"); strings.Join(got, " ") != "0 0 0B 0B" {
		t.Errorf("after prune -a: %v", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(c.root, "images", "cachemounts")); len(ents) != 0 {
		t.Errorf("cache mounts left: %v", ents)
	}
	if _, _, code := c.run("", "image", "inspect", untagged); code != 0 {
		t.Errorf("builder prune removed an untagged image no build made (%s)", untagged)
	}
	if ev := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "type=builder", "--format", "{{.Action}}"); ev != "prune\nprune\n" {
		t.Errorf("events: %q", ev)
	}
}
