package apitest

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"berth/engine"
	"berth/engine/logfile"
)

func moreCases() []Case {
	return []Case{
		{"logs-follow", func(t *testing.T, s *Suite) {
			c := s.create(t, "sh", "-c", "echo a; echo b")
			ok(t, "start", s.Start(ctx(t), c.ID, engine.StartOptions{}))
			entries, errs, err := s.Logs(ctx(t), c.ID, logfile.ReadOptions{Tail: -1, Follow: true})
			ok(t, "logs -f", err)
			var got []string
			for e := range entries { // ends once the container has exited
				got = append(got, string(e.Line))
			}
			ok(t, "logs -f stream", <-errs)
			if strings.Join(got, "") != "a\nb\n" {
				t.Fatalf("logs -f: %q, want a and b", got)
			}
		}},
		{"exec-detach", func(t *testing.T, s *Suite) {
			c := s.started(t, "sleep", "300")
			code, err := s.Exec(ctx(t), c.ID, engine.ExecOptions{Cmd: []string{"sh", "-c", "echo made > /tmp/detached"},
				Detach: true}, engine.IO{})
			ok(t, "exec -d", err)
			if code != 0 {
				t.Fatalf("exec -d: code %d, want 0", code)
			}
		}},
		{"kill-signal", func(t *testing.T, s *Suite) {
			c := s.started(t, "sleep", "300")
			ok(t, "kill", s.Kill(ctx(t), c.ID, "KILL"))
			code, err := s.Wait(ctx(t), c.ID)
			ok(t, "wait", err)
			if code != 137 {
				t.Fatalf("wait after kill -s KILL: %d, want 137", code)
			}
		}},
		{"update-memory", func(t *testing.T, s *Suite) {
			c := s.create(t, "true")
			mem := int64(64 << 20)
			ok(t, "update", s.Update(ctx(t), c.ID, engine.UpdateOptions{Memory: &mem}))
			in, err := s.Inspect(ctx(t), c.ID)
			ok(t, "inspect", err)
			if in.HostConfig.Memory != mem {
				t.Fatalf("inspect after update -m 64m: Memory %d, want %d", in.HostConfig.Memory, mem)
			}
		}},
		{"copy-to-from", caseCopy},
		{"stats-stream", caseStatsStream},
		{"volume-in-use", func(t *testing.T, s *Suite) {
			name := s.Name("vol")
			_, err := s.CreateVolume(ctx(t), engine.VolumeCreateOptions{Name: name})
			ok(t, "create volume", err)
			c := s.createWith(t, engine.CreateOptions{Name: s.Name("ctr"), Config: engine.Config{Image: "busybox",
				Cmd: []string{"true"}}, HostConfig: engine.HostConfig{Mounts: []engine.MountSpec{
				{Type: "volume", Source: name, Target: "/data"}}}})
			wantClass(t, "remove a volume a container uses", s.RemoveVolume(ctx(t), name, false), conflict)
			ok(t, "remove the container", s.Remove(ctx(t), c.ID, engine.RemoveOptions{}))
			ok(t, "remove the volume", s.RemoveVolume(ctx(t), name, false))
		}},
	}
}

// caseCopy: a file copied in comes back out, with its stat.
func caseCopy(t *testing.T, s *Suite) {
	c := s.create(t, "true")
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	body := "copied by apitest\n"
	ok(t, "tar", tw.WriteHeader(&tar.Header{Name: "apitest.txt", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
	_, err := tw.Write([]byte(body))
	ok(t, "tar", err)
	ok(t, "tar", tw.Close())
	ok(t, "copy to", s.CopyTo(ctx(t), c.ID, "/tmp", &in))
	var out bytes.Buffer
	fi, err := s.CopyFrom(ctx(t), c.ID, "/tmp/apitest.txt", false, &out)
	ok(t, "copy from", err)
	if fi.Name() != "apitest.txt" || fi.Size() != int64(len(body)) || fi.IsDir() {
		t.Fatalf("copy from: stat %s %d dir=%v", fi.Name(), fi.Size(), fi.IsDir())
	}
	tr := tar.NewReader(&out)
	h, err := tr.Next()
	ok(t, "read the tar", err)
	got, err := io.ReadAll(tr)
	ok(t, "read the tar", err)
	if h.Name != "apitest.txt" || string(got) != body {
		t.Fatalf("copy from: %s %q, want apitest.txt %q", h.Name, got, body)
	}
	_, err = s.CopyFrom(ctx(t), c.ID, "/apitest-no-such-path", false, io.Discard)
	wantMissing(t, "copy from a missing path", err, "/apitest-no-such-path")
}

// caseStatsStream: a stream without refs follows the running containers,
// batch after batch, until its context ends.
func caseStatsStream(t *testing.T, s *Suite) {
	c := s.started(t, "sleep", "300")
	sctx, cancel := context.WithCancel(ctx(t))
	defer cancel()
	batches, errs, err := s.Stats(sctx, nil, engine.StatsOptions{Stream: true, Interval: 100 * time.Millisecond})
	ok(t, "stats", err)
	for i := 0; i < 2; i++ {
		b, open := <-batches
		if !open {
			t.Fatalf("stats stream ended after %d batches: %v", i, <-errs)
		}
		if !slices.ContainsFunc(b, func(e engine.StatsEntry) bool { return e.ID == c.ID && e.Running }) {
			t.Fatalf("stats batch %d: %+v: no running %s", i, b, c.Name)
		}
	}
	cancel()
	for range batches { // the stream ends with its context
	}
	if err := <-errs; err != nil {
		t.Fatalf("stats stream after cancel: %v", err)
	}
}
