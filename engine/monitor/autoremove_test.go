package monitor

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRemovalClaim checks the claim between waiters and the monitor: a
// waiter's hold keeps the monitor's exclusive lock off until it lets go, a
// monitor's exclusive lock refuses a later hold, and only a living owner
// counts.
func TestRemovalClaim(t *testing.T) {
	claim := filepath.Join(t.TempDir(), "autoremove")
	hold, ok := HoldRemoval(claim)
	if !ok {
		t.Fatal("no hold on a fresh claim")
	}
	second, ok := HoldRemoval(claim)
	if !ok {
		t.Fatal("a second waiter got no hold")
	}
	mon, err := os.OpenFile(claim, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	if lockWithin(mon, 20*time.Millisecond) {
		t.Fatal("the monitor took the claim while waiters held it")
	}
	if removalOwned(claim) {
		t.Error("owned before anyone owned it")
	}
	if err := OwnRemoval(claim); err != nil {
		t.Fatal(err)
	}
	hold.Close()
	second.Close()
	if !lockWithin(mon, time.Minute) {
		t.Fatal("the monitor did not get the claim once the waiters let go")
	}
	if !removalOwned(claim) {
		t.Error("a living owner (this process) does not count")
	}
	if _, ok := HoldRemoval(claim); ok {
		t.Error("a waiter got a hold after the monitor decided")
	}
	for _, owner := range []string{"999999999 1\n", "garbage\n", fmt.Sprintf("%d 1\n", os.Getpid())} {
		if err := os.WriteFile(OwnerPath(claim), []byte(owner), 0o600); err != nil {
			t.Fatal(err)
		}
		if removalOwned(claim) {
			t.Errorf("owner %q counts: the process is gone or another one", owner)
		}
	}
	if _, ok := HoldRemoval(filepath.Join(t.TempDir(), "gone", "autoremove")); ok {
		t.Error("a hold on a claim whose directory is gone")
	}
}
