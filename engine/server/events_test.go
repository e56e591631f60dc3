package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"berth/engine/api"
	"berth/engine/events"
)

// subscribeOnly is an engine whose Subscribe sends one event and then waits
// for the subscription's context to end, telling when it did.
type subscribeOnly struct {
	api.Engine
	ended chan struct{}
}

func (f *subscribeOnly) Subscribe(ctx context.Context, _ events.Filter) (<-chan events.Event, <-chan error) {
	out, errc := make(chan events.Event), make(chan error, 1)
	go func() {
		defer close(f.ended)
		defer close(errc)
		defer close(out)
		select {
		case out <- events.Event{Type: "container", Action: "start", ID: "c1", Time: time.Now()}:
		case <-ctx.Done():
			return
		}
		<-ctx.Done()
	}()
	return out, errc
}

// TestEventsClientGoes: a client that goes away mid-stream ends the
// subscription and the handler, so Close does not wait on it.
func TestEventsClientGoes(t *testing.T) {
	eng := &subscribeOnly{ended: make(chan struct{})}
	srv := New(eng, Options{})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/v1.50/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
	var m events.Message
	if err != nil || json.Unmarshal(line, &m) != nil || m.Action != "start" || m.Actor.ID != "c1" || m.Scope != "local" {
		t.Fatalf("first message %q: %v", line, err)
	}
	cancel()
	resp.Body.Close()
	select {
	case <-eng.ended:
	case <-time.After(time.Minute): // a bound for a hang, not a timing assertion
		t.Fatal("the subscription did not end when the client went away")
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(time.Minute):
		t.Fatal("Close waited on the events handler after its client went away")
	}
}
