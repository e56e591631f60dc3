package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestImportFromURL: `berth import URL` and `docker import URL` through
// serve both have the engine fetch the tar (the same engine method); a URL
// that answers 404 is one sentence naming it and makes no image.
func TestImportFromURL(t *testing.T) {
	tarball := tarOf(t, map[string]string{"hello": "hi from a URL\n"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/fs.tar" {
			http.NotFound(w, r)
			return
		}
		w.Write(tarball)
	}))
	defer srv.Close()
	s := newServed(t)
	s.ok("import", srv.URL+"/fs.tar", "fromurl:1")
	s.ok("create", "--name", "fromurl", "fromurl:1", "true")
	if out := s.ok("cp", "fromurl:/hello", "-"); !strings.Contains(out, "hi from a URL") {
		t.Errorf("the imported file: %q", out)
	}
	_, errOut, code := s.run("", "import", srv.URL+"/missing.tar", "missing:1")
	if code == 0 || !strings.Contains(errOut, "/missing.tar: the server answered 404 Not Found") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("import of a 404: exit %d %q", code, errOut)
	}
	if out := s.ok("images", "-q", "missing"); out != "" {
		t.Errorf("a failed import left an image: %q", out)
	}
	requireDockerCLI(t)
	s.dockerOK("import", srv.URL+"/fs.tar", "dockerurl:1")
	if out := s.ok("images", "--format", "{{.Repository}}:{{.Tag}}", "dockerurl"); strings.TrimSpace(out) != "dockerurl:1" {
		t.Errorf("docker import URL through serve: images %q", out)
	}
	s.ok("rm", "fromurl")
}
