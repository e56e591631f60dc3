package monitor

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// recorder notes the lines each stream writes, in the order written.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) stream(name string) *streamRec { return &streamRec{r, name} }

type streamRec struct {
	r    *recorder
	name string
}

func (s *streamRec) Write(p []byte) (int, error) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, l := range strings.SplitAfter(string(p), "\n") {
		if l != "" {
			s.r.lines = append(s.r.lines, s.name+":"+strings.TrimSuffix(l, "\n"))
		}
	}
	return len(p), nil
}

// pipes makes a stdout and a stderr packet pipe.
func pipes(t *testing.T) (outR, outW, errR, errW *os.File) {
	t.Helper()
	outR, outW, err := newPacketPipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err = newPacketPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, f := range []*os.File{outR, outW, errR, errW} {
			f.Close()
		}
	})
	return outR, outW, errR, errW
}

// writeInTurn runs a shell that writes n lines to stdout and stderr in turn.
func writeInTurn(t *testing.T, n int, outW, errW *os.File) {
	t.Helper()
	cmd := exec.Command("sh", "-c", fmt.Sprintf("i=0; while [ $i -lt %d ]; do echo $i; echo $i >&2; i=$((i+1)); done", n))
	cmd.Stdout, cmd.Stderr = outW, errW
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	errW.Close()
}

func inTurn(n int) []string {
	var want []string
	for i := 0; i < n; i++ {
		want = append(want, fmt.Sprintf("out:%d", i), fmt.Sprintf("err:%d", i))
	}
	return want
}

func TestCopierKeepsTheOrderOfWrites(t *testing.T) {
	outR, outW, errR, errW := pipes(t)
	cp := newCopier(outR, errR, nil, nil)
	defer cp.close()
	var rec recorder
	done := cp.run(rec.stream("out"), rec.stream("err"))
	writeInTurn(t, 500, outW, errW)
	<-done
	if got, want := strings.Join(rec.lines, " "), strings.Join(inTurn(500), " "); got != want {
		t.Errorf("copied\n%s\nwant\n%s", got, want)
	}
}

// What one copier read and was told of goes, through a hand-over, to the
// next one first.
func TestCopierHandsOverWhatItHolds(t *testing.T) {
	outR, outW, errR, errW := pipes(t)
	first := newCopier(outR, errR, nil, nil)
	writeInTurn(t, 300, outW, errW)
	queued, order, _ := first.handoff(false)
	first.close()
	f, err := queueFile(queued)
	if err != nil {
		t.Fatal(err)
	}
	back, err := readQueueFile(f)
	if err != nil {
		t.Fatal(err)
	}
	next := newCopier(outR, errR, back, decodeOrder(encodeOrder(order)))
	defer next.close()
	var rec recorder
	<-next.run(rec.stream("out"), rec.stream("err"))
	if got, want := strings.Join(rec.lines, " "), strings.Join(inTurn(300), " "); got != want {
		t.Errorf("copied\n%s\nwant\n%s", got, want)
	}
}

// A stream's signals beyond what its pipe can hold announce no write of
// their own (a writer that found the pipe full is signalled twice).
func TestTakeSkipsSignalsBeyondThePipesCapacity(t *testing.T) {
	outR, outW, errR, errW := pipes(t)
	c := makeCopier(outR, errR, nil, nil)
	defer unix.Close(c.kick)
	c.slots = [2]int{2, 2}
	for _, w := range []struct {
		f *os.File
		s string
	}{{outW, "o1\n"}, {errW, "e1\n"}, {outW, "o2\n"}, {errW, "e2\n"}, {outW, "o3\n"}} {
		if _, err := w.f.Write([]byte(w.s)); err != nil {
			t.Fatal(err)
		}
	}
	// o3 came after the batch; its third stdout signal is an extra one.
	c.take([]int{streamOut, streamErr, streamOut, streamErr, streamOut}, make([]byte, 64<<10))
	var got bytes.Buffer
	for _, ch := range c.queue {
		got.Write(ch.data)
	}
	if got.String() != "o1\ne1\no2\ne2\n" {
		t.Errorf("took %q", got.String())
	}
}

func TestCommandFailure(t *testing.T) {
	for _, tc := range []struct {
		msg, cmd string
		code     int
		text     string
		ok       bool
	}{
		{`unable to start container process: error during container init: exec: "nosuch": executable file not found in $PATH`,
			"nosuch", ExitNotFound, `exec: "nosuch": executable file not found in $PATH`, true},
		{`unable to start container process: exec: "/p/missing": stat /p/missing: no such file or directory`,
			"/p/missing", ExitNotFound, `exec: "/p/missing": no such file or directory`, true},
		{`exec: "/etc/passwd": permission denied`, "/etc/passwd", ExitNotExecutable, `exec: "/etc/passwd": permission denied`, true},
		{`exec: "/etc": is a directory`, "/etc", ExitNotExecutable, `exec: "/etc": is a directory`, true},
		{`exec: "/bin/sh/x": stat /bin/sh/x: not a directory`, "/bin/sh/x", ExitNotFound, `exec: "/bin/sh/x": not a directory`, true},
		// Another command's failure, or another failure, is not the command's.
		{`exec: "other": executable file not found in $PATH`, "sh", ExitStartFailed, "", false},
		{`mount /x: no such file or directory`, "sh", ExitStartFailed, "", false},
		{"", "", ExitStartFailed, "", false},
	} {
		code, text, ok := CommandFailure(tc.msg, tc.cmd)
		if code != tc.code || text != tc.text || ok != tc.ok {
			t.Errorf("CommandFailure(%q, %q) = %d %q %v, want %d %q %v", tc.msg, tc.cmd, code, text, ok, tc.code, tc.text, tc.ok)
		}
	}
}

func FuzzReadQueueFile(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 3, 'a', 'b', '\n', 1, 0, 0, 0, 1, 'c'})
	f.Add([]byte{2, 0, 0, 0, 0})
	f.Add([]byte{0, 255, 255, 255, 255, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		fd, err := unix.MemfdCreate("fuzz", unix.MFD_CLOEXEC)
		if err != nil {
			t.Skip(err)
		}
		mf := os.NewFile(uintptr(fd), "fuzz")
		mf.Write(b)
		mf.Seek(0, 0)
		q, err := readQueueFile(mf)
		if err != nil {
			return
		}
		again, err := queueFile(q) // what was read writes back the same
		if err != nil {
			t.Fatal(err)
		}
		q2, err := readQueueFile(again)
		if err != nil || len(q2) != len(q) {
			t.Fatalf("round trip: %v, %d chunks of %d", err, len(q2), len(q))
		}
		for i := range q {
			if q[i].stream != q2[i].stream || !bytes.Equal(q[i].data, q2[i].data) {
				t.Fatalf("chunk %d differs", i)
			}
		}
	})
}

func FuzzDecodeOrder(f *testing.F) {
	for _, s := range []string{"", "oe", "ooee", "x", "oxe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		order := decodeOrder(s)
		for _, st := range order {
			if st != streamOut && st != streamErr {
				t.Fatalf("stream %d", st)
			}
		}
		if back := decodeOrder(encodeOrder(order)); len(back) != len(order) {
			t.Fatalf("round trip of %q", s)
		}
	})
}
