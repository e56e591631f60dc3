package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"

	"berth/engine"
)

func TestRunKeysOnlyForATTYOrATerminal(t *testing.T) {
	pr, pw, _ := os.Pipe()
	defer pr.Close()
	defer pw.Close()
	keys := []byte{16, 17}
	for _, tc := range []struct {
		name       string
		o          Options
		wantKeys   bool
		wantStdin  bool
		wantStderr bool // stderr kept apart (no TTY)
	}{
		{"piped input, no TTY: data passes whole", Options{Stdin: true, DetachKeys: keys}, false, true, true},
		{"TTY", Options{TTY: true, Stdin: true, DetachKeys: keys}, true, true, false},
		{"no stdin", Options{DetachKeys: keys}, false, false, true},
	} {
		var errOut bytes.Buffer
		term := Terminal{In: pr, Out: &bytes.Buffer{}, Err: &errOut}
		_, err := Run(context.Background(), term, tc.o, func(ctx context.Context, k []byte, s engine.IO) (int, error) {
			if (k != nil) != tc.wantKeys || (s.Stdin != nil) != tc.wantStdin || (s.Stderr == &errOut) != tc.wantStderr {
				t.Errorf("%s: keys %v, stdin %v, stderr apart %v", tc.name, k, s.Stdin != nil, s.Stderr == &errOut)
			}
			return 0, nil
		})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestSignalsEndOrAreProxied(t *testing.T) {
	term := Terminal{In: nil, Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	// Without a proxy a signal ends the session: fn's context ends.
	_, err := Run(context.Background(), term, Options{}, func(ctx context.Context, _ []byte, _ engine.IO) (int, error) {
		unix.Kill(os.Getpid(), unix.SIGTERM)
		<-ctx.Done()
		return -1, ctx.Err()
	})
	var intr *Interrupted
	if !errors.As(err, &intr) || intr.Signal != unix.SIGTERM {
		t.Fatalf("SIGTERM without a proxy: %v", err)
	}
	// With one it goes to the container and the session goes on.
	got := make(chan unix.Signal, 1)
	o := Options{SigProxy: true, Signal: func(s unix.Signal) { got <- s }}
	code, err := Run(context.Background(), term, o, func(ctx context.Context, _ []byte, _ engine.IO) (int, error) {
		unix.Kill(os.Getpid(), unix.SIGUSR1)
		if s := <-got; s != unix.SIGUSR1 {
			t.Errorf("proxied %v", s)
		}
		return 7, ctx.Err()
	})
	if code != 7 || err != nil {
		t.Errorf("proxied session: %d, %v", code, err)
	}
}

func TestDetachFriendlyTerminal(t *testing.T) {
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer master.Close()
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	fd := int(slave.Fd())
	before, _ := unix.IoctlGetTermios(fd, unix.TCGETS)
	restore := detachFriendly(fd, []byte{3, 'x'}) // ctrl-c,x
	now, _ := unix.IoctlGetTermios(fd, unix.TCGETS)
	if now.Iflag&unix.IXON != 0 || now.Lflag&unix.ICANON == 0 || now.Lflag&unix.ECHOCTL != 0 {
		t.Errorf("flags: iflag %#x lflag %#x; want no IXON, ICANON kept, no ECHOCTL", now.Iflag, now.Lflag)
	}
	if now.Cc[unix.VEOL] != 'x' || now.Cc[unix.VINTR] != 0 {
		t.Errorf("VEOL %d VINTR %d: want the last key ending a line and ctrl-c no longer special", now.Cc[unix.VEOL], now.Cc[unix.VINTR])
	}
	restore()
	after, _ := unix.IoctlGetTermios(fd, unix.TCGETS)
	if *after != *before {
		t.Errorf("terminal not restored: %+v, want %+v", after, before)
	}
}
