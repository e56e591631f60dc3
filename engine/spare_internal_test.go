package engine

import (
	"testing"
	"time"
)

// An engine that keeps spares does not start the next spare when a start
// takes the idle one (its start-up would share the CPUs with that start's
// container creation), but once the start has its monitor's word
// (replaceSpare). The "monitor" here is /bin/true: only the bookkeeping is
// under test.
func TestTakeSpareLeavesTheReplacementToTheStartsEnd(t *testing.T) {
	e, err := New(Options{Root: t.TempDir(), MonitorPath: "/bin/true", InitPath: "/nonexistent"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	idle := func() bool {
		e.spares.mu.Lock()
		defer e.spares.mu.Unlock()
		return e.spares.idle != nil
	}
	e.KeepSpareMonitor(true)
	e.warmSpare(true)
	if !idle() {
		t.Fatal("no spare after warmSpare")
	}
	s := e.takeSpare()
	if s == nil {
		t.Fatal("takeSpare gave no spare")
	}
	<-s.exited
	s.sock.Close()
	time.Sleep(200 * time.Millisecond) // the replacement used to start in a goroutine of takeSpare
	if idle() {
		t.Fatal("takeSpare started the next spare before the start was through")
	}
	e.replaceSpare()
	for deadline := time.Now().Add(20 * time.Second); !idle(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("replaceSpare started no spare")
		}
	}
}
