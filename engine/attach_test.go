package engine_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
)

// lockedBuffer is a bytes.Buffer safe for one writer and one poller.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitOutput polls b until it holds want; the deadline only guards a hang.
func waitOutput(t *testing.T, b *lockedBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(b.String(), want) {
			return
		}
	}
	t.Fatalf("output never held %q: %q", want, b.String())
}

// assertInputReleased checks that nothing reads r any more: a line written
// to w comes back whole to a reader of our own.
func assertInputReleased(t *testing.T, r, w *os.File) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		buf := make([]byte, 1<<20)
		if !strings.Contains(string(buf[:runtime.Stack(buf, true)]), "berth/engine.(*input).run") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a goroutine still copies the session's stdin")
		}
	}
	if _, err := w.Write([]byte("mine\n")); err != nil {
		t.Fatal(err)
	}
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 16)
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "mine\n" {
		t.Fatalf("after the session, stdin read back %q, %v: a goroutine still reads it", buf[:n], err)
	}
}

type result struct {
	code int
	err  error
}

func TestAttachDetachKeysLeaveContainerAndStdin(t *testing.T) {
	e := newEngine(t)
	o := opts("sh", "-c", `while read l; do echo "line:$l"; done`)
	o.Config.OpenStdin = true
	startDetached(t, e, "reader", o)
	keys := []byte{16, 17}

	pr, pw, _ := os.Pipe()
	defer pr.Close()
	defer pw.Close()
	var out lockedBuffer
	done := make(chan result, 1)
	go func() {
		code, err := e.Attach(context.Background(), "reader", engine.AttachOptions{DetachKeys: keys}, engine.IO{Stdin: pr, Stdout: &out})
		done <- result{code, err}
	}()
	pw.Write([]byte("hello\n"))
	waitOutput(t, &out, "line:hello")
	pw.Write([]byte("part\x10ial\n")) // a broken sequence passes on
	waitOutput(t, &out, "line:part\x10ial")
	pw.Write(keys)
	if r := <-done; !errors.Is(r.err, engine.ErrDetached) {
		t.Fatalf("after the detach keys Attach returned %d, %v", r.code, r.err)
	}
	mustState(t, e, "reader", "running")
	assertInputReleased(t, pr, pw)

	// The container's stdin stayed open: a new client is heard; ending its
	// context detaches it too and frees its stdin.
	pr2, pw2, _ := os.Pipe()
	defer pr2.Close()
	defer pw2.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		code, err := e.Attach(ctx, "reader", engine.AttachOptions{DetachKeys: keys}, engine.IO{Stdin: pr2, Stdout: &out})
		done <- result{code, err}
	}()
	pw2.Write([]byte("again\n"))
	waitOutput(t, &out, "line:again")
	cancel()
	if r := <-done; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("after cancel Attach returned %d, %v", r.code, r.err)
	}
	mustState(t, e, "reader", "running")
	assertInputReleased(t, pr2, pw2)
}

func TestExecDetachKeysAndStdinReleased(t *testing.T) {
	e := newEngine(t)
	startDetached(t, e, "box", opts("sleep", "1000"))
	for _, tty := range []bool{false, true} {
		pr, pw, _ := os.Pipe()
		var out lockedBuffer
		done := make(chan result, 1)
		go func() {
			o := engine.ExecOptions{Cmd: []string{"cat"}, Interactive: true, Tty: tty, DetachKeys: []byte{1, 'x'}}
			code, err := e.Exec(context.Background(), "box", o, engine.IO{Stdin: pr, Stdout: &out, Stderr: &out})
			done <- result{code, err}
		}()
		pw.Write([]byte("typed\n"))
		waitOutput(t, &out, "typed")
		pw.Write([]byte{1, 'x'})
		if r := <-done; !errors.Is(r.err, engine.ErrDetached) {
			t.Fatalf("tty=%v: after the detach keys Exec returned %d, %v", tty, r.code, r.err)
		}
		assertInputReleased(t, pr, pw)
		pr.Close()
		pw.Close()
	}
}

func TestExecDetached(t *testing.T) {
	e := newEngine(t)
	startDetached(t, e, "box", opts("sleep", "1000"))
	o := engine.ExecOptions{Cmd: []string{"sh", "-c", "echo $$ > /tmp/bg.pid; exec sleep 1000"}, Detach: true}
	code, err := e.Exec(context.Background(), "box", o, engine.IO{})
	if err != nil || code != 0 {
		t.Fatalf("exec -d: %d, %v", code, err)
	}
	var pid string
	for deadline := time.Now().Add(30 * time.Second); pid == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		pid, _ = execOut(t, e, "box", "cat", "/tmp/bg.pid")
	}
	if pid == "" {
		t.Fatal("the detached process never ran")
	}
	if ps, _ := execOut(t, e, "box", "ps", "-o", "pid,args"); !strings.Contains(ps, strings.TrimSpace(pid)+" sleep 1000") {
		t.Errorf("detached process %s not running:\n%s", pid, ps)
	}
	o.Tty = true
	if _, err := e.Exec(context.Background(), "box", o, engine.IO{}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("exec -d -t: %v, want an invalid argument", err)
	}
}

// TestExecKilledBySignalExitsWith128PlusIt: an exec's process that a signal
// ends exits with 128 + its number, with a TTY, with piped input and with
// none, as in Docker (it read -1 before).
func TestExecKilledBySignalExitsWith128PlusIt(t *testing.T) {
	e := newEngine(t)
	startDetached(t, e, "box", opts("sleep", "1000"))
	for _, tc := range []struct {
		name string
		o    engine.ExecOptions
		io   engine.IO
		want int
	}{
		{"TERM", engine.ExecOptions{Cmd: []string{"sh", "-c", "kill -TERM $$; sleep 1"}}, engine.IO{}, 143},
		{"KILL", engine.ExecOptions{Cmd: []string{"sh", "-c", "kill -KILL $$"}}, engine.IO{}, 137},
		{"KILL with input", engine.ExecOptions{Cmd: []string{"sh", "-c", "kill -KILL $$"}, Interactive: true}, engine.IO{Stdin: strings.NewReader("")}, 137},
		{"TERM with a TTY", engine.ExecOptions{Cmd: []string{"sh", "-c", "kill -TERM $$; sleep 1"}, Tty: true}, engine.IO{}, 143},
	} {
		var out lockedBuffer
		tc.io.Stdout, tc.io.Stderr = &out, &out
		if code, err := e.Exec(context.Background(), "box", tc.o, tc.io); err != nil || code != tc.want {
			t.Errorf("%s: exit %d, %v; want %d", tc.name, code, err, tc.want)
		}
	}
}
