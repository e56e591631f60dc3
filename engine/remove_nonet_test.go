package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine"
)

// A container without network state of its own (--network none) is removed
// without a look at the network manager's state: its removal does not wait
// for the manager's lock, which another container's network setup may hold.
func TestRemoveWithoutNetworkSkipsTheNetworkLock(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	o := opts("true")
	o.HostConfig.NetworkMode = "none"
	c, err := e.Create(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx, c.ID, engine.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(e.Root(), "run", "net", "netmgr.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true}) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // it would wait for ever
		t.Error("the removal of a --network none container waits for the network manager's lock")
		unix.Flock(int(lock.Fd()), unix.LOCK_UN)
		<-done
	}
}
