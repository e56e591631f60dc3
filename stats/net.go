package stats

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// readNet sums the interface counters of all non-loopback links in the
// network namespace at nsPath. A namespace path that no longer exists (the
// container's process is gone) reads as zero.
func readNet(nsPath string, s *Sample) error {
	h, err := netlinkHandleIn(nsPath)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
			return nil
		}
		return fmt.Errorf("open netlink in %s: %w", nsPath, err)
	}
	defer h.Close()
	links, err := h.LinkList()
	for try := 0; errors.Is(err, netlink.ErrDumpInterrupted) && try < 3; try++ {
		links, err = h.LinkList()
	}
	if err != nil {
		return fmt.Errorf("list links in %s: %w", nsPath, err)
	}
	for _, l := range links {
		a := l.Attrs()
		if a == nil || a.Flags&net.FlagLoopback != 0 || a.Statistics == nil {
			continue
		}
		s.NetRxBytes += a.Statistics.RxBytes
		s.NetTxBytes += a.Statistics.TxBytes
		s.NetRxPackets += a.Statistics.RxPackets
		s.NetTxPackets += a.Statistics.TxPackets
	}
	return nil
}

// netlinkHandleIn returns a route netlink handle whose socket lives in the
// network namespace at nsPath. The socket is made on a locked OS thread of a
// goroutine of its own that enters the namespace and returns; if it cannot
// return to its original namespace the goroutine exits still locked, so the
// runtime ends that thread and no thread is left in the wrong namespace.
func netlinkHandleIn(nsPath string) (*netlink.Handle, error) {
	target, err := netns.GetFromPath(nsPath)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	type result struct {
		h   *netlink.Handle
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("get current netns: %w", err)}
			return
		}
		defer orig.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("enter netns: %w", err)}
			return
		}
		h, herr := netlink.NewHandle(syscall.NETLINK_ROUTE)
		if err := netns.Set(orig); err != nil {
			if h != nil {
				h.Close()
			}
			ch <- result{err: fmt.Errorf("return to original netns: %w", err)}
			return // still locked: the runtime ends this thread
		}
		runtime.UnlockOSThread()
		ch <- result{h: h, err: herr}
	}()
	res := <-ch
	return res.h, res.err
}
