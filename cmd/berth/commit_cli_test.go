package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// baseWithDirs commits an image over busybox with files and directories to
// change, delete and replace.
func baseWithDirs(c *cli) {
	c.t.Helper()
	c.ok("run", "--name", "base", "busybox", "sh", "-c",
		"mkdir -p /d/sub && echo 1 > /d/a && echo 2 > /d/sub/b && mkdir /gone && echo g > /gone/f && echo old > /mod")
	c.ok("commit", "base", "base:1")
}

// TestCommitDiffExport changes a container (add, change, delete a file, delete
// a directory, replace a directory: an opaque one), checks diff against its
// golden output, commits it and runs the new image, and exports it.
func TestCommitDiffExport(t *testing.T) {
	c := newCLI(t)
	baseWithDirs(c)
	c.ok("run", "--name", "web", "base:1", "sh", "-c",
		"echo new > /added && echo changed > /mod && rm /bin/ls && rm -rf /gone && rm -rf /d && mkdir /d && echo n > /d/n")
	golden, err := os.ReadFile("testdata/diff.golden")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ok("diff", "web"); got != string(golden) {
		t.Errorf("diff:\n%s\nwant:\n%s", got, golden)
	}
	id := strings.TrimSpace(c.ok("commit", "-c", `CMD ["cat","/d/n"]`, "-c", "ENV SNAP=1", "-m", "snap msg", "-a", "me <me@x>", "web", "web:snap"))
	if !strings.HasPrefix(id, "sha256:") || len(id) != 71 {
		t.Errorf("commit printed %q, want the image ID", id)
	}
	if out := c.ok("run", "--rm", "web:snap"); out != "n\n" {
		t.Errorf("committed CMD printed %q", out)
	}
	out := c.ok("run", "--rm", "web:snap", "sh", "-c",
		`cat /added /mod; ls /d; test ! -e /gone && test ! -e /bin/ls && test ! -e /d/a && echo gone; echo $SNAP`)
	if out != "new\nchanged\nn\ngone\n1\n" {
		t.Errorf("committed image shows %q", out)
	}
	hist := c.ok("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", "web:snap")
	if first := strings.Split(hist, "\n")[0]; !strings.HasPrefix(first, "sh -c echo new > /added") || !strings.HasSuffix(first, "|snap msg") {
		t.Errorf("history top row %q", first)
	}
	if got := c.ok("image", "inspect", "--format", "{{.Author}}", "web:snap"); strings.TrimSpace(got) != "me <me@x>" {
		t.Errorf("author %q", got)
	}
	ev := c.ok("events", "--since", "1h", "--until", "0s", "--filter", "container=web", "--filter", "event=commit",
		"--format", "{{.Action}} {{index .Actor.Attributes \"imageRef\"}} {{index .Actor.Attributes \"comment\"}}")
	if strings.TrimSpace(ev) != "commit web:snap snap msg" {
		t.Errorf("commit event %q", ev)
	}
	stdout, _, code := c.run("", "export", "web")
	if code != 0 {
		t.Fatalf("export exit %d", code)
	}
	files := tarFiles(t, strings.NewReader(stdout))
	if files["added"] != "new\n" || files["mod"] != "changed\n" || files["d/n"] != "n\n" {
		t.Errorf("export content: added=%q mod=%q d/n=%q", files["added"], files["mod"], files["d/n"])
	}
	for _, p := range []string{"gone/f", "d/a", "bin/ls"} {
		if _, ok := files[p]; ok {
			t.Errorf("export has deleted %s", p)
		}
	}
	if _, ok := files["bin/sh"]; !ok {
		t.Error("export lacks the image's bin/sh")
	}
	dst := filepath.Join(t.TempDir(), "fs.tar")
	c.ok("export", "-o", dst, "web")
	f, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := tarFiles(t, f); got["added"] != "new\n" {
		t.Errorf("export -o: added=%q", got["added"])
	}
}

// TestCommitRunningAndErrors commits and exports a running container (paused
// for the while, running again after), and checks bad input changes nothing.
func TestCommitRunningAndErrors(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "live", "busybox", "sh", "-c", "echo x > /r && sleep 600")
	c.ok("exec", "live", "sh", "-c", "while [ ! -e /r ]; do sleep 0.1; done")
	c.ok("commit", "live", "live:1")
	if st := strings.TrimSpace(c.ok("inspect", "--format", "{{.State.Status}}", "live")); st != "running" {
		t.Errorf("after commit the container is %s", st)
	}
	if out := c.ok("run", "--rm", "live:1", "cat", "/r"); out != "x\n" {
		t.Errorf("committed running container: %q", out)
	}
	if out, _, code := c.run("", "export", "live"); code != 0 || tarFiles(t, strings.NewReader(out))["r"] != "x\n" {
		t.Errorf("export of a running container: exit %d", code)
	}
	before := c.ok("images", "-aq")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"commit", "nosuch"}, "no such container: nosuch"},
		{[]string{"commit", "-c", "BOGUS x", "live"}, "BOGUS"},
		{[]string{"commit", "live", "Bad:Ref"}, "Bad:Ref"},
		{[]string{"diff", "nosuch"}, "no such container: nosuch"},
		{[]string{"export", "-o", "/nonexistent/dir/fs.tar", "live"}, "/nonexistent/dir/fs.tar"},
	} {
		_, errOut, code := c.run("", tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", tc.args, code, errOut, tc.want)
		}
	}
	if after := c.ok("images", "-aq"); after != before {
		t.Errorf("failed commits changed the images: %q -> %q", before, after)
	}
}

// tarFiles reads a tar into name → content of its regular files (and "" for others).
func tarFiles(t *testing.T, r io.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		var b bytes.Buffer
		if hdr.Typeflag == tar.TypeReg {
			if _, err := io.Copy(&b, tr); err != nil {
				t.Fatal(err)
			}
		}
		out[strings.TrimPrefix(hdr.Name, "./")] = b.String()
	}
}
