package main

import (
	"strings"
	"testing"
)

// refusedAll runs each bad command line and checks that berth refuses it
// with one sentence containing want, and that nothing was created.
func refusedAll(t *testing.T, c *cli, cases map[string]string) {
	t.Helper()
	for line, want := range cases {
		_, errOut, code := c.run("", strings.Fields(line)...)
		if code != 125 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d %q, want 125 and %q", line, code, errOut, want)
		}
		checkOneSentence(t, errOut)
	}
	if out := c.ok("ps", "-aq"); out != "" {
		t.Errorf("bad input left containers: %q", out)
	}
}

// TestShmSize: --shm-size sizes the container's /dev/shm with docker's
// units, 64 MiB by default, and inspect shows it in HostConfig.ShmSize.
func TestShmSize(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct{ flag, kb, inspect string }{
		{"256m", "262144", "268435456"}, {"", "65536", "67108864"}, {"0", "65536", "67108864"}, {"1g", "1048576", "1073741824"},
	} {
		args := []string{"create"}
		if tc.flag != "" {
			args = append(args, "--shm-size", tc.flag)
		}
		id := strings.TrimSpace(c.ok(append(args, "busybox", "sh", "-c", "df -k /dev/shm | tail -1")...))
		if got := strings.TrimSpace(c.ok("inspect", "-f", "{{.HostConfig.ShmSize}}", id)); got != tc.inspect {
			t.Errorf("--shm-size %q: inspect ShmSize %s, want %s", tc.flag, got, tc.inspect)
		}
		out := c.ok("start", "-a", id)
		if f := strings.Fields(out); len(f) < 2 || f[1] != tc.kb {
			t.Errorf("--shm-size %q: df says %q, want %s 1K-blocks", tc.flag, out, tc.kb)
		}
		c.ok("rm", id)
	}
	refusedAll(t, c, map[string]string{
		"run --rm --shm-size x busybox true":   `invalid --shm-size "x"`,
		"run --rm --shm-size -1m busybox true": `invalid --shm-size "-1m"`,
		"create --shm-size 12q busybox true":   `invalid --shm-size "12q"`,
	})
}
