package netmgr

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCreateNamespaceLeavesNoThread makes and deletes namespaces over and
// over: afterwards every thread of the process is back in its network
// namespace. A thread left in one (Go parks the main thread for good when a
// goroutine locked to it exits) keeps the deleted namespace, and the host end
// of every veth in it, alive for as long as the process runs.
func TestCreateNamespaceLeavesNoThread(t *testing.T) {
	e := newEnv(t)
	var self unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), &self); err != nil {
		t.Fatal(err)
	}
	if away := threadsAway(t, self.Ino); len(away) > 0 {
		t.Fatalf("threads in other namespaces before the test: %v", away)
	}
	for i := range 100 {
		id := fmt.Sprintf("thr%d", i)
		e.ns(t, id)
		if err := e.m.DeleteNamespace(id); err != nil {
			t.Fatal(err)
		}
	}
	// Threads thrown away end asynchronously: give them a bounded while.
	away := threadsAway(t, self.Ino)
	for i := 0; i < 50 && len(away) > 0; i++ {
		time.Sleep(100 * time.Millisecond)
		away = threadsAway(t, self.Ino)
	}
	if len(away) > 0 {
		t.Errorf("threads left in other network namespaces: %v", away)
	}
}

// threadsAway lists the threads of the process whose network namespace is
// not the one of inode ns, as "tid:net:[inode]".
func threadsAway(t *testing.T, ns uint64) []string {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var away []string
	for _, task := range tasks {
		p := filepath.Join("/proc/self/task", task.Name(), "ns", "net")
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			continue // the thread ended
		}
		if st.Ino != ns {
			link, _ := os.Readlink(p)
			away = append(away, task.Name()+":"+link)
		}
	}
	return away
}
