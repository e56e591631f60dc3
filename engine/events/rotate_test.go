package events

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// logSizes returns the size of each file of the log that exists, by name.
func logSizes(t *testing.T, path string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	matches, _ := filepath.Glob(path + "*")
	for _, m := range matches {
		st, err := os.Stat(m)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(m)] = st.Size()
	}
	return out
}

// seqs returns the seq attributes of evs.
func seqs(evs []Event) []int {
	out := make([]int, len(evs))
	for i, ev := range evs {
		out[i], _ = strconv.Atoi(ev.Attributes["seq"])
	}
	return out
}

// contiguous checks that got is from, from+1, … last.
func contiguous(t *testing.T, got []int, from, last int) {
	t.Helper()
	if len(got) != last-from+1 {
		t.Fatalf("got %d events (%v…), want %d..%d", len(got), got[:min(len(got), 5)], from, last)
	}
	for i, s := range got {
		if s != from+i {
			t.Fatalf("event %d is seq %d, want %d", i, s, from+i)
		}
	}
}

// TestRotationBounded appends many events to a log with a small MaxSize: the
// files stay bounded, and Read returns the newest events across the rotated
// file and the current one, in order.
func TestRotationBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	const maxSize, n = 4096, 2000
	l := OpenWith(path, Options{MaxSize: maxSize, Backups: 1})
	t0 := time.Now().Add(-time.Hour)
	for i := 0; i < n; i++ {
		ev := Event{Time: t0.Add(time.Duration(i) * time.Second), Type: "container", Action: "die", ID: "c", Attributes: map[string]string{"seq": strconv.Itoa(i)}}
		if err := l.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	sizes := logSizes(t, path)
	if len(sizes) != 2 || sizes["events.log.1"] == 0 {
		t.Fatalf("files %v, want events.log and events.log.1", sizes)
	}
	for name, size := range sizes {
		if size > maxSize {
			t.Errorf("%s is %d bytes, more than %d", name, size, maxSize)
		}
	}
	all, err := l.Read(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got := seqs(all)
	contiguous(t, got, n-len(got), n-1)
	rotated := bytes.Count(must(os.ReadFile(path+".1")), []byte("\n"))
	if len(got) <= rotated || rotated == 0 {
		t.Fatalf("read %d events, the rotated file holds %d", len(got), rotated)
	}
	// --since inside the rotated file: from there to the end, nothing older.
	from := n - len(got) + rotated/2
	since, err := l.Read(context.Background(), Filter{Since: t0.Add(time.Duration(from) * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	contiguous(t, seqs(since), from, n-1)
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestRotateRemovesExtraBackups: a log opened with fewer backups than an
// earlier one drops the extra files at its next rotation.
func TestRotateRemovesExtraBackups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	big := OpenWith(path, Options{MaxSize: 300, Backups: 4})
	for i := 0; i < 40; i++ {
		big.Append(Event{Type: "volume", Action: "create", ID: strings.Repeat("v", 100)})
	}
	if n := len(logSizes(t, path)); n != 5 {
		t.Fatalf("%d files, want 5", n)
	}
	small := OpenWith(path, Options{MaxSize: 300, Backups: 1})
	for i := 0; i < 3; i++ {
		small.Append(Event{Type: "volume", Action: "create", ID: strings.Repeat("v", 100)})
	}
	if sizes := logSizes(t, path); len(sizes) != 2 {
		t.Fatalf("files %v, want 2", sizes)
	}
}

const helperRotateEnv = "BERTH_EVENTS_TEST_ROTATE"

// TestHelperAppendRotating is run in child processes by
// TestRotateConcurrentProcesses.
func TestHelperAppendRotating(t *testing.T) {
	path := os.Getenv(helperRotateEnv)
	if path == "" {
		t.Skip("helper for TestRotateConcurrentProcesses")
	}
	l := OpenWith(path, Options{MaxSize: 64 << 10, Backups: 9})
	for i := 0; i < 50; i++ {
		if err := l.Append(Event{Type: "container", Action: "die", ID: "id", Attributes: bigAttrs(strconv.Itoa(os.Getpid()), i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRotateConcurrentProcesses: processes appending and rotating at once
// never tear a line, never lose one into a file that was rotated away, and
// keep each writer's events in order across the files.
func TestRotateConcurrentProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	const procs = 4
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestHelperAppendRotating$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), helperRotateEnv+"="+path)
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	// 200 events of about 6 KB each fill about 19 files of 64 KiB: the oldest
	// went, the newest 10 files remain.
	evs, err := Open(path).Read(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for name, size := range logSizes(t, path) {
		if size > 64<<10 {
			t.Errorf("%s is %d bytes", name, size)
		}
		lines += bytes.Count(must(os.ReadFile(filepath.Join(filepath.Dir(path), name))), []byte("\n"))
	}
	if len(evs) != lines || lines < 90 {
		t.Fatalf("read %d events, the files hold %d lines", len(evs), lines)
	}
	last := map[string]int{}
	for _, ev := range evs {
		w, seq := ev.Attributes["name"], seqs([]Event{ev})[0]
		if prev, ok := last[w]; ok && seq != prev+1 || len(ev.Attributes["pad"]) != 6000 {
			t.Fatalf("writer %s: seq %d after %d (or torn)", w, seq, prev)
		}
		last[w] = seq
	}
	for w, seq := range last {
		if seq != 49 {
			t.Errorf("writer %s ends at %d, want 49", w, seq)
		}
	}
}

// TestFollowAcrossRotations follows a log that rotates several times between
// two polls: every event arrives once, in order.
func TestFollowAcrossRotations(t *testing.T) {
	base := runtime.NumGoroutine()
	path := filepath.Join(t.TempDir(), "events.log")
	l := OpenWith(path, Options{MaxSize: 2048, Backups: 9})
	l.Append(Event{Type: "container", Action: "create", ID: "old"})
	ctx, cancel := context.WithCancel(context.Background())
	ch, errs := l.Subscribe(ctx, Filter{})
	seq := 0
	for round := 0; round < 5; round++ {
		// about 100 bytes each: one round is about 5 rotations, fewer than
		// the backups kept, however late the follower polls.
		for i := 0; i < 100; i++ {
			l.Append(Event{Type: "container", Action: "start", ID: "c", Attributes: map[string]string{"seq": strconv.Itoa(seq + i)}})
		}
		for i := 0; i < 100; i++ {
			if ev := recv(t, ch); ev.Attributes["seq"] != strconv.Itoa(seq+i) {
				t.Fatalf("got %+v, want seq %d", ev, seq+i)
			}
		}
		seq += 100
	}
	cancel()
	for range ch {
	}
	for err := range errs {
		t.Fatal(err)
	}
	waitGoroutines(t, base)
}

// fillLog appends n events a second apart from t0, with padding, and returns
// the log's size.
func fillLog(t *testing.T, l *Log, t0 time.Time, n int) int64 {
	t.Helper()
	for i := 0; i < n; i++ {
		ev := Event{Time: t0.Add(time.Duration(i) * time.Second), Type: "container", Action: "die", ID: strings.Repeat("a", 64),
			Attributes: map[string]string{"seq": strconv.Itoa(i), "pad": strings.Repeat("x", 400)}}
		if err := l.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestFollowerReadsOnlyNew: a follower (no --since) started on a large log
// reads none of it — only the events appended after it started.
func TestFollowerReadsOnlyNew(t *testing.T) {
	l := Open(filepath.Join(t.TempDir(), "events.log"))
	size := fillLog(t, l, time.Now().Add(-time.Hour), 4000)
	l.bytesRead.Store(0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, _ := l.Subscribe(ctx, Filter{})
	l.Append(Event{Type: "container", Action: "start", ID: "new"})
	if ev := recv(t, ch); ev.ID != "new" {
		t.Fatalf("follower got %+v first", ev)
	}
	if n := l.bytesRead.Load(); n > 4096 {
		t.Errorf("follower read %d bytes of a %d-byte log to get one new event", n, size)
	}
}

// TestSinceBisects: --since on a large log finds its first event by
// bisection, reading a small part of the file, and returns exactly the events
// from there on — for a replay (Subscribe) as for Read.
func TestSinceBisects(t *testing.T) {
	l := Open(filepath.Join(t.TempDir(), "events.log"))
	t0 := time.Now().Add(-2 * time.Hour)
	const n = 4000
	size := fillLog(t, l, t0, n)
	for _, from := range []int{0, 1, 17, 1999, 2000, 3990, 3999} {
		l.bytesRead.Store(0)
		evs, err := l.Read(context.Background(), Filter{Since: t0.Add(time.Duration(from) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		contiguous(t, seqs(evs), from, n-1)
		need := size * int64(n-from) / n
		if read := l.bytesRead.Load(); read > need+128<<10 {
			t.Errorf("since event %d: read %d bytes of %d for %d bytes of events", from, read, size, need)
		}
	}
	l.bytesRead.Store(0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, _ := l.Subscribe(ctx, Filter{Since: t0.Add((n - 3) * time.Second)})
	for i := n - 3; i < n; i++ {
		if ev := recv(t, ch); ev.Attributes["seq"] != strconv.Itoa(i) {
			t.Fatalf("replay got seq %s, want %d", ev.Attributes["seq"], i)
		}
	}
	if read := l.bytesRead.Load(); read > 128<<10 {
		t.Errorf("a replay of the last 3 events read %d bytes of %d", read, size)
	}
}

func ExampleOpenWith() {
	dir, _ := os.MkdirTemp("", "events")
	defer os.RemoveAll(dir)
	l := OpenWith(filepath.Join(dir, "events.log"), Options{MaxSize: 1024, Backups: 1})
	for i := 0; i < 100; i++ {
		l.Append(Event{Type: "volume", Action: "create", ID: fmt.Sprint(i)})
	}
	evs, _ := l.Read(context.Background(), Filter{})
	fmt.Println(evs[len(evs)-1].ID, len(evs) < 100)
	// Output: 99 true
}
