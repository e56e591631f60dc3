package monitor

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAliveOfAZombie: a monitor killed but not yet reaped by its parent is a
// zombie, which runs no more: Alive says so, as it does of a running
// process, one that is gone and a pid reused by another process.
func TestAliveOfAZombie(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	st := State{MonitorPid: pid, MonitorStart: ProcStart(pid)}
	if !st.Alive() {
		t.Fatalf("running process %d: Alive is false", pid)
	}
	if reused := (State{MonitorPid: pid, MonitorStart: st.MonitorStart + 1}); reused.Alive() {
		t.Errorf("pid %d with another start time: Alive is true", pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Not waited for: the process stays a zombie until cmd.Wait reaps it.
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(stat), ") Z ") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st.Alive() {
		t.Errorf("zombie %d: Alive is true", pid)
	}
	cmd.Wait()
	if st.Alive() {
		t.Errorf("reaped process %d: Alive is true", pid)
	}
}
