package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"golang.org/x/net/websocket"
)

// get fetches path and returns the status and body.
func get(t *testing.T, cl *http.Client, method, path, body string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://docker"+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestLogsFraming: logs are multiplexed without a TTY and raw with one,
// filtered by stream, tail and since, with docker's fixed-width timestamps.
func TestLogsFraming(t *testing.T) {
	f := newFakeEngine(false)
	_, sock := serveFake(t, f)
	cl := httpClient(t, sock)
	code, body, h := get(t, cl, "GET", "/v1.44/containers/c1/logs?stdout=1&stderr=1", "")
	var out, errOut bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errOut, strings.NewReader(body)); err != nil || code != 200 {
		t.Fatalf("%d %v", code, err)
	}
	if out.String() != "one\nthree\n" || errOut.String() != "two\n" || h.Get("Content-Type") != multiplexedStream {
		t.Errorf("stdout %q stderr %q type %q", out.String(), errOut.String(), h.Get("Content-Type"))
	}
	out.Reset()
	_, body, _ = get(t, cl, "GET", "/containers/c1/logs?stdout=1&tail=1&timestamps=1", "")
	stdcopy.StdCopy(&out, io.Discard, strings.NewReader(body))
	if want := "2023-11-14T22:13:22.000000005Z three\n"; out.String() != want {
		t.Errorf("tail+timestamps: %q, want %q", out.String(), want)
	}
	out.Reset()
	_, body, _ = get(t, cl, "GET", "/containers/c1/logs?stdout=1&stderr=1&since=1700000000.5", "")
	stdcopy.StdCopy(&out, &out, strings.NewReader(body))
	if out.String() != "two\nthree\n" {
		t.Errorf("since: %q", out.String())
	}
	f.c.Config.Tty = true
	_, body, h = get(t, cl, "GET", "/v1.44/containers/c1/logs?stdout=1&stderr=1", "")
	if body != "one\ntwo\nthree\n" || h.Get("Content-Type") != rawStream {
		t.Errorf("tty logs %q %q", body, h.Get("Content-Type"))
	}
}

// TestStatsShapes: stream=0 sends one message whose pre-read is the read
// before it; one-shot sends one read without it; a stream goes on.
func TestStatsShapes(t *testing.T) {
	f := newFakeEngine(false)
	_, sock := serveFake(t, f)
	cl := httpClient(t, sock)
	var st container.StatsResponse
	_, body, _ := get(t, cl, "GET", "/containers/c1/stats?stream=0", "")
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if st.CPUStats.CPUUsage.TotalUsage != 2e8 || st.PreCPUStats.CPUUsage.TotalUsage != 1e8 ||
		st.CPUStats.SystemUsage != 4e9 || st.PreCPUStats.SystemUsage != 2e9 || st.CPUStats.OnlineCPUs != 2 {
		t.Errorf("cpu %+v precpu %+v", st.CPUStats, st.PreCPUStats)
	}
	// docker's client computes MEM USAGE as usage - inactive_file.
	if m := st.MemoryStats; m.Usage-m.Stats["inactive_file"] != 2000 || m.Limit != 8000 || st.Name != "/c1" || st.ID != f.c.ID {
		t.Errorf("memory %+v name %q id %q", m, st.Name, st.ID)
	}
	if strings.Count(body, "\n") != 1 {
		t.Errorf("stream=0 sent %d messages", strings.Count(body, "\n"))
	}
	_, body, _ = get(t, cl, "GET", "/containers/c1/stats?stream=0&one-shot=1", "")
	st = container.StatsResponse{}
	json.Unmarshal([]byte(body), &st)
	if st.CPUStats.CPUUsage.TotalUsage != 1e8 || st.PreCPUStats.CPUUsage.TotalUsage != 0 || !st.PreRead.IsZero() {
		t.Errorf("one-shot: cpu %+v precpu %+v", st.CPUStats, st.PreCPUStats)
	}
	resp, err := cl.Get("http://docker/containers/c1/stats")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(resp.Body)
	for i := 0; i < 3; i++ {
		if err := dec.Decode(&st); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	resp.Body.Close()
	if st.PreCPUStats.CPUUsage.TotalUsage+1e8 != st.CPUStats.CPUUsage.TotalUsage {
		t.Errorf("stream: precpu %d cpu %d", st.PreCPUStats.CPUUsage.TotalUsage, st.CPUStats.CPUUsage.TotalUsage)
	}
}

// TestExecLifecycle: create, start (hijacked), inspect with the exit code;
// a second start is a conflict; a stopped container refuses a new exec.
func TestExecLifecycle(t *testing.T) {
	f := newFakeEngine(false)
	s, sock := serveFake(t, f)
	cl := httpClient(t, sock)
	code, body, _ := get(t, cl, "POST", "/containers/c1/exec", `{"Cmd":["sh","-c","exit 3"],"AttachStdout":true,"AttachStderr":true,"AttachStdin":true,"ConsoleSize":[24,80]}`)
	var id container.ExecCreateResponse
	if json.Unmarshal([]byte(body), &id); code != 201 || len(id.ID) != 64 {
		t.Fatalf("create: %d %s", code, body)
	}
	c, br, resp := rawRequest(t, sock, "POST", "/exec/"+id.ID[:12]+"/start", upgrade)
	if resp.StatusCode != 101 {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	c.Write([]byte("typed"))
	c.CloseWrite()
	var out, errOut bytes.Buffer
	stdcopy.StdCopy(&out, &errOut, br)
	c.Close()
	if out.String() != "sh\n" || errOut.String() != "typed" {
		t.Errorf("exec streams %q %q", out.String(), errOut.String())
	}
	_, body, _ = get(t, cl, "GET", "/exec/"+id.ID+"/json", "")
	var in container.ExecInspectResponse
	json.Unmarshal([]byte(body), &in)
	if in.Running || in.ExitCode == nil || *in.ExitCode != 3 || in.ContainerID != f.c.ID ||
		in.ProcessConfig.Entrypoint != "sh" || len(in.ProcessConfig.Arguments) != 2 || !in.OpenStdin {
		t.Errorf("inspect %s", body)
	}
	if len(f.resized) != 1 || f.resized[0].Width != 80 || f.resized[0].Height != 24 {
		t.Errorf("console size %v", f.resized)
	}
	if code, body, _ := get(t, cl, "POST", "/exec/"+id.ID+"/start", `{}`); code != 409 || !strings.Contains(body, "has already run") {
		t.Errorf("second start: %d %s", code, body)
	}
	if code, body, _ := get(t, cl, "POST", "/exec/"+id.ID+"/resize?h=10&w=10", ``); code != 409 {
		t.Errorf("resize of an ended exec: %d %s", code, body)
	}
	if code, body, _ := get(t, cl, "POST", "/containers/c1/exec", `{"Cmd":["sh"],"ConsoleSize":[70000,80]}`); code != 400 || !strings.Contains(body, "ConsoleSize 70000x80 is too large") {
		t.Errorf("a console of 70000 rows: %d %s", code, body)
	}
	if code, body, _ := get(t, cl, "POST", "/containers/c1/exec", `{"Cmd":[]}`); code != 400 || !strings.Contains(body, "No exec command specified") {
		t.Errorf("no command: %d %s", code, body)
	}
	if code, body, _ := get(t, cl, "POST", "/containers/c1/exec", `{"Cmd":"ls"}`); code != 400 || !strings.Contains(body, `Cmd\" must be an array`) {
		t.Errorf("wrong type: %d %s", code, body)
	}
	// Detached: answered at once, the exit code recorded when it ends.
	_, body, _ = get(t, cl, "POST", "/containers/c1/exec", `{"Cmd":["true"]}`)
	json.Unmarshal([]byte(body), &id)
	if code, body, _ := get(t, cl, "POST", "/exec/"+id.ID+"/start", `{"Detach":true}`); code != 200 || body != "" {
		t.Errorf("detached start: %d %q", code, body)
	}
	f.mu.Lock()
	f.c.State.Running = false
	f.mu.Unlock()
	if code, body, _ := get(t, cl, "POST", "/containers/c1/exec", `{"Cmd":["true"]}`); code != 409 || !strings.Contains(body, "is not running") {
		t.Errorf("exec in a stopped container: %d %s", code, body)
	}
	s.Close()
	if x, _ := f.ExecInspect(context.Background(), id.ID); x == nil || !x.Started {
		t.Errorf("the detached exec was not started")
	}
}

// TestStreamsLeaveNoGoroutine: a client that hangs up mid-attach (hijacked
// or websocket), mid-logs -f and mid-stats leaves no goroutine behind, and
// the engine's attach ended (the container itself runs on).
func TestStreamsLeaveNoGoroutine(t *testing.T) {
	f := newFakeEngine(false)
	_, sock := serveFake(t, f)

	c, _, resp := rawRequest(t, sock, "POST", "/containers/c1/attach?stream=1&stdout=1&stderr=1", upgrade)
	waitFor(t, "the attach", func() bool { return f.live() == 1 })
	c.Close()
	_ = resp

	c, br, _ := rawRequest(t, sock, "POST", "/containers/c1/attach?stream=1&stdin=1&stdout=1", upgrade)
	io.ReadFull(br, make([]byte, 17))
	c.Close() // closed without a half-close first

	cl := httpClient(t, sock)
	for _, path := range []string{"/containers/c1/logs?stdout=1&follow=1", "/containers/c1/stats"} {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://docker"+path, nil)
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadFull(resp.Body, make([]byte, 8))
		cancel()
		resp.Body.Close()
	}
	cl.Transport.(*http.Transport).CloseIdleConnections()

	ws := dialWebsocket(t, sock, "/containers/c1/attach/ws?stream=1&stdout=1")
	buf := make([]byte, 64)
	if n, err := ws.Read(buf); err != nil || string(buf[:n]) != "attached\n" {
		t.Errorf("websocket read %q %v", buf[:n], err)
	}
	ws.Close()

	waitFor(t, "every stream to end", func() bool { return f.live() == 0 && len(streamGoroutines()) == 0 })
}

// streamGoroutines are the stacks of goroutines running the server's code
// (or the fake engine's) other than its accept loop and the test itself.
func streamGoroutines() []string {
	buf := make([]byte, 1<<20)
	var left []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "berth/engine/server.") && !strings.Contains(g, "testing.tRunner") &&
			!strings.Contains(g, "berth/engine/server.(*Server).Serve(") && !strings.Contains(g, "berth/engine/server.(*Server).Serve.func") {
			left = append(left, g)
		}
	}
	return left
}

// dialWebsocket opens a websocket to path on the server at sock.
func dialWebsocket(t *testing.T, sock, path string) *websocket.Conn {
	t.Helper()
	cfg, err := websocket.NewConfig("ws://docker"+path, "http://docker")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := netDial(sock)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := websocket.NewClient(cfg, raw)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// waitFor polls cond until it holds; it fails the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s; goroutines:\n%s", what, strings.Join(streamGoroutines(), "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWebsocketAttachWaitingForStartSeesTheClientLeave: a websocket attach
// with stdin to a container that has not started reads nothing from the
// socket while it waits (the input is for the container), yet ends when the
// client goes away.
func TestWebsocketAttachWaitingForStartSeesTheClientLeave(t *testing.T) {
	f := newFakeEngine(false)
	f.c.State.Running = false
	_, sock := serveFake(t, f)
	ws := dialWebsocket(t, sock, "/containers/c1/attach/ws?stream=1&stdin=1&stdout=1")
	waitFor(t, "the attach to wait for the start", func() bool {
		for _, g := range streamGoroutines() {
			if strings.Contains(g, "startWait).wait") {
				return true
			}
		}
		return false
	})
	ws.Close()
	waitFor(t, "the attach to end with its client", func() bool { return len(streamGoroutines()) == 0 })
}
