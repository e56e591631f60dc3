package netmgr

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	// Threads that other tests of this package threw away end
	// asynchronously; any still there after a bounded while are theirs, not
	// this test's, and are left out of the verdict.
	before := waitThreadsBack(t, self.Ino)
	if len(before) > 0 {
		t.Logf("threads in other namespaces before the test: %v", before)
	}
	for i := range 100 {
		id := fmt.Sprintf("thr%d", i)
		e.ns(t, id)
		if err := e.m.DeleteNamespace(id); err != nil {
			t.Fatal(err)
		}
	}
	var left []string
	for _, a := range waitThreadsBack(t, self.Ino) {
		if !slices.Contains(before, a) {
			left = append(left, a)
		}
	}
	if len(left) > 0 {
		t.Errorf("threads left in other network namespaces: %v", left)
	}
}

// waitThreadsBack gives threads thrown away a bounded while to end and
// returns those still in another network namespace than ns.
func waitThreadsBack(t *testing.T, ns uint64) []string {
	t.Helper()
	away := threadsAway(t, ns)
	for i := 0; i < 50 && len(away) > 0; i++ {
		time.Sleep(100 * time.Millisecond)
		away = threadsAway(t, ns)
	}
	return away
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
