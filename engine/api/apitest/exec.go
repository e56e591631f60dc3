package apitest

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"berth/engine"
)

// execCases are exec instances: created, inspected, started once.
func execCases() []Case {
	return []Case{{"exec-instance", caseExecInstance}, {"exec-gives-stdin-back", caseExecGivesStdinBack}, {"commit-config", caseCommitConfig}}
}

// caseExecInstance: an instance is not started until ExecStart, which
// returns the process's exit code and output; inspect then shows the code;
// a second start is a conflict and a missing instance is not found.
func caseExecInstance(t *testing.T, s *Suite) {
	c := s.started(t, "sleep", "60")
	id, err := s.ExecCreate(ctx(t), c.ID, engine.ExecConfig{ExecOptions: engine.ExecOptions{Cmd: []string{"sh", "-c", "echo out; echo err >&2; exit 5"}},
		AttachStdout: true, AttachStderr: true})
	ok(t, "exec create", err)
	x, err := s.ExecInspect(ctx(t), id)
	ok(t, "exec inspect", err)
	if x.ID != id || x.ContainerID != c.ID || x.Started || x.Running || x.ExitCode != nil || strings.Join(x.Config.Cmd, " ") != "sh -c echo out; echo err >&2; exit 5" {
		t.Fatalf("created instance %+v", x)
	}
	var out, errOut bytes.Buffer
	code, err := s.ExecStart(ctx(t), id, engine.ExecStartOptions{}, engine.IO{Stdout: &out, Stderr: &errOut})
	ok(t, "exec start", err)
	if code != 5 || out.String() != "out\n" || errOut.String() != "err\n" {
		t.Fatalf("exec start: code %d out %q err %q", code, out.String(), errOut.String())
	}
	x, err = s.ExecInspect(ctx(t), id)
	ok(t, "exec inspect after", err)
	if x.Running || x.ExitCode == nil || *x.ExitCode != 5 {
		t.Fatalf("ended instance %+v", x)
	}
	_, err = s.ExecStart(ctx(t), id, engine.ExecStartOptions{}, engine.IO{})
	wantClass(t, "second start", err, conflict)
	_, err = s.ExecInspect(ctx(t), "apitest-no-such-exec")
	wantMissing(t, "inspect of a missing exec", err, "apitest-no-such-exec")
	_, err = s.ExecCreate(ctx(t), "apitest-no-such-container", engine.ExecConfig{ExecOptions: engine.ExecOptions{Cmd: []string{"true"}}})
	wantMissing(t, "exec in a missing container", err, "apitest-no-such-container")
}

// caseExecGivesStdinBack: once Exec returns, nothing reads the caller's
// stdin any more (a long-lived front end, the TUI, gets every keystroke
// back): a byte written after the exec ended is read by the caller.
func caseExecGivesStdinBack(t *testing.T, s *Suite) {
	c := s.started(t, "sleep", "60")
	r, w, err := os.Pipe()
	ok(t, "pipe", err)
	defer r.Close()
	defer w.Close()
	code, err := s.Exec(ctx(t), c.ID, engine.ExecOptions{Cmd: []string{"true"}, Interactive: true}, engine.IO{Stdin: r, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil || code != 0 {
		t.Fatalf("exec: %d %v", code, err)
	}
	w.Write([]byte("k"))
	r.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound against a hang only
	b := make([]byte, 1)
	if n, err := r.Read(b); n != 1 || b[0] != 'k' {
		t.Fatalf("the keystroke after the exec was taken (read %d %v): something still reads stdin", n, err)
	}
}

// caseCommitConfig: a commit's config is laid over the container's: its
// variables and labels add, its command replaces.
func caseCommitConfig(t *testing.T, s *Suite) {
	c := s.createWith(t, engine.CreateOptions{Name: s.Name("ctr"), Config: engine.Config{Image: "busybox", Cmd: []string{"true"}, Env: []string{"A=1"}}})
	ref := s.Name("img") + ":1"
	img, err := s.Commit(ctx(t), c.ID, engine.CommitOptions{Reference: ref,
		Config: &engine.Config{Cmd: []string{"echo", "x"}, Env: []string{"B=2"}, Labels: map[string]string{"apitest": "yes"}}})
	ok(t, "commit", err)
	t.Cleanup(func() { s.RemoveImage(context.Background(), img.ID, true) })
	env := strings.Join(img.Config.Config.Env, " ")
	if !strings.Contains(env, "A=1") || !strings.Contains(env, "B=2") || img.Config.Config.Labels["apitest"] != "yes" ||
		strings.Join(img.Config.Config.Cmd, " ") != "echo x" {
		t.Fatalf("committed config %+v", img.Config.Config)
	}
}
