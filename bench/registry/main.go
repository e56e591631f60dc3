// Command registry is an in-memory OCI registry (go-containerregistry's
// pkg/registry) for bench/conformance.sh when Debian's docker-registry is not
// installed. It listens only on the loopback address it is given.
//
// Usage: registry 127.0.0.1:PORT
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("want one argument, a loopback HOST:PORT to listen on")
	}
	host, _, err := net.SplitHostPort(args[0])
	if err != nil {
		return fmt.Errorf("listen address %q: %w", args[0], err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not a loopback address", args[0])
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: time.Minute,
	}
	return srv.Serve(ln)
}
