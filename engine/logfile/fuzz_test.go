package logfile

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
)

func FuzzParseLine(f *testing.F) {
	f.Add([]byte(`{"log":"hello\n","stream":"stdout","time":"2026-11-23T04:42:07.123456789Z"}` + "\n"))
	f.Add([]byte(`{"log":"part","stream":"stderr","time":"2026-11-23T04:42:07Z"}`))
	f.Add([]byte(`{"log":"\u003c\ufffd","stream":"stdout","time":"2026-11-23T04:42:07Z","attrs":{"a":"b"}}`))
	f.Add([]byte(`not json`))
	f.Add([]byte(`{"stream":"stdout"}`))
	f.Add([]byte(`{"log":1}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseLine(line)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("error not classified: %v", err)
			}
			return
		}
		if e.Partial == bytes.HasSuffix(e.Line, []byte("\n")) {
			t.Fatalf("partial flag inconsistent: %+v", e)
		}
		// Re-encoding and decoding is stable for valid UTF-8 payloads.
		enc := appendEntry(nil, e.Stream, e.Line, e.Time)
		e2, err := ParseLine(enc)
		if err != nil {
			t.Fatalf("re-encoded line does not parse: %v: %s", err, enc)
		}
		if !bytes.Equal(e2.Line, e.Line) || e2.Stream != e.Stream || !e2.Time.Equal(e.Time) {
			t.Fatalf("round trip changed entry: %+v vs %+v", e, e2)
		}
	})
}

func FuzzParseOpts(f *testing.F) {
	f.Add("max-size", "10m", "max-file", "3")
	f.Add("max-size", "1k", "", "")
	f.Add("max-size", "500", "max-file", "1")
	f.Add("max-size", "1.5GiB", "max-file", "0")
	f.Add("max-size", "-1", "", "")
	f.Add("mode", "non-blocking", "", "")
	f.Add("max-file", "3", "", "")
	f.Add("max-size", "abc", "", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		opts := map[string]string{k1: v1}
		if k2 != "" {
			opts[k2] = v2
		}
		wo, err := ParseOpts(opts)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("error not classified: %v", err)
			}
			return
		}
		if wo.MaxSize < 0 || wo.MaxFiles < 1 || (wo.MaxFiles > 1 && wo.MaxSize == 0) {
			t.Fatalf("invalid options accepted: %+v from %v", wo, opts)
		}
	})
}

func TestParseOpts(t *testing.T) {
	tests := []struct {
		in   map[string]string
		want WriterOptions
		bad  bool
	}{
		{map[string]string{}, WriterOptions{DefaultMaxSize, DefaultMaxFiles}, false},
		{nil, WriterOptions{10 << 20, 3}, false},
		{map[string]string{"max-file": "1"}, WriterOptions{DefaultMaxSize, 1}, false},
		{map[string]string{"max-file": "5"}, WriterOptions{DefaultMaxSize, 5}, false},
		{map[string]string{"max-size": "-1", "max-file": "1"}, WriterOptions{0, 1}, false},
		{map[string]string{"max-size": "10m", "max-file": "3"}, WriterOptions{10 << 20, 3}, false},
		{map[string]string{"max-size": "1k"}, WriterOptions{1024, 1}, false},
		{map[string]string{"max-size": "500"}, WriterOptions{500, 1}, false},
		{map[string]string{"max-size": "2g"}, WriterOptions{2 << 30, 1}, false},
		{map[string]string{"max-size": "10MB"}, WriterOptions{10 << 20, 1}, false},
		{map[string]string{"max-size": "-1"}, WriterOptions{0, 1}, false},
		{map[string]string{"max-size": "1x"}, WriterOptions{}, true},
		{map[string]string{"max-size": "1e3"}, WriterOptions{}, true},
		{map[string]string{"max-size": "1m", "max-file": "0"}, WriterOptions{}, true},
		{map[string]string{"max-size": "-1", "max-file": "2"}, WriterOptions{}, true},
		{map[string]string{"compress": "true"}, WriterOptions{}, true},
	}
	for _, tt := range tests {
		got, err := ParseOpts(tt.in)
		if tt.bad {
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("%v: want invalid argument, got %v", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%v: got %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

var bigLog struct {
	once sync.Once
	path string
	err  error
}

// millionLineLog builds a 1,000,000-line log once per test binary run.
func millionLineLog(b *testing.B) string {
	bigLog.once.Do(func() {
		dir, err := os.MkdirTemp("", "logfile-bench")
		if err != nil {
			bigLog.err = err
			return
		}
		bigLog.path = filepath.Join(dir, "big.log")
		var buf []byte
		now := time.Now()
		for i := 0; i < 1_000_000; i++ {
			buf = appendEntry(buf, "stdout", fmt.Appendf(nil, "line number %d of the big log\n", i), now)
		}
		bigLog.err = os.WriteFile(bigLog.path, buf, 0o600)
	})
	if bigLog.err != nil {
		b.Fatal(bigLog.err)
	}
	return bigLog.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bigLog.path != "" {
		os.RemoveAll(filepath.Dir(bigLog.path))
	}
	os.Exit(code)
}

func BenchmarkTail100Of1M(b *testing.B) {
	path := millionLineLog(b)
	b.ResetTimer()
	for b.Loop() {
		ch, errc := Read(context.Background(), path, ReadOptions{Tail: 100})
		n := 0
		for range ch {
			n++
		}
		for err := range errc {
			b.Fatal(err)
		}
		if n != 100 {
			b.Fatalf("%d entries", n)
		}
	}
}

func BenchmarkWriterThroughput(b *testing.B) {
	w, err := NewWriter(filepath.Join(b.TempDir(), "c.log"), WriterOptions{MaxSize: 10 << 20, MaxFiles: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	chunk := bytes.Repeat([]byte("some typical log output of eighty characters, give or take a few bytes\n"), 100)
	out := w.Stream("stdout")
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		if _, err := out.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
}
