package session

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// proxied are the signals forwarded with SigProxy (docker forwards all but
// the ones the Go runtime and the terminal need; these are those a user sends).
var proxied = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2}

// signals forwards or handles this process's signals for one session.
type signals struct {
	ch   chan os.Signal
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	got  unix.Signal // the signal that ended the session, if any
}

// newSignals starts handling: with a proxy (SigProxy, no TTY) every proxied
// signal goes to o.Signal; otherwise SIGINT, SIGQUIT (ctrl+\ would dump
// this process's goroutines) and SIGTERM end the session by calling end. SIGHUP is left alone then, so that a caller whose terminal is
// gone still dies as it would without a session.
func newSignals(o Options, end func()) *signals {
	s := &signals{ch: make(chan os.Signal, 8), done: make(chan struct{})}
	proxy := o.SigProxy && !o.TTY && o.Signal != nil
	if proxy {
		signal.Notify(s.ch, proxied...)
	} else {
		signal.Notify(s.ch, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case sig := <-s.ch:
				us, _ := sig.(unix.Signal)
				if proxy {
					o.Signal(us)
					continue
				}
				s.mu.Lock()
				if s.got == 0 {
					s.got = us
				}
				s.mu.Unlock()
				end()
			case <-s.done:
				return
			}
		}
	}()
	return s
}

func (s *signals) caught() unix.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

// stop ends the handling; the signals get their previous dispositions back.
func (s *signals) stop() {
	signal.Stop(s.ch)
	close(s.done)
	s.wg.Wait()
}
