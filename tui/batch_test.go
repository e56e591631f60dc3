package tui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Each item of a batch has a deadline of its own: two items that use up
// theirs fail, and the items after them still get a full one.
func TestBatchItemsHaveTheirOwnDeadline(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}
	labels := []string{"web", "db", "c", "d", "e", "f", "g", "h", "i"}
	cmd := doBatch(context.Background(), "stop", ids, labels, batchRun{300 * time.Millisecond, actionParallel}, func(ctx context.Context, id string) error {
		if id == "a" || id == "b" {
			<-ctx.Done() // a container that does not stop in time
		}
		return ctx.Err()
	})
	msg := cmd().(actionMsg)
	if msg.err == nil {
		t.Fatal("no error for the two items that timed out")
	}
	got := msg.err.Error()
	want := "stop failed for 2 of 9: "
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "web: context deadline exceeded") ||
		!strings.Contains(got, "db: context deadline exceeded") || strings.Count(got, "deadline") != 2 {
		t.Errorf("error %q, want %q naming web and db only", got, want)
	}
	if !errors.Is(msg.err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap the deadline", msg.err)
	}
}

// A batch works on actionParallel items at once, never more.
func TestBatchRunsBoundedInParallel(t *testing.T) {
	var cur, peak, entered atomic.Int32
	gate := make(chan struct{})
	var once sync.Once
	ids := make([]string, 3*actionParallel)
	for i := range ids {
		ids[i] = string(rune('a' + i))
	}
	cmd := doBatch(context.Background(), "start", ids, ids, batchRun{10 * time.Second, actionParallel}, func(ctx context.Context, id string) error {
		n := cur.Add(1)
		defer cur.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if entered.Add(1) == actionParallel {
			once.Do(func() { close(gate) })
		}
		select {
		case <-gate: // the first actionParallel items wait for each other
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if msg := cmd().(actionMsg); msg.err != nil {
		t.Fatal(msg.err)
	}
	if p := peak.Load(); p != actionParallel {
		t.Errorf("at most %d items ran at once, want %d", p, actionParallel)
	}
}

// One failure of one item names the verb and the item.
func TestBatchSingleFailure(t *testing.T) {
	cmd := doBatch(context.Background(), "kill", []string{"x", "y"}, []string{"web", "db"}, batchRun{time.Minute, actionParallel}, func(ctx context.Context, id string) error {
		if id == "y" {
			return errors.New("container db is not running")
		}
		return nil
	})
	if got := cmd().(actionMsg).err; got == nil || got.Error() != "kill failed for 1 of 2: db: container db is not running" {
		t.Errorf("error %v", got)
	}
	one := doBatch(context.Background(), "kill", []string{"y"}, []string{"db"}, batchRun{time.Minute, 1}, func(context.Context, string) error {
		return errors.New("container db is not running")
	})
	if got := one().(actionMsg).err; got == nil || got.Error() != "kill db: container db is not running" {
		t.Errorf("error %v", got)
	}
}

// A batch of one at a time (images, networks, volumes) goes in order.
func TestBatchOneAtATimeKeepsOrder(t *testing.T) {
	var mu sync.Mutex
	var order []string
	ids := []string{"a", "b", "c", "d", "e", "f"}
	cmd := doBatch(context.Background(), "rmi", ids, ids, batchRun{time.Minute, 1}, func(ctx context.Context, id string) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, id)
		return nil
	})
	if msg := cmd().(actionMsg); msg.err != nil {
		t.Fatal(msg.err)
	}
	if strings.Join(order, "") != "abcdef" {
		t.Errorf("order %q, want abcdef", order)
	}
}
