package client

import (
	"testing"
	"time"
)

// TestTopProcesses reads both the table berth's serve answers for
// topColumns and a dockerd's default `ps -ef` table.
func TestTopProcesses(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		titles []string
		row    []string
		check  func(t *testing.T, pid, nspid, uid int, user, cmd string, cpu float64, rss uint64, cpuTime time.Duration, started time.Time)
	}{
		{"berth columns",
			[]string{"PID", "NSPID", "PPID", "UID", "USER", "%CPU", "RSS", "VSZ", "TIME", "ELAPSED", "STAT", "COMMAND"},
			[]string{"994", "1", "990", "1000", "app", "2.5", "740", "1300", "00:01:05", "01:02:03", "S", "sh -c while true; do sleep 1; done"},
			func(t *testing.T, pid, nspid, uid int, user, cmd string, cpu float64, rss uint64, cpuTime time.Duration, started time.Time) {
				if pid != 994 || nspid != 1 || uid != 1000 || user != "app" || cpu != 2.5 || rss != 740*1024 ||
					cpuTime != 65*time.Second || !started.Equal(now.Add(-(time.Hour + 2*time.Minute + 3*time.Second))) ||
					cmd != "sh -c while true; do sleep 1; done" {
					t.Fatalf("got pid %d nspid %d uid %d user %q cpu %v rss %d time %v started %v cmd %q", pid, nspid, uid, user, cpu, rss, cpuTime, started, cmd)
				}
			}},
		{"dockerd's ps -ef",
			[]string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
			[]string{"root", "4242", "4200", "3", "12:00", "?", "1-00:00:02", "sleep 1000"},
			func(t *testing.T, pid, nspid, uid int, user, cmd string, cpu float64, rss uint64, cpuTime time.Duration, started time.Time) {
				if pid != 4242 || nspid != 0 || user != "root" || cpu != 3 || rss != 0 || cpuTime != 24*time.Hour+2*time.Second ||
					!started.IsZero() || cmd != "sleep 1000" {
					t.Fatalf("got pid %d nspid %d user %q cpu %v rss %d time %v started %v cmd %q", pid, nspid, user, cpu, rss, cpuTime, started, cmd)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := topProcesses(tc.titles, [][]string{tc.row}, now)
			if len(ps) != 1 {
				t.Fatalf("got %d processes, want 1", len(ps))
			}
			p := ps[0]
			tc.check(t, p.PID, p.NSPID, p.UID, p.User, p.Command, p.CPUPercent, p.RSS, p.CPUTime, p.Started)
		})
	}
}
