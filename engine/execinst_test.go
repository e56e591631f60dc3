package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
)

// TestExecInstancesAcrossEngines: an exec instance created by one engine
// is started by a second engine on the same root (another berth process),
// and the first reads its exit code; a second start from either is a
// conflict; a terminal exec is resized from the engine that did not start
// it.
func TestExecInstancesAcrossEngines(t *testing.T) {
	ctx := context.Background()
	a := newEngine(t)
	b := openEngine(t, a.Root(), false)
	c := startDetached(t, a, "execx", engine.CreateOptions{Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "1000"}}})

	id, err := a.ExecCreate(ctx, "execx", engine.ExecConfig{ExecOptions: engine.ExecOptions{Cmd: []string{"sh", "-c", "echo hi; exit 4"}},
		AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	if x, err := b.ExecInspect(ctx, id[:12]); err != nil || x.Started || x.Running || x.ExitCode != nil || x.ContainerID != c.ID {
		t.Fatalf("inspect before start: %+v %v", x, err)
	}
	var out bytes.Buffer
	code, err := b.ExecStart(ctx, id, engine.ExecStartOptions{}, engine.IO{Stdout: &out, Stderr: &out})
	if err != nil || code != 4 || out.String() != "hi\n" {
		t.Fatalf("start: code %d err %v out %q", code, err, out.String())
	}
	x, err := a.ExecInspect(ctx, id)
	if err != nil || x.Running || !x.Started || x.ExitCode == nil || *x.ExitCode != 4 {
		t.Fatalf("inspect after: %+v %v", x, err)
	}
	for _, e := range []*engine.Engine{a, b} {
		if _, err := e.ExecStart(ctx, id, engine.ExecStartOptions{}, engine.IO{}); !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "has already run") {
			t.Errorf("second start: %v, want a conflict", err)
		}
	}
	if _, err := a.ExecInspect(ctx, "nope"); !errdefs.IsNotFound(err) || err.Error() != "No such exec instance: nope" {
		t.Errorf("missing instance: %v", err)
	}

	// A terminal exec started by b, resized through a.
	id, err = a.ExecCreate(ctx, c.ID, engine.ExecConfig{ExecOptions: engine.ExecOptions{Cmd: []string{"sh", "-c", "while read x; do stty size; done"},
		Tty: true, Interactive: true}, AttachStdout: true, ConsoleSize: &engine.WinSize{Width: 100, Height: 30}})
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	var tout lockedBuffer
	done := make(chan error, 1)
	go func() {
		_, err := b.ExecStart(ctx, id, engine.ExecStartOptions{}, engine.IO{Stdin: inR, Stdout: &tout})
		done <- err
	}()
	deadline := time.Now().Add(time.Minute)
	for a.ExecResize(ctx, id, engine.WinSize{Width: 111, Height: 33}) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the exec never ran for the other engine to resize it")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The size travels over the instance's socket: ask until the shell sees it.
	for !strings.Contains(tout.String(), "33 111") {
		if time.Now().After(deadline) {
			t.Fatalf("stty size printed %q, never 33 111", tout.String())
		}
		inW.Write([]byte("\n"))
		time.Sleep(50 * time.Millisecond)
	}
	inW.Write([]byte{4}) // ^D: the end of the terminal's input
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestExecInstanceOwnerGone: an instance whose watching process died is no
// longer running, and old instances are forgotten at the next create.
func TestExecInstanceOwnerGone(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	startDetached(t, e, "execgone", engine.CreateOptions{Config: engine.Config{Image: "busybox", Cmd: []string{"sleep", "1000"}}})
	id, err := e.ExecCreate(ctx, "execgone", engine.ExecConfig{ExecOptions: engine.ExecOptions{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.Root(), "run", "execs", id+".json")
	rewrite := func(f func(x *engine.ExecInstance)) {
		var x engine.ExecInstance
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(b, &x)
		f(&x)
		b, _ = json.Marshal(&x)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(func(x *engine.ExecInstance) { x.Started, x.Running, x.Owner = true, true, deadPID(t) })
	if x, err := e.ExecInspect(ctx, id); err != nil || x.Running || x.ExitCode != nil {
		t.Fatalf("an instance whose owner died: %+v %v", x, err)
	}
	rewrite(func(x *engine.ExecInstance) { x.Running, x.Ended = false, time.Now().Add(-time.Hour) })
	if _, err := e.ExecCreate(ctx, "execgone", engine.ExecConfig{ExecOptions: engine.ExecOptions{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ExecInspect(ctx, id); !errdefs.IsNotFound(err) {
		t.Fatalf("an instance that ended an hour ago is still kept: %v", err)
	}
}

// deadPID is the PID of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	p.Wait()
	return p.Pid
}
