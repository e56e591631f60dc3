package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnvFileLongLines: a line longer than bufio.Scanner's 64 KiB reaches the
// container whole, with the lines after it; a variable too long for execve is
// refused before anything is made.
func TestEnvFileLongLines(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	long := strings.Repeat("v", 100<<10) // past 64 KiB, within Linux's 128 KiB per variable
	ok := filepath.Join(dir, "ok.env")
	if err := os.WriteFile(ok, []byte("FIRST=1\nLONG="+long+"\nAFTER=2\n# c\nLAST=tail  \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := c.ok("run", "--rm", "--env-file", ok, "busybox", "sh", "-c", `echo "${#LONG} $FIRST $AFTER [$LAST]"; [ "$LONG" = "$(printf 'v%.0s' $(seq 102400))" ] && echo same`)
	if want := "102400 1 2 [tail  ]\nsame\n"; out != want {
		t.Errorf("env from a file with a 100 KiB line: %q, want %q", out, want)
	}

	huge := filepath.Join(dir, "huge.env")
	if err := os.WriteFile(huge, []byte("FIRST=1\nHUGE="+strings.Repeat("h", 1<<20)+"\nAFTER=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := c.run("", "run", "--rm", "--env-file", huge, "busybox", "true")
	want := "berth: environment variable HUGE is 1048581 bytes long; Linux passes at most 131071 bytes for one variable\n"
	if code != 125 || errOut != want {
		t.Errorf("1 MiB variable: exit %d, stderr %q; want 125 and %q", code, errOut, want)
	}
	if ps := c.ok("ps", "-aq"); ps != "" {
		t.Errorf("a refused run left containers: %q", ps)
	}
}
