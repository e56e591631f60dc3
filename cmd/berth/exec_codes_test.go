package main

import (
	"strings"
	"testing"
)

// TestExecFailureCodes checks what docker exec gives for a command that
// cannot run: 126 for a missing one as for one that is not executable (a
// directory), as dockerd 20.10, each with one sentence that says it once.
func TestExecFailureCodes(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "ex", "busybox", "sleep", "1000")
	defer c.ok("rm", "-f", "ex")
	for _, tc := range []struct {
		cmd  string
		code int
		text string
	}{
		{"nosuchcmd", 126, `exec: "nosuchcmd": executable file not found in $PATH`},
		{"/etc", 126, `exec: "/etc": is a directory`},
	} {
		_, errOut, code := c.run("", "exec", "ex", tc.cmd)
		if code != tc.code || !strings.Contains(errOut, tc.text) {
			t.Errorf("exec %s: exit %d, %q; want %d and %q", tc.cmd, code, errOut, tc.code, tc.text)
		}
		if strings.Count(errOut, "executable file not found") > 1 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("exec %s: the error is not one sentence said once: %q", tc.cmd, errOut)
		}
	}
}
