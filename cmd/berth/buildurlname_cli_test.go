package main

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestBuildAddURLNames: ADD of one URL into a directory (a destination
// ending in /) saves the file under the last element of the URL's path, as
// dockerd 20.10's BuildKit does: a Content-Disposition filename is not used
// (BuildKit's Dockerfile frontend names the download itself; the classic
// builder would take it), a query is not part of the name, and a URL
// without a path element saves "__unnamed__".
func TestBuildAddURLNames(t *testing.T) {
	c := newCLI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/cd/") {
			w.Header().Set("Content-Disposition", `attachment; filename="fromheader.txt"`)
		}
		w.Write([]byte("body of " + r.URL.Path + "\n"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	u := "http://" + ln.Addr().String()
	df := "FROM busybox\nADD " + u + "/file.txt /d/\nADD " + u + "/cd/named.txt /e/\nADD " + u + "/q.txt?x=1 /q/\nADD " + u + "/ /f/\n" +
		"WORKDIR /w\nADD " + u + "/rel.txt sub/\nADD " + u + "/plain.txt /plain\n"
	if out, errOut, code := c.run(df, "build", "-q", "-t", "urlnames", "-"); code != 0 {
		t.Fatalf("build: exit %d: %s%s", code, out, errOut)
	}
	got := c.ok("run", "--rm", "urlnames", "sh", "-c", "find /d /e /q /f /w /plain -type f | sort; cat /d/file.txt")
	want := "/d/file.txt\n/e/named.txt\n/f/__unnamed__\n/plain\n/q/q.txt\n/w/sub/rel.txt\nbody of /file.txt\n"
	if got != want {
		t.Errorf("files:\n%s\nwant:\n%s", got, want)
	}
}
