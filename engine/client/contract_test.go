package client_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"berth/engine/api"
	"berth/engine/api/apitest"
	"berth/engine/client"
	"berth/engine/server"
)

func TestMain(m *testing.M) { apitest.Main(m) }

// serve runs engine/server over an in-process engine on a unix socket in a
// temporary directory and returns a client of it; all of it ends with t.
func serve(t *testing.T) *client.Client {
	t.Helper()
	eng := apitest.OpenEngine(t)
	dir, err := os.MkdirTemp("", "berth-client-") // short: a socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(eng, server.Options{})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	c, err := client.New(context.Background(), "unix://"+sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestContract runs the API's contract against the client, through the
// server, over the in-process engine.
func TestContract(t *testing.T) {
	apitest.Run(t, func(t *testing.T) api.Engine { return serve(t) })
}
