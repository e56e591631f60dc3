package images

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

// TestPullUnreachableRegistry: a registry nobody answers for is one
// sentence naming its address and the reason, once (not once per scheme
// tried), and the pull leaves no image.
func TestPullUnreachableRegistry(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s := newStore(t)
	ref := addr + "/team/app:1"
	_, err = s.Pull(context.Background(), ref, PullOptions{})
	want := fmt.Sprintf("pull %s: cannot reach the registry at %s: connection refused", ref, addr)
	if err == nil || err.Error() != want {
		t.Fatalf("pull from a closed port: %v, want %q", err, want)
	}
	if imgs, _ := s.List(context.Background(), ListOptions{All: true}); len(imgs) != 0 {
		t.Errorf("images after a failed pull: %v", imgs)
	}
}

func TestUnreachableWords(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&net.DNSError{Name: "reg.invalid", Err: "no such host", IsNotFound: true}, "cannot reach the registry reg.invalid: no such host"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &timeoutErr{}}, "cannot reach the registry: the connection timed out"},
		{&net.OpError{Op: "read", Net: "tcp", Err: errors.New("reset")}, ""},
		{errors.New("http: server gave HTTP response to HTTPS client"), ""},
	} {
		got := unreachable(tc.err)
		if (got == nil) != (tc.want == "") || got != nil && got.Error() != tc.want {
			t.Errorf("%v: %v, want %q", tc.err, got, tc.want)
		}
		if got != nil && strings.Count(got.Error(), ": ") != 1 {
			t.Errorf("%v: %q is not one sentence", tc.err, got)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
