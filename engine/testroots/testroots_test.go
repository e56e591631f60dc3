package testroots

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestOwnerAlive(t *testing.T) {
	start, err := startTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mark  string
		alive bool
		bad   bool
	}{
		{mark: fmt.Sprintf("%d %d\n", os.Getpid(), start), alive: true},
		{mark: fmt.Sprintf("%d %d\n", os.Getpid(), start+1)}, // the PID reused by another process
		{mark: fmt.Sprintf("%d 1\n", dead.Process.Pid)},
		{mark: "garbage", bad: true},
		{mark: "0 5", bad: true},
	} {
		alive, err := ownerAlive([]byte(c.mark))
		if alive != c.alive || (err != nil) != c.bad {
			t.Errorf("%q: alive %v, %v; want %v (error: %v)", c.mark, alive, err, c.alive, c.bad)
		}
	}
}

func TestMarkNamesThisProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	if err := Mark(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, MarkName))
	if err != nil {
		t.Fatal(err)
	}
	if alive, err := ownerAlive(b); !alive || err != nil {
		t.Errorf("mark %q of this process: alive %v, %v", b, alive, err)
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{`/tmp/a\040b`: "/tmp/a b", "/plain": "/plain", `/x\134y`: `/x\y`, `/odd\04`: `/odd\04`} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}
