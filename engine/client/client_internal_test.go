package client

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"berth/engine"
	"berth/engine/logfile"
)

// statusServer answers /_ping, and GET /containers/{status}/json with that
// status and a Docker error body.
func statusServer(t *testing.T) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.56")
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			w.Write([]byte("OK"))
			return
		}
		parts := strings.Split(r.URL.Path, "/")
		code, _ := strconv.Atoi(parts[len(parts)-2])
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"message": "the server says " + parts[len(parts)-2]})
	}))
	t.Cleanup(srv.Close)
	c, err := New(context.Background(), "tcp://"+strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestWireClasses: each status the server answers is the errdefs class the
// in-process engine returns, with the server's message alone.
func TestWireClasses(t *testing.T) {
	c := statusServer(t)
	for _, tc := range []struct {
		status int
		is     func(error) bool
	}{
		{400, errdefs.IsInvalidArgument},
		{401, errdefs.IsUnauthorized},
		{403, errdefs.IsPermissionDenied},
		{404, errdefs.IsNotFound},
		{409, errdefs.IsConflict},
		{500, errdefs.IsInternal},
		{501, errdefs.IsNotImplemented},
		{503, errdefs.IsUnavailable},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			_, err := c.Inspect(context.Background(), strconv.Itoa(tc.status))
			if err == nil || !tc.is(err) {
				t.Fatalf("status %d: error %v is not of its class", tc.status, err)
			}
			if want := "the server says " + strconv.Itoa(tc.status); err.Error() != want {
				t.Fatalf("status %d: message %q, want %q", tc.status, err.Error(), want)
			}
		})
	}
}

// TestNoServer: a socket nobody answers on is an unavailable error.
func TestNoServer(t *testing.T) {
	_, err := New(context.Background(), "unix://"+filepath.Join(t.TempDir(), "none.sock"))
	if !errdefs.IsUnavailable(err) {
		t.Fatalf("connect to a missing socket: %v, want an unavailable error", err)
	}
	if _, err := New(context.Background(), ""); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("connect to no address: %v, want an invalid-argument error", err)
	}
}

// TestBerthOnly: what only berth's engine can answer is not implemented
// when the server is not berth's (a dockerd answers 404 "page not found" for
// berth's paths), and says what is missing; nothing is faked.
func TestBerthOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.43")
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			w.Write([]byte("OK"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"page not found"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(context.Background(), "tcp://"+strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	calls := map[string]func() error{
		"XRay":           func() error { _, err := c.XRay(ctx, "x"); return err },
		"HostUsage":      func() error { _, err := c.HostUsage(ctx); return err },
		"Check":          func() error { _, err := c.Check(ctx, false); return err },
		"AuditImage":     func() error { _, _, err := c.AuditImage(ctx, "busybox"); return err },
		"BootstrapImage": func() error { _, err := c.BootstrapImage(ctx, "busybox", nil); return err },
	}
	for name, call := range calls {
		err := call()
		if !errdefs.IsNotImplemented(err) || !strings.HasSuffix(err.Error(), " is not available over the Docker Engine API") {
			t.Errorf("%s: %v, want a not-implemented error saying what is missing", name, err)
		}
	}
}

// TestBerthCallErrors: a berth call's error statuses keep their classes and
// the server's words.
func TestBerthCallErrors(t *testing.T) {
	c := statusServer(t)
	for code, is := range map[int]func(error) bool{404: errdefs.IsNotFound, 409: errdefs.IsConflict,
		400: errdefs.IsInvalidArgument, 500: errdefs.IsUnknown} {
		var out struct{}
		err := c.berthCall(context.Background(), http.MethodGet, "/berth/"+strconv.Itoa(code)+"/x", nil, "a call", &out)
		if !is(err) || err.Error() != "the server says "+strconv.Itoa(code) {
			t.Errorf("status %d: %v, want its class and the server's message", code, err)
		}
	}
}

func TestShortBind(t *testing.T) {
	for _, tc := range []struct {
		m    engine.MountSpec
		want string
	}{
		{engine.MountSpec{Type: "bind", Source: "/src", Target: "/dst"}, "/src:/dst"},
		{engine.MountSpec{Type: "bind", Source: "/src", Target: "/dst", ReadOnly: true, Propagation: "rshared"}, "/src:/dst:ro,rshared"},
		{engine.MountSpec{Type: "volume", Source: "data", Target: "/data", NoCopy: true}, "data:/data:nocopy"},
		{engine.MountSpec{Type: "volume", Target: "/anon"}, "/anon"},
	} {
		if got := shortBind(tc.m); got != tc.want {
			t.Errorf("shortBind(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestPsTime(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"00:00:00":   0,
		"00:01:05":   65 * time.Second,
		"02:00:01":   2*time.Hour + time.Second,
		"1-00:00:02": 24*time.Hour + 2*time.Second,
		"":           0,
	} {
		if got := psTime(in); got != want {
			t.Errorf("psTime(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestAPITime(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, ""},
		{time.Unix(1700000000, 5), "1700000000.000000005"},
		{time.Unix(1700000000, 123456789), "1700000000.123456789"},
	} {
		if got := apiTime(tc.t); got != tc.want {
			t.Errorf("apiTime(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

// TestLineWriter: framed writes are one entry each (partial without a
// newline); a raw stream is cut at newlines; timestamps become entry times.
func TestLineWriter(t *testing.T) {
	const ts = "2026-01-02T03:04:05.000000006Z"
	want := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, tc := range []struct {
		framed bool
		writes []string
		lines  []string
	}{
		{true, []string{ts + " one\n", ts + " part"}, []string{"one\n", "part"}},
		{false, []string{ts + " a\n" + ts + " b", "c\n" + ts + " d"}, []string{"a\n", "bc\n", "d"}},
	} {
		ch := make(chan logfile.Entry, 10)
		w := &lineWriter{ctx: context.Background(), stream: "stdout", to: ch, framed: tc.framed}
		for _, s := range tc.writes {
			if _, err := w.Write([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		w.flush()
		close(ch)
		var got []string
		for e := range ch {
			got = append(got, string(e.Line))
			if !e.Time.Equal(want) || e.Stream != "stdout" || e.Partial != !strings.HasSuffix(string(e.Line), "\n") {
				t.Errorf("entry %+v: want time %v, stdout, partial only without a newline", e, want)
			}
		}
		if strings.Join(got, "|") != strings.Join(tc.lines, "|") {
			t.Errorf("framed %v: lines %q, want %q", tc.framed, got, tc.lines)
		}
	}
}

// FuzzLineWriter: any stream cuts into entries that hold all of it but the
// timestamps, each whole line ending in its newline.
func FuzzLineWriter(f *testing.F) {
	f.Add([]byte("2026-01-02T03:04:05Z one\ntwo\n"), false)
	f.Add([]byte("no newline"), true)
	f.Add([]byte("\n\n 2026-01-02T03:04:05Z\n"), false)
	f.Fuzz(func(t *testing.T, in []byte, framed bool) {
		ch := make(chan logfile.Entry, len(in)+1)
		w := &lineWriter{ctx: context.Background(), stream: "stderr", to: ch, framed: framed}
		if _, err := w.Write(in); err != nil {
			t.Fatal(err)
		}
		w.flush()
		close(ch)
		total := 0
		for e := range ch {
			total += len(e.Line)
			if !e.Partial && !strings.HasSuffix(string(e.Line), "\n") {
				t.Fatalf("whole entry %q without a newline", e.Line)
			}
		}
		if total > len(in) {
			t.Fatalf("entries hold %d bytes of %d", total, len(in))
		}
	})
}

// TestSampleOf: docker stats' figures from a stats reading.
func TestSampleOf(t *testing.T) {
	r := container.StatsResponse{
		MemoryStats: container.MemoryStats{Usage: 1000, Limit: 4000, Stats: map[string]uint64{"inactive_file": 200, "oom_kill": 1}},
		PidsStats:   container.PidsStats{Current: 3, Limit: 10},
		BlkioStats: container.BlkioStats{IoServiceBytesRecursive: []container.BlkioStatEntry{
			{Op: "Read", Value: 5}, {Op: "write", Value: 7}, {Op: "read", Value: 1}, {Op: "Total", Value: 13}}},
		Networks: map[string]container.NetworkStats{"eth0": {RxBytes: 1, TxBytes: 2, RxPackets: 3, TxPackets: 4},
			"eth1": {RxBytes: 10, TxBytes: 20, RxPackets: 30, TxPackets: 40}},
	}
	cpu := container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 50}, SystemUsage: 1000, OnlineCPUs: 2}
	s := sampleOf("id", time.Unix(1, 0), cpu, r)
	if s.MemUsage != 800 || s.MemLimit != 4000 || s.OOMKills != 1 || s.PIDs != 3 || s.PIDsLimit != 10 ||
		s.BlkRead != 6 || s.BlkWrite != 7 || s.NetRxBytes != 11 || s.NetTxBytes != 22 || s.NetRxPackets != 33 ||
		s.NetTxPackets != 44 || s.CPUUsageNS != 50 || s.SystemUsageNS != 1000 || s.OnlineCPUs != 2 {
		t.Fatalf("sampleOf: %+v", s)
	}
}

// TestCreateBody: -v mounts go back as Binds, --mount ones as Mounts; an
// entrypoint cleared on purpose is [""], one not given is the image's.
func TestCreateBody(t *testing.T) {
	o := engine.CreateOptions{Config: engine.Config{Image: "busybox", Entrypoint: []string{}},
		HostConfig: engine.HostConfig{Mounts: []engine.MountSpec{
			{Type: "bind", Source: "/src", Target: "/dst", ReadOnly: true, FromShort: true},
			{Type: "volume", Source: "named", Target: "/named"},
			{Type: "tmpfs", Target: "/run", FromShort: true},
		}, Binds: []string{"/src:/dst"}}}
	cfg, hc := createBody(o)
	if cfg.Entrypoint != nil {
		t.Errorf("entrypoint not given: %q, want the image's (nil)", cfg.Entrypoint)
	}
	if strings.Join(hc.Binds, " ") != "/src:/dst:ro" {
		t.Errorf("binds %q, want /src:/dst:ro", hc.Binds)
	}
	if len(hc.Mounts) != 1 || hc.Mounts[0].Target != "/named" || string(hc.Mounts[0].Type) != "volume" {
		t.Errorf("mounts %+v, want the --mount volume only", hc.Mounts)
	}
	if _, ok := hc.Tmpfs["/run"]; !ok || len(hc.Tmpfs) != 1 {
		t.Errorf("tmpfs %v, want /run", hc.Tmpfs)
	}
	if hc.MaskedPaths != nil || hc.ReadonlyPaths != nil { // sent, they would unmask /proc
		t.Errorf("masked paths %v, read-only paths %v: want none sent", hc.MaskedPaths, hc.ReadonlyPaths)
	}
	o.EntrypointSet = true
	if cfg, _ := createBody(o); len(cfg.Entrypoint) != 1 || cfg.Entrypoint[0] != "" {
		t.Errorf("entrypoint cleared: %q, want [\"\"]", cfg.Entrypoint)
	}
}

// TestNewDial: a client over connections its caller dials (an ssh session)
// speaks to the server at the other end.
func TestNewDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.56")
		if strings.HasSuffix(r.URL.Path, "/version") {
			json.NewEncoder(w).Encode(map[string]string{"Version": "dialled", "ApiVersion": "1.56", "Os": "linux"})
			return
		}
		w.Write([]byte("OK"))
	}))
	defer srv.Close()
	dials := 0
	c, err := NewDial(context.Background(), func(ctx context.Context) (net.Conn, error) {
		dials++
		var d net.Dialer
		return d.DialContext(ctx, "tcp", strings.TrimPrefix(srv.URL, "http://"))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Version(context.Background())
	if err != nil || v.Version != "dialled" || dials == 0 {
		t.Fatalf("version over a dialled connection: %+v, %v (%d dials)", v, err, dials)
	}
}

// TestStreamEnd: an events stream the server closes at the until asked for
// ended normally; closed otherwise, it ended early.
func TestStreamEnd(t *testing.T) {
	ctx := context.Background()
	done, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		ctx     context.Context
		err     error
		bounded bool
		want    func(error) bool
	}{
		{ctx, nil, false, func(err error) bool { return err == nil }},
		{ctx, io.EOF, true, func(err error) bool { return err == nil }},
		{done, context.Canceled, false, func(err error) bool { return err == nil }},
		{ctx, io.EOF, false, errdefs.IsUnavailable},
		{ctx, io.ErrUnexpectedEOF, true, func(err error) bool { return err != nil }},
	} {
		if got := streamEnd(tc.ctx, tc.err, tc.bounded); !tc.want(got) {
			t.Errorf("streamEnd(%v, bounded %v) = %v", tc.err, tc.bounded, got)
		}
	}
}

// TestNetworkOfKeepsGivenOptions: a user network's options come back as
// given, so that it shows the same through the client as in process; the
// default network's Docker set is not taken for given options.
func TestNetworkOfKeepsGivenOptions(t *testing.T) {
	mtu := map[string]string{"com.docker.network.driver.mtu": "1500"}
	if got := networkOf(network.Network{Name: "appnet", Options: mtu}); !maps.Equal(got.Options, mtu) {
		t.Errorf("user network options %v, want %v", got.Options, mtu)
	}
	def := networkOf(network.Network{Name: "bridge", Options: map[string]string{
		"com.docker.network.bridge.name": "b1", "com.docker.network.driver.mtu": "1500"}})
	if def.Bridge != "b1" || len(def.Options) != 0 {
		t.Errorf("default network: bridge %q, options %v", def.Bridge, def.Options)
	}
}
