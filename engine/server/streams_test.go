package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/pkg/stdcopy"

	"berth/engine"
)

// served starts a server over f on a private unix socket.
func serveFake(t *testing.T, f *fakeEngine) (*Server, string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := New(f, Options{})
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(l) }()
	t.Cleanup(func() { s.Close(); <-done })
	return s, sock
}

// httpClient is a client of the socket; its idle connections are closed
// when the test ends.
func httpClient(t *testing.T, sock string) *http.Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// rawRequest sends a request on a new connection and reads the response's
// head; the body (or the hijacked stream) is left to read from br.
func rawRequest(t *testing.T, sock, method, path string, header map[string]string) (*net.UnixConn, *bufio.Reader, *http.Response) {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n", method, path)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return c.(*net.UnixConn), br, resp
}

var upgrade = map[string]string{"Connection": "Upgrade", "Upgrade": "tcp"}

// TestAttachHijack: the status and content type of an attach follow
// dockerd's (101 only when asked to upgrade; the multiplexed type only for
// upgraded, TTY-less attaches from API 1.42), and the output is framed
// exactly when the container has no TTY.
func TestAttachHijack(t *testing.T) {
	for _, tt := range []struct {
		tty     bool
		up      bool
		version string
		code    int
		ctype   string
		framed  bool
	}{
		{false, true, "1.44", 101, multiplexedStream, true},
		{false, true, "1.41", 101, rawStream, true},
		{false, false, "1.44", 200, rawStream, true},
		{true, true, "1.44", 101, rawStream, false},
		{true, false, "1.30", 200, rawStream, false},
	} {
		t.Run(fmt.Sprintf("tty=%v,upgrade=%v,v%s", tt.tty, tt.up, tt.version), func(t *testing.T) {
			f := newFakeEngine(tt.tty)
			_, sock := serveFake(t, f)
			h := map[string]string{}
			if tt.up {
				h = upgrade
			}
			c, br, resp := rawRequest(t, sock, "POST", "/v"+tt.version+"/containers/c1/attach?stream=1&stdout=1&stderr=1", h)
			defer c.Close()
			if resp.StatusCode != tt.code || resp.Header.Get("Content-Type") != tt.ctype {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), tt.code, tt.ctype)
			}
			want := []byte("attached\n")
			if tt.framed {
				want = append([]byte{1, 0, 0, 0, 0, 0, 0, 9}, want...)
			}
			got := make([]byte, len(want))
			if _, err := io.ReadFull(br, got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("stream starts %q (%v), want %q", got, err, want)
			}
		})
	}
}

// TestAttachStdinHalfClose: what the client writes reaches the container's
// stdin, even before the server answered, and closing the client's write
// side ends stdin (the container exits here, ending the stream).
func TestAttachStdinHalfClose(t *testing.T) {
	f := newFakeEngine(false)
	_, sock := serveFake(t, f)
	c, br, resp := rawRequest(t, sock, "POST", "/containers/c1/attach?stream=1&stdin=1&stdout=1", upgrade)
	defer c.Close()
	if resp.StatusCode != 101 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	c.Write([]byte("hello\n"))
	c.CloseWrite()
	var out, errOut bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errOut, br); err != nil {
		t.Fatal(err)
	}
	if out.String() != "attached\nhello\n" {
		t.Errorf("stdout %q", out.String())
	}
}

// TestAttachRefusals: bad parameters and unknown containers are answered
// before the connection is taken over.
func TestAttachRefusals(t *testing.T) {
	f := newFakeEngine(false)
	_, sock := serveFake(t, f)
	cl := httpClient(t, sock)
	for _, tt := range []struct {
		method, path string
		code         int
		msg          string
	}{
		{"POST", "/containers/nope/attach?stream=1", 404, "No such container: nope"},
		{"POST", "/containers/c1/attach?stream=1&detachKeys=ctrl-", 400, "invalid detachKeys"},
		{"POST", "/containers/c1/resize?h=x&w=80", 400, "the h parameter must be a number"},
		{"POST", "/containers/c1/resize?h=24&w=70000", 400, "the w parameter"},
		{"GET", "/containers/c1/logs", 400, "you must choose at least one stream"},
		{"GET", "/containers/c1/logs?stdout=1&since=yesterday", 400, "invalid since"},
		{"GET", "/containers/nope/logs?stdout=1", 404, "No such container"},
		{"GET", "/containers/c1/stats?stream=1&one-shot=1", 400, "one-shot"},
		{"POST", "/exec/nope/start", 404, "No such exec instance: nope"},
		{"GET", "/exec/nope/json", 404, "No such exec instance"},
	} {
		req, _ := http.NewRequest(tt.method, "http://docker"+tt.path, nil)
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ Message string }
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(m.Message, tt.msg) {
			t.Errorf("%s %s: %d %q, want %d %q", tt.method, tt.path, resp.StatusCode, m.Message, tt.code, tt.msg)
		}
	}
}

// TestAttachBeforeStart: an attach to a container that is not running waits
// for it, and the start it waits for holds the process for it (WaitAttach).
func TestAttachBeforeStart(t *testing.T) {
	f := newFakeEngine(false)
	f.c.State.Running = false
	s, sock := serveFake(t, f)
	c, br, resp := rawRequest(t, sock, "POST", "/containers/c1/attach?stream=1&stdout=1", upgrade)
	defer c.Close()
	if resp.StatusCode != 101 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := s.eng.Start(context.Background(), "c1", engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if !f.waitAttach {
		t.Errorf("the start did not wait for the attaching client")
	}
	got := make([]byte, 8+9)
	if _, err := io.ReadFull(br, got); err != nil || string(got[8:]) != "attached\n" {
		t.Fatalf("stream %q (%v)", got, err)
	}
	if err := s.eng.Start(context.Background(), "c1", engine.StartOptions{}); err != nil || f.waitAttach {
		t.Errorf("a start nobody waits for waited for a client (%v)", err)
	}
}

func netDial(sock string) (net.Conn, error) { return net.Dial("unix", sock) }
