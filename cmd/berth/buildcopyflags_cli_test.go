package main

import (
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeContext writes files (path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuildCopyParentsExclude checks COPY --parents (parent directories
// kept, the "./" pivot, "**") and --exclude (patterns relative to each
// source, repeatable) against what BuildKit's tests expect, and that an
// excluded file's change keeps the cache.
func TestBuildCopyParentsExclude(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"x/a.txt": "xa", "y/a.txt": "ya", "x/y/b.txt": "xyb", "x/y/b.md": "md",
		"src/a.txt": "1", "src/x/b.txt": "2", "src/x/y/c.txt": "3", "src/x/y/d.md": "4",
		"dir1/f.png": "png", "dir1/f.txt": "f", "dir2/g.txt": "g", "dir2/g.jpeg": "jpeg",
		"Dockerfile": "FROM busybox\n" +
			"COPY --parents ./x/a.txt ./y/a.txt /parents/\n" +
			"COPY --parents ./x/./y/*.txt /pivot/\n" +
			"COPY --parents ./src/**/*.txt /glob/\n" +
			"COPY --exclude=*.png --exclude=*.jpeg dir* /excl/\n" +
			"COPY --exclude=**/*.md src /noexcl/\n",
	})
	if n := c.cachedSteps("-t", "flags", dir); n != 0 {
		t.Errorf("first build: %d cached steps", n)
	}
	want := "/excl/f.txt\n/excl/g.txt\n/glob/src/a.txt\n/glob/src/x/b.txt\n/glob/src/x/y/c.txt\n" +
		"/noexcl/a.txt\n/noexcl/x/b.txt\n/noexcl/x/y/c.txt\n/parents/x/a.txt\n/parents/y/a.txt\n/pivot/y/b.txt\n"
	if got := c.ok("run", "--rm", "flags", "sh", "-c", "find /parents /pivot /glob /excl /noexcl -type f | sort"); got != want {
		t.Errorf("files:\n%s\nwant:\n%s", got, want)
	}
	hist := c.ok("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}", "flags")
	if !strings.Contains(hist, "COPY --parents ./x/./y/*.txt /pivot/ # buildkit\n") || !strings.Contains(hist, "COPY dir* /excl/ # buildkit\n") {
		t.Errorf("history:\n%s", hist)
	}
	writeFiles(t, dir, map[string]string{"dir1/f.png": "changed", "src/x/y/d.md": "changed"})
	if n := c.cachedSteps("-t", "flags", dir); n != 5 {
		t.Errorf("after changing excluded files: %d cached steps, want 5", n)
	}
	writeFiles(t, dir, map[string]string{"dir2/g.txt": "changed"})
	if n := c.cachedSteps("-t", "flags", dir); n != 3 {
		t.Errorf("after changing a copied file: %d cached steps, want 3", n)
	}
	// The context's file digests are kept as build cache, listed and pruned.
	if v := c.ok("system", "df", "-v"); strings.Count(v, " source.local ") != 1 {
		t.Errorf("df -v lists no kept context digests:\n%s", v)
	}
	c.ok("builder", "prune", "-f")
	if ents, err := os.ReadDir(filepath.Join(c.root, "images", "contenthash")); err != nil || len(ents) != 0 {
		t.Errorf("kept digests after prune: %v %v", ents, err)
	}
}

// TestBuildCopyLink checks COPY --link: the same files as a plain COPY (the
// parent's directory content merged, not replaced), and a layer whose
// cache does not depend on the parent: after an earlier step changes, the
// COPY --link step is reused and its layer is the same blob.
func TestBuildCopyLink(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f.txt": "linked\n", "Dockerfile": "FROM busybox\nARG V=1\nRUN echo $V > /v\n" +
		"WORKDIR /app\nCOPY --link f.txt ./\nCOPY --link --chown=65534:65534 f.txt /etc/\n"})
	c.cachedSteps("-t", "link:1", dir)
	lastLayers := func(tag string) string {
		return c.ok("image", "inspect", "--format", "{{index .RootFS.Layers 3}} {{index .RootFS.Layers 4}}", tag)
	}
	first := lastLayers("link:1")
	if got := c.ok("run", "--rm", "link:1", "sh", "-c", "cat /app/f.txt /v; stat -c %u /etc/f.txt; test -f /etc/passwd && echo kept"); got != "linked\n1\n65534\nkept\n" {
		t.Errorf("files: %q", got)
	}
	if n := c.cachedSteps("-t", "link:2", "--build-arg", "V=2", dir); n != 2 { // RUN and WORKDIR miss
		t.Errorf("after an ARG change: %d cached steps, want 2 (the two links)", n)
	}
	if got := lastLayers("link:2"); got != first {
		t.Errorf("the linked layers changed with the parent: %s vs %s", got, first)
	}
	if got := c.ok("run", "--rm", "link:2", "cat", "/app/f.txt", "/v"); got != "linked\n2\n" {
		t.Errorf("files after rebase: %q", got)
	}
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM busybox\nCOPY --link --chown=nobody f.txt /\n"})
	_, errOut, code := c.run("", "build", "-q", dir)
	if want := "berth: Dockerfile:2: COPY --link --chown=nobody f.txt /: --chown=nobody: user and group names can't be resolved when used with --link, use numeric uid[:gid] instead\n"; code == 0 || errOut != want {
		t.Errorf("named --chown with --link: exit %d: %q", code, errOut)
	}
}

// gitServer serves the repository made in a temporary directory over
// smart HTTP (git http-backend as CGI) on 127.0.0.1, and returns its URL
// and the work tree to commit more in.
func gitServer(t *testing.T) (string, string) {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	work := filepath.Join(root, "work")
	writeFiles(t, work, map[string]string{"a.txt": "from git\n", "sub/b.txt": "in sub\n"})
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", work, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-qm", "one")
	git("tag", "v1")
	if out, err := exec.Command("git", "clone", "-q", "--bare", work, filepath.Join(root, "srv", "repo.git")).CombinedOutput(); err != nil {
		t.Fatalf("clone: %v %s", err, out)
	}
	git("remote", "add", "origin", filepath.Join(root, "srv", "repo.git"))
	h := &cgi.Handler{Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env: []string{"GIT_PROJECT_ROOT=" + filepath.Join(root, "srv"), "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/repo.git", work
}

// TestBuildAddGit adds a repository served on 127.0.0.1: a tag, a branch's
// subdirectory, --keep-git-dir; a rebuild is cached; a new commit on the
// branch misses only the steps that name it.
func TestBuildAddGit(t *testing.T) {
	url, work := gitServer(t)
	c := newCLI(t)
	df := "FROM busybox\nADD " + url + "#v1 /tag\nADD " + url + "#main:sub /sub\nADD --keep-git-dir=true " + url + " /full\n"
	build := func() int {
		out, errOut, code := c.run(df, "build", "--progress", "plain", "-t", "git", "-")
		if code != 0 {
			t.Fatalf("build: exit %d: %s%s", code, out, errOut)
		}
		return strings.Count(errOut, " CACHED\n")
	}
	build()
	check := "cat /tag/a.txt /sub/b.txt; ls -a /tag | grep -c git; test -f /full/.git/HEAD && echo kept; ls /full"
	if got := c.ok("run", "--rm", "git", "sh", "-c", check); got != "from git\nin sub\n0\nkept\na.txt\nsub\n" {
		t.Errorf("files: %q", got)
	}
	if n := build(); n != 3 {
		t.Errorf("rebuild: %d cached steps, want 3", n)
	}
	writeFiles(t, work, map[string]string{"sub/b.txt": "second\n"})
	for _, args := range [][]string{{"commit", "-qam", "two"}, {"push", "-q", "origin", "main"}} {
		if out, err := exec.Command("git", append([]string{"-C", work, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	if n := build(); n != 1 {
		t.Errorf("after a commit on main: %d cached steps, want 1 (the tag)", n)
	}
	if got := c.ok("run", "--rm", "git", "cat", "/sub/b.txt", "/tag/sub/b.txt"); got != "second\nin sub\n" {
		t.Errorf("after the commit: %q", got)
	}
	_, errOut, code := c.run("FROM busybox\nADD "+url+"#nosuch /x\n", "build", "-q", "-")
	if code == 0 || !strings.Contains(errOut, `git ref "nosuch" not found in `+url) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("missing ref: exit %d: %q", code, errOut)
	}
}
