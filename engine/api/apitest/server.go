package apitest

import (
	"os"
	"testing"
	"time"

	"berth/engine"
)

// serverCases are behaviours the server's handlers added to the API.
func serverCases() []Case {
	return []Case{
		{"wait-for-stop-with", func(t *testing.T, s *Suite) {
			c := s.create(t, "true")
			code, err := s.WaitFor(ctx(t), c.ID, engine.WaitNotRunning)
			ok(t, "wait not-running for a created container", err)
			if code != 0 {
				t.Fatalf("wait not-running for a created container: %d, want 0", code)
			}
			r := s.started(t, "sleep", "300")
			grace := time.Minute
			ok(t, "stop -s KILL", s.Stop(ctx(t), r.ID, engine.StopOptions{Signal: "KILL", Timeout: &grace}))
			if code, err := s.WaitFor(ctx(t), r.ID, engine.WaitNotRunning); err != nil || code != 137 {
				t.Fatalf("wait after stop -s KILL: %d, %v: want 137", code, err)
			}
			_, err = s.WaitFor(ctx(t), r.ID, "sometime")
			wantClass(t, "wait for an unknown condition", err, invalidArgument)
		}},
		{"stat-path", func(t *testing.T, s *Suite) {
			c := s.create(t, "true")
			st, err := s.StatPath(ctx(t), c.ID, "/etc/passwd")
			ok(t, "stat /etc/passwd", err)
			if st.Name != "passwd" || st.Size == 0 || !st.Mode.IsRegular() || st.Mtime.IsZero() {
				t.Fatalf("stat /etc/passwd: %+v", st)
			}
			dir, err := s.StatPath(ctx(t), c.ID, "/etc")
			ok(t, "stat /etc", err)
			if dir.Mode&os.ModeDir == 0 {
				t.Fatalf("stat /etc: mode %v, want a directory", dir.Mode)
			}
			_, err = s.StatPath(ctx(t), c.ID, "/apitest-no-such-path")
			wantMissing(t, "stat a missing path", err, "/apitest-no-such-path")
		}},
	}
}
