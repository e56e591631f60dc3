package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fileServer serves changeable files on 127.0.0.1 (a free port).
type fileServer struct {
	mu    sync.Mutex
	files map[string]string
	url   string
}

// serveFiles starts a fileServer that the test stops.
func serveFiles(t *testing.T, files map[string]string) *fileServer {
	t.Helper()
	fs := &fileServer{files: files}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		body, ok := fs.files[r.URL.Path]
		fs.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
		w.Write([]byte(body))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	fs.url = "http://" + ln.Addr().String()
	return fs
}

func (fs *fileServer) set(p, body string) {
	fs.mu.Lock()
	fs.files[p] = body
	fs.mu.Unlock()
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestBuildAddURL adds files over HTTP: named after the URL, mode 0600,
// mtime from Last-Modified; --checksum verified; the cache key is the
// content (a changed download misses, an unchanged one hits) or, with
// --checksum, the checksum.
func TestBuildAddURL(t *testing.T) {
	c := newCLI(t)
	srv := serveFiles(t, map[string]string{"/files/a.txt": "alpha\n", "/b.tar": "not unpacked\n"})
	df := "FROM busybox\nADD " + srv.url + "/files/a.txt " + srv.url + "/b.tar /dl/\n" +
		"ADD --checksum=sha256:" + sha256Hex("alpha\n") + " " + srv.url + "/files/a.txt /checked\n"
	out, errOut, code := c.run(df, "build", "-q", "-t", "url:1", "-")
	if code != 0 {
		t.Fatalf("build: exit %d: %s%s", code, out, errOut)
	}
	want := "alpha\nnot unpacked\nalpha\n600 600 600\n2015-10-21\n"
	if got := c.ok("run", "--rm", "url:1", "sh", "-c", "cat /dl/a.txt /dl/b.tar /checked; echo $(stat -c %a /dl/a.txt /dl/b.tar /checked); date -u -r /dl/a.txt +%F"); got != want {
		t.Errorf("files: %q, want %q", got, want)
	}
	if hist := c.ok("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}", "url:1"); !strings.Contains(hist, "ADD "+srv.url+"/files/a.txt "+srv.url+"/b.tar /dl/ # buildkit") {
		t.Errorf("history: %s", hist)
	}
	cached := func() int {
		out, errOut, code := c.run(df, "build", "--progress", "plain", "-t", "url:2", "-")
		if code != 0 {
			t.Fatalf("rebuild: exit %d: %s", code, errOut)
		}
		return strings.Count(out+errOut, " CACHED\n")
	}
	if n := cached(); n != 2 {
		t.Errorf("rebuild: %d cached steps, want 2", n)
	}
	srv.set("/b.tar", "changed\n")
	if n := cached(); n != 0 {
		t.Errorf("after the download changed: %d cached steps, want 0 (the checksum step's parent changed)", n)
	}
	srv.set("/b.tar", "not unpacked\n")
	if n := cached(); n != 2 {
		t.Errorf("after the download changed back: %d cached steps, want 2", n)
	}
}

// TestBuildAddURLFailures checks a wrong --checksum, a 404 and bad flag
// use: one sentence naming the line, and nothing stored or left in /tmp.
func TestBuildAddURLFailures(t *testing.T) {
	c := newCLI(t)
	srv := serveFiles(t, map[string]string{"/a.txt": "alpha\n"})
	c.ok("run", "--rm", "busybox", "true") // the base's snapshot, which a step's mount unpacks, exists
	before := c.rootState()
	tmpBefore, _ := filepath.Glob("/tmp/berth-add-*")
	wrong := "sha256:" + sha256Hex("other")
	for _, tc := range []struct{ dockerfile, want string }{
		{"FROM busybox\nADD --checksum=" + wrong + " " + srv.url + "/a.txt /a\n",
			"berth: Dockerfile:2: ADD --checksum=" + wrong + " " + srv.url + "/a.txt /a: checksum mismatch for " + srv.url + "/a.txt: got sha256:" + sha256Hex("alpha\n") + ", --checksum says " + wrong},
		{"FROM busybox\n\nADD " + srv.url + "/missing /a\n", "berth: Dockerfile:3: ADD " + srv.url + "/missing /a: fetch " + srv.url + "/missing: 404 Not Found"},
		{"FROM busybox\nADD --checksum=md5:00 " + srv.url + "/a.txt /a\n", "berth: Dockerfile:2: ADD --checksum=md5:00 " + srv.url + "/a.txt /a: invalid --checksum \"md5:00\": unsupported digest algorithm"},
		{"FROM busybox\nADD --checksum=" + wrong + " " + srv.url + "/a.txt " + srv.url + "/b /d/\n",
			"berth: Dockerfile:2: ADD --checksum=" + wrong + " " + srv.url + "/a.txt " + srv.url + "/b /d/: checksum can't be specified for multiple sources"},
		{"FROM busybox\nADD git@example.com:x.git /d/\n", "berth: Dockerfile:2: ADD git@example.com:x.git /d/: ADD of git@example.com:x.git is not supported (git over ssh; only http, https and git:// repositories)"},
		{"FROM busybox\nADD ftp://127.0.0.1/x /d/\n", "berth: Dockerfile:2: ADD ftp://127.0.0.1/x /d/: ADD of ftp://127.0.0.1/x is not supported (only http, https and git URLs)"},
		{"FROM busybox\nADD --keep-git-dir=true " + srv.url + "/a.txt /d/\n", "berth: Dockerfile:2: ADD --keep-git-dir=true " + srv.url + "/a.txt /d/: ADD --keep-git-dir needs a git source"},
	} {
		_, errOut, code := c.run(tc.dockerfile, "build", "-q", "-")
		if code == 0 || strings.TrimSpace(errOut) != tc.want {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.dockerfile, code, errOut, tc.want)
		}
	}
	if after := c.rootState(); after != before {
		t.Errorf("failed builds changed the data root:\n%s\nafter:\n%s", before, after)
	}
	if tmpAfter, _ := filepath.Glob("/tmp/berth-add-*"); len(tmpAfter) > len(tmpBefore) {
		t.Errorf("downloads left: %v", tmpAfter)
	}
}
