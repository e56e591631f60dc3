package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
)

// collect reads every entry and error of a non-follow Read.
func collect(t *testing.T, path string, opts ReadOptions) ([]Entry, []error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, errc := Read(ctx, path, opts)
	var out []Entry
	for e := range ch {
		out = append(out, e)
	}
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	return out, errs
}

func lines(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Stream + ":" + string(e.Line)
	}
	return out
}

func mustWriter(t *testing.T, path string, opts WriterOptions) *Writer {
	t.Helper()
	w, err := NewWriter(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func write(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{})
	out, errw := w.Stream("stdout"), w.Stream("stderr")
	write(t, out, "hello\nwor")
	write(t, errw, "oops <&> \"q\"\t\x01\n")
	write(t, out, "ld\n")
	write(t, out, "unterminated")
	write(t, errw, "\xff bad utf8\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Write([]byte("x\n")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	got, errs := collect(t, path, ReadOptions{Tail: -1})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	want := []string{"stdout:hello\n", "stderr:oops <&> \"q\"\t\x01\n", "stdout:world\n", "stderr:\ufffd bad utf8\n", "stdout:unterminated"}
	if fmt.Sprint(lines(got)) != fmt.Sprint(want) {
		t.Fatalf("got %q\nwant %q", lines(got), want)
	}
	if !got[4].Partial || got[0].Partial {
		t.Fatalf("partial flags wrong: %+v", got)
	}
	raw, _ := os.ReadFile(path)
	first := strings.SplitN(string(raw), "\n", 2)[0]
	if !strings.HasPrefix(first, `{"log":"hello\n","stream":"stdout","time":"`) || !strings.HasSuffix(first, `Z"}`) {
		t.Fatalf("not docker json-file format: %s", first)
	}
	if !strings.Contains(string(raw), `\u003c\u0026\u003e`) {
		t.Fatalf("html characters not escaped like docker: %s", raw)
	}
}

func TestAppendsToExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	for _, s := range []string{"one\n", "two\n"} {
		w := mustWriter(t, path, WriterOptions{})
		write(t, w.Stream("stdout"), s)
		w.Close()
	}
	got, _ := collect(t, path, ReadOptions{Tail: -1})
	if fmt.Sprint(lines(got)) != fmt.Sprint([]string{"stdout:one\n", "stdout:two\n"}) {
		t.Fatalf("got %q", lines(got))
	}
}

func TestLongLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{})
	big := bytes.Repeat([]byte("abcdefghij"), 100_000) // 1 MB
	line := append(append([]byte{}, big...), '\n')
	// Write in odd-sized chunks to exercise buffering across calls.
	for i := 0; i < len(line); i += 7777 {
		write(t, w.Stream("stdout"), string(line[i:min(i+7777, len(line))]))
	}
	w.Close()
	got, errs := collect(t, path, ReadOptions{Tail: -1})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	var joined []byte
	for i, e := range got {
		last := i == len(got)-1
		if e.Partial == last || len(e.Line) > MaxLineSize+1 {
			t.Fatalf("entry %d: partial=%v len=%d", i, e.Partial, len(e.Line))
		}
		joined = append(joined, e.Line...)
	}
	if !bytes.Equal(joined, line) {
		t.Fatalf("reassembled %d bytes, want %d", len(joined), len(line))
	}
	if len(got) != len(line)/MaxLineSize+1 {
		t.Fatalf("%d pieces", len(got))
	}
	// A raw 1 MB json line (not written by our writer) must also be readable.
	raw := appendEntry(nil, "stderr", line, time.Now())
	path2 := filepath.Join(t.TempDir(), "raw.log")
	os.WriteFile(path2, raw, 0o600)
	got, _ = collect(t, path2, ReadOptions{Tail: 1})
	if len(got) != 1 || !bytes.Equal(got[0].Line, line) {
		t.Fatalf("raw 1MB line not read back")
	}
}

func TestRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{MaxSize: 1000, MaxFiles: 3})
	for i := 0; i < 100; i++ {
		write(t, w.Stream("stdout"), fmt.Sprintf("line %03d\n", i))
	}
	w.Close()
	for _, name := range []string{path, path + ".1", path + ".2"} {
		st, err := os.Stat(name)
		if err != nil || st.Size() > 1000 {
			t.Fatalf("%s: %v size %v", name, err, st)
		}
	}
	if _, err := os.Stat(path + ".3"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("path.3 should not exist: %v", err)
	}
	all, _ := collect(t, path, ReadOptions{Tail: -1})
	if n := len(all); n < 20 || n > 40 || string(all[n-1].Line) != "line 099\n" {
		t.Fatalf("got %d entries, last %q", n, all[n-1].Line)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Time.Before(all[i-1].Time) || string(all[i].Line) <= string(all[i-1].Line) {
			t.Fatalf("out of order at %d: %q", i, lines(all))
		}
	}
	// Tail crossing file boundaries.
	tail, _ := collect(t, path, ReadOptions{Tail: 15})
	if fmt.Sprint(lines(tail)) != fmt.Sprint(lines(all[len(all)-15:])) {
		t.Fatalf("tail 15 = %q", lines(tail))
	}
}

func TestRotationMaxFileOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{MaxSize: 500, MaxFiles: 1})
	for i := 0; i < 50; i++ {
		write(t, w.Stream("stdout"), fmt.Sprintf("line %03d\n", i))
	}
	w.Close()
	st, _ := os.Stat(path)
	if st.Size() > 500 {
		t.Fatalf("size %d", st.Size())
	}
	if _, err := os.Stat(path + ".1"); err == nil {
		t.Fatal("max-file 1 must not keep rotated files")
	}
	got, _ := collect(t, path, ReadOptions{Tail: 1})
	if len(got) != 1 || string(got[0].Line) != "line 049\n" {
		t.Fatalf("got %q", lines(got))
	}
}

func TestTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{})
	for i := 0; i < 5000; i++ {
		write(t, w.Stream("stdout"), fmt.Sprintf("%d\n", i))
	}
	w.Close()
	for _, n := range []int{0, 1, 2, 100, 4999, 5000, 6000} {
		got, _ := collect(t, path, ReadOptions{Tail: n})
		want := min(n, 5000)
		if len(got) != want {
			t.Fatalf("tail %d: %d entries", n, len(got))
		}
		if want > 0 && string(got[0].Line) != fmt.Sprintf("%d\n", 5000-want) {
			t.Fatalf("tail %d starts at %q", n, got[0].Line)
		}
	}
}

func TestSinceUntil(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var buf []byte
	for i := 0; i < 10; i++ {
		buf = appendEntry(buf, "stdout", []byte(fmt.Sprintf("%d\n", i)), base.Add(time.Duration(i)*time.Second))
	}
	os.WriteFile(path, buf, 0o600)
	tests := []struct {
		name         string
		since, until time.Time
		tail         int
		want         int
	}{
		{"all", time.Time{}, time.Time{}, -1, 10},
		{"since", base.Add(3 * time.Second), time.Time{}, -1, 7},
		{"until", time.Time{}, base.Add(3 * time.Second), -1, 4},
		{"both", base.Add(2 * time.Second), base.Add(5 * time.Second), -1, 4},
		{"tail then since", base.Add(8 * time.Second), time.Time{}, 5, 2},
		{"empty", base.Add(time.Hour), time.Time{}, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := collect(t, path, ReadOptions{Tail: tt.tail, Since: tt.since, Until: tt.until})
			if len(got) != tt.want || len(errs) != 0 {
				t.Fatalf("got %d entries (%v), want %d", len(got), errs, tt.want)
			}
			for _, e := range got {
				if (!tt.since.IsZero() && e.Time.Before(tt.since)) || (!tt.until.IsZero() && e.Time.After(tt.until)) {
					t.Fatalf("entry out of range: %v", e.Time)
				}
			}
		})
	}
}

func TestCorruptLineSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	now := time.Now()
	var buf []byte
	buf = appendEntry(buf, "stdout", []byte("a\n"), now)
	buf = append(buf, "garbage not json\n"...)
	buf = appendEntry(buf, "stdout", []byte("b\n"), now)
	buf = append(buf, "{\"also\":\"bad\"}\n"...)
	buf = appendEntry(buf, "stdout", []byte("c\n"), now)
	os.WriteFile(path, buf, 0o600)
	got, errs := collect(t, path, ReadOptions{Tail: -1})
	if len(got) != 3 {
		t.Fatalf("got %q", lines(got))
	}
	var ce *CorruptLineError
	if len(errs) != 1 || !errors.As(errs[0], &ce) || ce.Path != path || ce.Offset <= 0 {
		t.Fatalf("errors: %v", errs)
	}
}

func TestMissingFile(t *testing.T) {
	got, errs := collect(t, filepath.Join(t.TempDir(), "nope.log"), ReadOptions{Tail: -1, Follow: true})
	if len(got) != 0 || len(errs) != 1 || !errdefs.IsNotFound(errs[0]) {
		t.Fatalf("got %v %v", got, errs)
	}
}

// waitGoroutines waits until the goroutine count drops back to base.
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

// next receives one entry or fails after a timeout.
func next(t *testing.T, ch <-chan Entry) Entry {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("timeout waiting for entry")
	}
	return Entry{}
}

func TestFollowAcrossRotation(t *testing.T) {
	base := runtime.NumGoroutine()
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{MaxSize: 300, MaxFiles: 10})
	write(t, w.Stream("stdout"), "old\n")
	ctx, cancel := context.WithCancel(context.Background())
	ch, errc := Read(ctx, path, ReadOptions{Tail: 1, Follow: true})
	if e := next(t, ch); string(e.Line) != "old\n" {
		t.Fatalf("got %q", e.Line)
	}
	for round := 0; round < 3; round++ {
		for i := 0; i < 20; i++ { // several rotations between polls
			write(t, w.Stream("stderr"), fmt.Sprintf("r%d-%02d\n", round, i))
		}
		for i := 0; i < 20; i++ {
			want := fmt.Sprintf("r%d-%02d\n", round, i)
			if e := next(t, ch); string(e.Line) != want || e.Stream != "stderr" {
				t.Fatalf("got %q, want %q", e.Line, want)
			}
		}
		time.Sleep(150 * time.Millisecond)
	}
	cancel()
	for range ch {
	}
	for err := range errc {
		t.Fatalf("unexpected error %v", err)
	}
	w.Close()
	waitGoroutines(t, base)
}

func TestFollowRemovedFile(t *testing.T) {
	base := runtime.NumGoroutine()
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{})
	write(t, w.Stream("stdout"), "a\n")
	ch, errc := Read(context.Background(), path, ReadOptions{Tail: -1, Follow: true})
	next(t, ch)
	w.Close()
	os.Remove(path)
	for range ch {
	}
	err := <-errc
	if !errdefs.IsNotFound(err) {
		t.Fatalf("want not-found error, got %v", err)
	}
	waitGoroutines(t, base)
}

func TestFollowUntilAndCancel(t *testing.T) {
	base := runtime.NumGoroutine()
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{})
	defer w.Close()
	write(t, w.Stream("stdout"), "old\n")
	write(t, w.Stream("stdout"), "x\n")
	// The last line and then the follow: x comes first whenever the reader
	// starts, and the stream ends by itself once Until passes.
	ch, _ := Read(context.Background(), path, ReadOptions{Tail: 1, Follow: true, Until: time.Now().Add(200 * time.Millisecond)})
	if e := next(t, ch); string(e.Line) != "x\n" {
		t.Fatalf("got %q", e.Line)
	}
	for range ch { // ends by itself once Until passes
	}
	// Cancel while the reader is blocked sending to a consumer that stopped:
	// it has filled the channel's buffer and waits for room.
	for i := 0; i < 500; i++ {
		write(t, w.Stream("stdout"), "y\n")
	}
	ctx, cancel := context.WithCancel(context.Background())
	blocked, _ := Read(ctx, path, ReadOptions{Tail: -1, Follow: true})
	deadline := time.Now().Add(10 * time.Second)
	for len(blocked) < cap(blocked) {
		if time.Now().After(deadline) {
			t.Fatalf("the reader filled %d of %d entries", len(blocked), cap(blocked))
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	waitGoroutines(t, base)
}

func TestTruncatedFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{MaxSize: 400, MaxFiles: 1})
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, _ := Read(ctx, path, ReadOptions{Tail: -1, Follow: true})
	for i := 0; i < 12; i++ {
		write(t, w.Stream("stdout"), fmt.Sprintf("%02d\n", i))
		time.Sleep(30 * time.Millisecond)
	}
	// Truncation (max-file 1) can drop lines written between a poll and the
	// truncation, as with Docker; what must hold is order, no repeats, and
	// that following continues after the truncations.
	prev := ""
	for prev != "11\n" {
		e := next(t, ch)
		if string(e.Line) <= prev {
			t.Fatalf("%q after %q", e.Line, prev)
		}
		prev = string(e.Line)
	}
}

func TestWriterConcurrentStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	w := mustWriter(t, path, WriterOptions{})
	var wg sync.WaitGroup
	for _, s := range []string{"stdout", "stderr"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sw := w.Stream(s)
			for i := 0; i < 1000; i++ {
				sw.Write([]byte(s[3:] + "-"))
				sw.Write([]byte(fmt.Sprintf("%d\n", i)))
			}
		}()
	}
	wg.Wait()
	w.Close()
	got, _ := collect(t, path, ReadOptions{Tail: -1})
	count := map[string]int{}
	for _, e := range got {
		if !strings.HasPrefix(string(e.Line), e.Stream[3:]+"-") {
			t.Fatalf("mixed streams: %s %q", e.Stream, e.Line)
		}
		count[e.Stream]++
	}
	if count["stdout"] != 1000 || count["stderr"] != 1000 {
		t.Fatalf("counts %v", count)
	}
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.log")
	w := mustWriter(t, path, WriterOptions{MaxSize: 200, MaxFiles: 4})
	for i := 0; i < 40; i++ {
		write(t, w.Stream("stdout"), "some line\n")
	}
	w.Close()
	os.WriteFile(filepath.Join(dir, "other.log"), nil, 0o600)
	if err := Remove(path); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 || left[0].Name() != "other.log" {
		t.Fatalf("left behind: %v", left)
	}
	if err := Remove(path); err != nil {
		t.Fatalf("removing a missing log: %v", err)
	}
}
