package server

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine/api"
	"berth/images"
)

// pullForever is an engine whose pull sends progress until its context
// ends.
type pullForever struct {
	api.Engine
	ended chan struct{}
}

func (p *pullForever) InspectImage(context.Context, string) (*images.Image, error) {
	return nil, errdefs.ErrNotFound.WithMessage("no such image")
}

func (p *pullForever) PullImage(ctx context.Context, ref string, o images.PullOptions) (*images.Image, error) {
	defer close(p.ended)
	for i := int64(0); ; i++ {
		select {
		case o.Progress <- images.Progress{ID: "0123456789ab", Status: "Downloading", Current: i, Total: 1 << 40}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// TestPullClientGone: a client that leaves mid-stream ends the pull and
// its handler (httptest's Close waits for the handler).
func TestPullClientGone(t *testing.T) {
	eng := &pullForever{ended: make(chan struct{})}
	srv := httptest.NewServer(New(eng, Options{}).Handler())
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1.47/images/create?fromImage=busybox&tag=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != `{"status":"Pulling from library/busybox","id":"1"}`+"\n" {
		t.Errorf("first message: %q %v", line, err)
	}
	cancel()
	resp.Body.Close()
	select {
	case <-eng.ended:
	case <-time.After(time.Minute): // a hang, not a speed check
		t.Fatal("the pull did not end when its client left")
	}
	srv.Close()
}
