package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBuildLayerSizesAreContentSizes: a 3-byte COPY's history row says 3B
// and the image is 3 bytes bigger than busybox, as dockerd shows them (a
// layer's size is its files', not its tar's 2,048 bytes).
func TestBuildLayerSizesAreContentSizes(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	for name, body := range map[string]string{"Dockerfile": "FROM busybox\nCOPY f3 /f3\n", "f3": "abc"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c.ok("build", "-q", "-t", "three:test", dir)
	rows := strings.Split(c.ok("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "three:test"), "\n")
	if rows[0] != "COPY f3 /f3 # buildkit|3B" {
		t.Errorf("history row of the COPY: %q", rows[0])
	}
	size := func(ref string) int64 {
		n, err := strconv.ParseInt(strings.TrimSpace(c.ok("image", "inspect", "--format", "{{.Size}}", ref)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if base, img := size("busybox"), size("three:test"); img != base+3 {
		t.Errorf("image size %d, busybox %d: want 3 bytes more", img, base)
	}
}
