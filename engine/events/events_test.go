package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const helperEnv = "BERTH_EVENTS_TEST_APPEND"

// bigAttrs makes events larger than PIPE_BUF so that torn writes would show.
func bigAttrs(writer string, i int) map[string]string {
	return map[string]string{"name": writer, "seq": strconv.Itoa(i), "pad": strings.Repeat("x", 6000)}
}

// checkIntact verifies the log holds exactly want intact events, per writer.
func checkIntact(t *testing.T, path string, want int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
	if len(lines) != want {
		t.Fatalf("%d lines, want %d", len(lines), want)
	}
	for i, line := range lines {
		ev, err := Decode(line)
		if err != nil || len(ev.Attributes["pad"]) != 6000 {
			t.Fatalf("line %d torn or corrupt: %v", i, err)
		}
	}
}

func TestAppendConcurrentGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "events.log")
	var wg sync.WaitGroup
	const writers, each = 8, 100
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := Open(path)
			for i := 0; i < each; i++ {
				if err := l.Append(Event{Type: "container", Action: "start", ID: "id", Attributes: bigAttrs(strconv.Itoa(w), i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	checkIntact(t, path, writers*each)
}

// TestHelperAppend is run in child processes by TestAppendConcurrentProcesses.
func TestHelperAppend(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper for TestAppendConcurrentProcesses")
	}
	l := Open(path)
	for i := 0; i < 100; i++ {
		if err := l.Append(Event{Type: "container", Action: "die", ID: "id", Attributes: bigAttrs(strconv.Itoa(os.Getpid()), i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendConcurrentProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestHelperAppend$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), helperEnv+"="+path)
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	checkIntact(t, path, procs*100)
}

func TestAppendReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	l := Open(path)
	local := time.FixedZone("X", 3600)
	at := time.Date(2026, 11, 23, 5, 0, 0, 123456789, local)
	if err := l.Append(Event{Time: at, Type: "image", Action: "pull", ID: "busybox:latest"}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := l.Append(Event{Type: "container", Action: "create", ID: "abc", Attributes: map[string]string{"name": "web"}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Event{Type: "container"}); err == nil {
		t.Fatal("event without action accepted")
	}
	got, err := l.Read(context.Background(), Filter{})
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v, %v", got, err)
	}
	if !got[0].Time.Equal(at) || got[0].Time.Location() != time.UTC {
		t.Fatalf("time %v", got[0].Time)
	}
	if got[1].Time.Before(before) || got[1].Attributes["name"] != "web" {
		t.Fatalf("event %+v", got[1])
	}
	missing, err := Open(filepath.Join(t.TempDir(), "none.log")).Read(context.Background(), Filter{})
	if err != nil || len(missing) != 0 {
		t.Fatalf("missing log: %v %v", missing, err)
	}
}

func TestCorruptLineSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	l := Open(path)
	l.Append(Event{Type: "container", Action: "start", ID: "a"})
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("garbage\n{\"type\":1}\n")
	f.Close()
	l.Append(Event{Type: "container", Action: "stop", ID: "a"})
	got, err := l.Read(context.Background(), Filter{})
	if err != nil || len(got) != 2 || got[1].Action != "stop" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func recv(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("timeout")
	}
	return Event{}
}

func TestSubscribe(t *testing.T) {
	base := runtime.NumGoroutine()
	path := filepath.Join(t.TempDir(), "events.log")
	l := Open(path)
	start := time.Now()
	l.Append(Event{Type: "container", Action: "create", ID: "old"})
	ctx, cancel := context.WithCancel(context.Background())
	replay, _ := l.Subscribe(ctx, Filter{Since: start})
	// Subscribe takes its position before it returns: the live subscriber
	// sees every event appended from here on, and nothing before.
	live, liveErrs := l.Subscribe(ctx, Filter{Actions: []string{"die", "create"}})
	if ev := recv(t, replay); ev.ID != "old" {
		t.Fatalf("replay got %+v", ev)
	}
	go func() {
		for i := 0; i < 5; i++ {
			l.Append(Event{Type: "container", Action: "start", ID: strconv.Itoa(i)})
			l.Append(Event{Type: "container", Action: "die", ID: strconv.Itoa(i)})
		}
	}()
	for i := 0; i < 5; i++ {
		if ev := recv(t, live); ev.Action != "die" || ev.ID != strconv.Itoa(i) {
			t.Fatalf("live got %+v", ev)
		}
	}
	for i := 0; i < 10; i++ {
		recv(t, replay)
	}
	cancel()
	for range live {
	}
	for err := range liveErrs {
		t.Fatal(err)
	}
	for range replay {
	}
	waitGoroutines(t, base)
}

// TestSubscribeBeforeCreate follows a log whose file does not exist yet: the
// first append creates it and the follower reads it from its start.
func TestSubscribeBeforeCreate(t *testing.T) {
	base := runtime.NumGoroutine()
	l := Open(filepath.Join(t.TempDir(), "events.log"))
	ctx, cancel := context.WithCancel(context.Background())
	ch, errs := l.Subscribe(ctx, Filter{})
	l.Append(Event{Type: "volume", Action: "create", ID: "v"})
	if ev := recv(t, ch); ev.ID != "v" {
		t.Fatalf("got %+v", ev)
	}
	cancel()
	for range ch {
	}
	for err := range errs {
		t.Fatal(err)
	}
	waitGoroutines(t, base)
}

// TestSubscribeUntil: a subscription ends by itself once Until has passed,
// after delivering the events up to Until (and none after it).
func TestSubscribeUntil(t *testing.T) {
	base := runtime.NumGoroutine()
	l := Open(filepath.Join(t.TempDir(), "events.log"))
	t0 := time.Now().Add(-time.Hour)
	for i, id := range []string{"before", "in", "after"} {
		l.Append(Event{Time: t0.Add(time.Duration(i) * time.Minute), Type: "volume", Action: "create", ID: id})
	}
	ch, errs := l.Subscribe(context.Background(), Filter{Since: t0.Add(30 * time.Second), Until: t0.Add(90 * time.Second)})
	var got []string
	for ev := range ch { // Until has passed: the replay is all there is
		got = append(got, ev.ID)
	}
	for err := range errs {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "in" {
		t.Errorf("events between since and until: %q, want [in]", got)
	}
	ch, errs = l.Subscribe(context.Background(), Filter{Until: time.Now().Add(50 * time.Millisecond)})
	for range ch { // ends by itself when Until passes
	}
	for err := range errs {
		t.Fatal(err)
	}
	waitGoroutines(t, base)
}

// TestSubscribeTruncated: a follower whose file is removed and replaced by a
// fresh one reads the new file from its start, whenever its poll notices.
func TestSubscribeTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	l := Open(path)
	for i := 0; i < 3; i++ {
		l.Append(Event{Type: "container", Action: "start", ID: "before"})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, _ := l.Subscribe(ctx, Filter{})
	os.Remove(path) // replaced by a fresh file
	l.Append(Event{Type: "container", Action: "start", ID: "after"})
	if ev := recv(t, ch); ev.ID != "after" {
		t.Fatalf("got %+v", ev)
	}
}

func BenchmarkAppend(b *testing.B) {
	l := Open(filepath.Join(b.TempDir(), "events.log"))
	ev := Event{Type: "container", Action: "start", ID: strings.Repeat("a", 64), Attributes: map[string]string{"name": "web", "image": "busybox"}}
	for b.Loop() {
		if err := l.Append(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleFilter_Match() {
	f, _ := ParseFilters([]string{"type=container", "event=die", "event=stop"})
	fmt.Println(f.Match(Event{Type: "container", Action: "die"}), f.Match(Event{Type: "image", Action: "die"}))
	// Output: true false
}

// TestMessageShape checks the Docker shape of an event: moby's keys and the
// legacy status, id and from of container and image events.
func TestMessageShape(t *testing.T) {
	at := time.Date(2026, 11, 23, 4, 42, 7, 123456789, time.UTC)
	tests := []struct {
		ev   Event
		want string
	}{
		{Event{Time: at, Type: "container", Action: "start", ID: "c1", Attributes: map[string]string{"image": "busybox", "name": "web"}},
			`{"status":"start","id":"c1","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{"image":"busybox","name":"web"}},"scope":"local","time":1795408927,"timeNano":1795408927123456789}`},
		{Event{Time: at, Type: "image", Action: "tag", ID: "sha256:ab", Attributes: map[string]string{"name": "x:1"}},
			`{"status":"tag","id":"sha256:ab","Type":"image","Action":"tag","Actor":{"ID":"sha256:ab","Attributes":{"name":"x:1"}},"scope":"local","time":1795408927,"timeNano":1795408927123456789}`},
		{Event{Time: at, Type: "network", Action: "prune"},
			`{"Type":"network","Action":"prune","Actor":{"ID":"","Attributes":{}},"scope":"local","time":1795408927,"timeNano":1795408927123456789}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.ev.Message())
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tt.ev.Type, tt.ev.Action, b, tt.want)
		}
	}
}
