package server

import (
	"bufio"
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"berth/engine"
	"berth/engine/api"
)

// waitEngine is an engine whose WaitFor blocks until its context ends and
// says so; everything else of the API is nil (not called).
type waitEngine struct {
	api.Engine
	ended chan struct{}
}

func (e *waitEngine) Inspect(context.Context, string) (*engine.Container, error) {
	return &engine.Container{ID: strings.Repeat("a", 64), Name: "/w"}, nil
}

func (e *waitEngine) WaitFor(ctx context.Context, _ string, _ engine.WaitCondition) (int, error) {
	<-ctx.Done()
	close(e.ended)
	return -1, ctx.Err()
}

// TestWaitEndsWithTheClient: a wait whose client hangs up ends its engine
// wait (no goroutine is left waiting for an exit nobody will read).
func TestWaitEndsWithTheClient(t *testing.T) {
	eng := &waitEngine{ended: make(chan struct{})}
	srv := New(eng, Options{})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("POST /v1.50/containers/w/wait?condition=next-exit HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("status before the exit: %q %v", status, err)
	}
	conn.Close()
	select {
	case <-eng.ended:
	case <-time.After(time.Minute):
		t.Fatal("the engine's wait did not end when the client hung up")
	}
}
