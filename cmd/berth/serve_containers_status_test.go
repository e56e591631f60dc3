package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawAPI is a plain HTTP client of berth serve's socket.
type rawAPI struct {
	t *testing.T
	c *http.Client
}

func newAPI(t *testing.T, sock string) *rawAPI {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}
	return &rawAPI{t: t, c: &http.Client{Transport: &http.Transport{DialContext: dial}, Timeout: 2 * time.Minute}}
}

// do sends a request and returns the status, headers and body.
func (a *rawAPI) do(method, path string, body io.Reader) (int, http.Header, string) {
	a.t.Helper()
	req, err := http.NewRequest(method, "http://berth/v1.50"+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// TestServeContainerStatusCodes: the container endpoints answer bad and
// conflicting requests with Docker's statuses and one plain sentence, and a
// refused create leaves nothing.
func TestServeContainerStatusCodes(t *testing.T) {
	s := newServed(t)
	a := newAPI(t, s.sock)
	mk := func(name, body string) {
		if code, _, out := a.do("POST", "/containers/create?name="+name, strings.NewReader(body)); code != http.StatusCreated {
			t.Fatalf("create %s: %d %s", name, code, out)
		}
	}
	mk("run1", `{"Image":"busybox","Cmd":["sleep","1000"]}`)
	mk("idle", `{"Image":"busybox","Cmd":["true"]}`)
	if code, _, out := a.do("POST", "/containers/run1/start", nil); code != http.StatusNoContent {
		t.Fatalf("start: %d %s", code, out)
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
		msg                string // in the message; "" for no body
	}{
		{"GET", "/containers/nosuch/json", "", 404, "nosuch"},
		{"POST", "/containers/nosuch/start", "", 404, "nosuch"},
		{"DELETE", "/containers/nosuch", "", 404, "nosuch"},
		{"POST", "/containers/create?name=idle", `{"Image":"busybox","Cmd":["true"]}`, 409, "idle"},
		{"DELETE", "/containers/run1", "", 409, "You cannot remove a running container "},
		{"POST", "/containers/run1/start", "", 304, ""},
		{"POST", "/containers/idle/stop", "", 304, ""},
		{"POST", "/containers/idle/kill", "", 409, "not running"},
		{"POST", "/containers/run1/kill?signal=NOPE", "", 400, "NOPE"},
		{"POST", "/containers/run1/stop?t=soon", "", 400, "t"},
		{"POST", "/containers/run1/wait?condition=later", "", 400, "later"},
		{"POST", "/containers/idle/rename?name=run1", "", 409, "run1"},
		{"POST", "/containers/idle/rename", "", 400, "name"},
		{"POST", "/containers/create", `{"Image":"busybox","HostConfig":{"Devices":[{"PathOnHost":"/dev/nosuch-berth"}]}}`, 400, `cannot add device "/dev/nosuch-berth"`},
		{"POST", "/containers/create", `{"Image":"busybox","HostConfig":{"PidMode":"sideways"}}`, 400, `invalid PID mode "sideways"`},
		{"POST", "/containers/create", `{"Image":"busybox","HostConfig":{"UsernsMode":"host"}}`, 400, "HostConfig.UsernsMode is not supported by berth"},
		{"POST", "/containers/create", `{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"npipe","Target":"/x"}]}}`, 400, "HostConfig.Mounts[0].Type"},
		{"POST", "/containers/create", `{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"bridge":{"Links":["nosuchctr:b"]}}}}`, 400, "cannot link to nosuchctr: no such container"},
		{"POST", "/containers/create", `{"Image":"busybox",`, 400, "invalid JSON"},
		{"POST", "/containers/create", `{"Image":"busybox","Cmd":5}`, 400, `field "Cmd" must be an array`},
		{"POST", "/containers/create", `{"Image":"busybox","HostConfig":{"Memory":"lots"}}`, 400, "Memory"},
		{"POST", "/containers/create", `{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}`, 400, "sometimes"},
		{"POST", "/containers/create", `{"Image":"nosuchimage"}`, 404, "nosuchimage"},
		{"POST", "/containers/create", `{}`, 400, "image"},
		{"GET", "/containers/json?filters=nojson", "", 400, "filters"},
		{"GET", `/containers/json?filters={"colour":["red"]}`, "", 400, "colour"},
		{"GET", `/containers/json?filters={"exited":["x"]}`, "", 400, "exited=x"},
		{"GET", "/containers/json?limit=many", "", 400, "limit"},
		{"POST", "/containers/idle/update", `{"BlkioWeight":300}`, 400, "HostConfig.BlkioWeight is not supported by berth"},
		{"POST", "/containers/idle/update", `{"Memory":[1]}`, 400, "Memory"},
		{"POST", `/containers/prune?filters={"colour":["red"]}`, "", 400, "colour"},
		{"GET", "/containers/run1/top?ps_args=-l", "", 400, `"l"`},
		{"GET", "/containers/idle/top", "", 409, "not running"},
		{"HEAD", "/containers/idle/archive?path=/nosuch", "", 404, ""},
		{"GET", "/containers/idle/archive", "", 400, "path"},
		{"PUT", "/containers/idle/archive?path=/etc/passwd", "", 400, "directory"},
		{"POST", "/commit?container=nosuch", "", 404, "nosuch"},
		{"POST", "/commit?container=idle&repo=Bad_Ref", "", 400, "Bad_Ref"},
	} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		code, _, out := a.do(tc.method, tc.path, body)
		if code != tc.code {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, code, out, tc.code)
			continue
		}
		if tc.msg == "" {
			if out != "" {
				t.Errorf("%s %s: body %q, want none", tc.method, tc.path, out)
			}
			continue
		}
		var e struct{ Message string }
		if err := json.Unmarshal([]byte(out), &e); err != nil || !strings.Contains(e.Message, tc.msg) ||
			strings.HasSuffix(e.Message, ": conflict") || strings.HasSuffix(e.Message, ": not found") ||
			strings.Contains(e.Message, "\n") {
			t.Errorf("%s %s: message %q, want one sentence with %q", tc.method, tc.path, out, tc.msg)
		}
	}
	if out := s.ok("ps", "-a", "--format", "{{.Names}}"); strings.Join(strings.Fields(out), " ") != "idle run1" {
		t.Errorf("containers after the refused requests: %q", out)
	}
}

// TestServeWaitHeadersFirst: a wait's 200 goes out before the container
// exits, as docker run needs (it waits, then starts); next-exit sees the
// exit that follows and removed sees the removal.
func TestServeWaitHeadersFirst(t *testing.T) {
	s := newServed(t)
	a := newAPI(t, s.sock)
	if code, _, out := a.do("POST", "/containers/create?name=short", strings.NewReader(`{"Image":"busybox","Cmd":["sh","-c","exit 3"]}`)); code != 201 {
		t.Fatalf("create: %d %s", code, out)
	}
	// not-running answers at once for a container that does not run.
	if code, _, out := a.do("POST", "/containers/short/wait", nil); code != 200 || out != `{"Error":null,"StatusCode":0}`+"\n" {
		t.Errorf("wait not-running on a created container: %d %s", code, out)
	}
	conn, err := net.Dial("unix", s.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	wait := func(cond string) *bufio.Reader {
		if _, err := io.WriteString(conn, "POST /v1.50/containers/short/wait?condition="+cond+" HTTP/1.1\r\nHost: berth\r\nContent-Length: 0\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		status, err := br.ReadString('\n')
		if err != nil || !strings.Contains(status, " 200 ") {
			t.Fatalf("wait's status line before the start: %q %v", status, err)
		}
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\r\n" {
				return br
			}
		}
	}
	br := wait("next-exit")
	if code, _, out := a.do("POST", "/containers/short/start", nil); code != 204 {
		t.Fatalf("start: %d %s", code, out)
	}
	if body := chunkedJSON(t, br); !strings.Contains(body, `"StatusCode":3`) {
		t.Errorf("next-exit: %q", body)
	}
	br = wait("removed")
	if code, _, out := a.do("DELETE", "/containers/short", nil); code != 204 {
		t.Fatalf("rm: %d %s", code, out)
	}
	if body := chunkedJSON(t, br); !strings.Contains(body, `"StatusCode":3`) {
		t.Errorf("removed: %q", body)
	}
}

// chunkedJSON reads the first chunk of a chunked body.
func chunkedJSON(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	if _, err := br.ReadString('\n'); err != nil { // the chunk's size
		t.Fatal(err)
	}
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// TestServeArchive: HEAD describes a path (a symlink with its target), PUT
// extracts a tar into a directory and refuses one whose entries leave it,
// writing nothing, and noOverwriteDirNonDir keeps a directory a directory.
func TestServeArchive(t *testing.T) {
	s := newServed(t)
	a := newAPI(t, s.sock)
	if code, _, out := a.do("POST", "/containers/create?name=files", strings.NewReader(`{"Image":"busybox","Cmd":["true"]}`)); code != 201 {
		t.Fatalf("create: %d %s", code, out)
	}
	code, hdr, _ := a.do("HEAD", "/containers/files/archive?path=/bin/sh", nil)
	var st struct {
		Name       string `json:"name"`
		Mode       uint32 `json:"mode"`
		LinkTarget string `json:"linkTarget"`
	}
	raw, _ := base64.StdEncoding.DecodeString(hdr.Get("X-Docker-Container-Path-Stat"))
	if err := json.Unmarshal(raw, &st); code != 200 || err != nil || st.Name != "sh" || st.LinkTarget != "/bin/busybox" {
		t.Errorf("HEAD archive of /bin/sh: %d %q %+v %v", code, raw, st, err)
	}
	put := func(query string, entries ...tar.Header) (int, string) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range entries {
			h.Mode = 0o644
			body := ""
			if h.Typeflag == tar.TypeReg {
				body = "data"
				h.Size = int64(len(body))
			}
			if err := tw.WriteHeader(&h); err != nil {
				t.Fatal(err)
			}
			io.WriteString(tw, body)
		}
		tw.Close()
		code, _, out := a.do("PUT", "/containers/files/archive?"+query, &buf)
		return code, out
	}
	if code, out := put("path=/tmp", tar.Header{Name: "ok.txt", Typeflag: tar.TypeReg}, tar.Header{Name: "../../escape.txt", Typeflag: tar.TypeReg}); code != 400 || !strings.Contains(out, "escape") {
		t.Errorf("PUT of a tar leaving the directory: %d %s", code, out)
	}
	if code, _, _ := a.do("HEAD", "/containers/files/archive?path=/tmp/ok.txt", nil); code != 404 {
		t.Errorf("a refused archive wrote its first entry: HEAD %d", code)
	}
	if code, out := put("path=/tmp", tar.Header{Name: "ok.txt", Typeflag: tar.TypeReg}); code != 200 {
		t.Errorf("PUT of a good tar: %d %s", code, out)
	}
	if code, out := put("path=/&noOverwriteDirNonDir=1", tar.Header{Name: "tmp", Typeflag: tar.TypeReg}); code != 400 || !strings.Contains(out, "overwrite a directory") {
		t.Errorf("PUT replacing a directory with a file: %d %s", code, out)
	}
	code, _, out := a.do("GET", "/containers/files/archive?path=/tmp/ok.txt", nil)
	if code != 200 || !tarHas(strings.NewReader(out), "ok.txt") {
		t.Errorf("GET archive: %d", code)
	}
	// A read-only root filesystem takes archives into its writable mounts only.
	if code, _, out := a.do("POST", "/containers/create?name=ro", strings.NewReader(
		`{"Image":"busybox","Cmd":["true"],"HostConfig":{"ReadonlyRootfs":true,"Binds":["rodata:/data"]}}`)); code != 201 {
		t.Fatalf("create ro: %d %s", code, out)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "x", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.Close()
	archive := buf.String()
	if code, _, out := a.do("PUT", "/containers/ro/archive?path=/tmp", strings.NewReader(archive)); code != 403 || !strings.Contains(out, "read-only") {
		t.Errorf("PUT into a read-only root filesystem: %d %s", code, out)
	}
	if code, _, out := a.do("PUT", "/containers/ro/archive?path=/data", strings.NewReader(archive)); code != 200 {
		t.Errorf("PUT into a volume of a read-only container: %d %s", code, out)
	}
	// A stopped container's volume is read from the volume, not the overlay under it.
	for path, entry := range map[string]string{"/data/x": "x", "/data": "data/x", "/data/.": "x"} {
		code, _, out := a.do("GET", "/containers/ro/archive?path="+path, nil)
		if code != 200 || !tarHas(strings.NewReader(out), entry) {
			t.Errorf("GET archive %s of a stopped container's volume: %d, want an entry %s", path, code, entry)
		}
	}
}

// TestServeCommitBodyAndPruneUntil: a commit's config body lands in the
// image (laid over the container's by the engine, a health check included);
// a prune's until filter keeps what is newer.
func TestServeCommitBodyAndPruneUntil(t *testing.T) {
	s := newServed(t)
	a := newAPI(t, s.sock)
	if code, _, out := a.do("POST", "/containers/create?name=src", strings.NewReader(`{"Image":"busybox","Cmd":["true"]}`)); code != 201 {
		t.Fatalf("create: %d %s", code, out)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "made.txt", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.Close()
	if code, _, out := a.do("PUT", "/containers/src/archive?path=/", &buf); code != 200 {
		t.Fatalf("put a file to commit: %d %s", code, out)
	}
	code, _, out := a.do("POST", "/commit?container=src&repo=made&tag=v2&comment=via+api",
		strings.NewReader(`{"Cmd":["echo","hi"],"Env":["GREETING=hello world"],"Labels":{"from":"api"},"Healthcheck":{"Test":["CMD","true"],"Interval":3000000000}}`))
	if code != 201 || !strings.Contains(out, `"Id":"sha256:`) {
		t.Fatalf("commit: %d %s", code, out)
	}
	got := s.ok("image", "inspect", "--format", `{{json .Config.Cmd}} {{index .Config.Labels "from"}} {{range .Config.Env}}{{.}};{{end}}`, "made:v2")
	if !strings.HasPrefix(got, `["echo","hi"] api `) || !strings.Contains(got, "GREETING=hello world;") {
		t.Errorf("committed image: %q", got)
	}
	if got := s.ok("image", "inspect", "--format", `{{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}}`, "made:v2"); strings.TrimSpace(got) != `["CMD","true"] 3s` {
		t.Errorf("the body's health check in the image: %q", got)
	}
	code, _, out = a.do("POST", `/containers/prune?filters={"until":["1h"]}`, nil)
	if code != 200 || strings.Contains(out, "src") || !strings.Contains(out, `"SpaceReclaimed":0`) {
		t.Errorf("prune until=1h: %d %s", code, out)
	}
	if code, _, _ := a.do("GET", "/containers/src/json", nil); code != 200 {
		t.Errorf("prune until=1h removed a new container: %d", code)
	}
	code, _, out = a.do("POST", `/containers/prune?filters={"until":{"0s":true}}`, nil)
	if code != 200 || !strings.Contains(out, `"ContainersDeleted":["`) {
		t.Errorf("prune until=0s: %d %s", code, out)
	}
}
