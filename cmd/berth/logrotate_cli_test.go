package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// logFiles returns a container's json-file log and its rotated files, with
// their sizes.
func (c *cli) logFiles(name string) map[string]int64 {
	c.t.Helper()
	p := strings.TrimSpace(c.ok("inspect", "--format", "{{.LogPath}}", name))
	matches, err := filepath.Glob(p + "*")
	if err != nil {
		c.t.Fatal(err)
	}
	files := map[string]int64{}
	for _, m := range matches {
		st, err := os.Stat(m)
		if err != nil {
			c.t.Fatal(err)
		}
		files[strings.TrimPrefix(m, p)] = st.Size()
	}
	return files
}

// numbers parses output of one integer a line.
func numbers(t *testing.T, out string) []int {
	t.Helper()
	var ns []int
	for _, f := range strings.Fields(out) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("log line %q is not a number", f)
		}
		ns = append(ns, n)
	}
	return ns
}

// consecutive reports whether ns counts up by one from ns[0] to last.
func consecutive(ns []int, last int) bool {
	for i, n := range ns {
		if n != ns[0]+i {
			return false
		}
	}
	return len(ns) > 0 && ns[len(ns)-1] == last
}

// TestLogsAcrossRotation: with --log-opt max-size/max-file the log rotates
// into that many files, and logs, --tail and --since read across them.
func TestLogsAcrossRotation(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "--name", "rot", "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "busybox", "seq", "1", "300")
	files := c.logFiles("rot")
	if len(files) != 3 || files[".1"] == 0 || files[".2"] == 0 {
		t.Fatalf("log files %v, want the log, .1 and .2", files)
	}
	for name, size := range files {
		if size > 1024 {
			t.Errorf("log file %q is %d bytes, over max-size 1k", name, size)
		}
	}
	all := numbers(t, c.ok("logs", "rot"))
	if !consecutive(all, 300) || all[0] == 1 || len(all) < 30 {
		t.Errorf("logs across 3 rotated files: %v", all)
	}
	if tail := numbers(t, c.ok("logs", "--tail", "30", "rot")); !consecutive(tail, 300) || len(tail) != 30 {
		t.Errorf("logs --tail 30: %v", tail)
	}
	stamped := strings.Split(strings.TrimSpace(c.ok("logs", "-t", "rot")), "\n")
	since, _, _ := strings.Cut(stamped[len(stamped)-25], " ")
	var want []string
	for _, l := range stamped {
		if ts, n, _ := strings.Cut(l, " "); ts >= since { // RFC 3339 with fixed-width nanoseconds sorts as text
			want = append(want, n)
		}
	}
	if got := strings.Fields(c.ok("logs", "--since", since, "rot")); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("logs --since %s = %v, want %v", since, got, want)
	}
}

// TestLogsFollowAcrossRotation: logs -f goes on reading after the file it
// follows is rotated away, until the container exits.
func TestLogsFollowAcrossRotation(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "slow", "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "busybox",
		"sh", "-c", "for i in $(seq 1 80); do echo $i; sleep 0.02; done")
	got := numbers(t, c.ok("logs", "-f", "slow"))
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("logs -f repeats or reorders lines: %v", got)
		}
	}
	perFile := 1024 / len(`{"log":"10\n","stream":"stdout","time":"2006-01-02T15:04:05.999999999Z"}`+"\n")
	if len(got) <= perFile || got[len(got)-1] != 80 {
		t.Errorf("logs -f ended after %v; want it to read on past a rotation (%d lines a file) to 80", got, perFile)
	}
}

// TestChattyContainerCannotFillDisk: with no --log-opt a container's log
// is bounded (3 files of 10 MiB), so a container printing more than the
// data root's filesystem holds leaves it usable.
func TestChattyContainerCannotFillDisk(t *testing.T) {
	c := newSmallCLI(t, 48<<20)
	// 40,000 lines of 1,000 bytes: about 43 MB of json-file log.
	c.ok("run", "-d", "--name", "chatty", "busybox", "sh", "-c", "yes $(printf %0999d 7) | head -n 40000; echo done")
	if got := c.ok("wait", "chatty"); got != "0\n" {
		t.Fatalf("wait: %q", got)
	}
	files := c.logFiles("chatty")
	var total int64
	for name, size := range files {
		total += size
		if size > 10<<20 {
			t.Errorf("log file %q is %d bytes, over the default 10 MiB", name, size)
		}
	}
	if len(files) != 3 || total < 20<<20 {
		t.Errorf("log files %v; want 3 files of the default rotation", files)
	}
	if got := c.ok("logs", "--tail", "1", "chatty"); got != "done\n" {
		t.Errorf("logs --tail 1: %q", got)
	}
	if c.free() < 8<<20 {
		t.Errorf("only %d bytes left free after a chatty container", c.free())
	}
	c.ok("run", "--rm", "busybox", "true")
}
