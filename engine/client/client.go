// Package client is the second implementation of the engine's API
// (engine/api): an api.Engine that drives a Docker Engine API server —
// `berth serve`, or any dockerd — through moby's client. Wire shapes are
// mapped back to the engine's types and HTTP statuses back to their errdefs
// classes, so a front end sees the same results and errors as from the
// in-process engine. Methods that only berth's engine can answer (X-ray,
// checks, host figures, audits) return errdefs.ErrNotImplemented.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"

	"github.com/containerd/errdefs"
	moby "github.com/moby/moby/client"

	"berth/engine/api"
)

// Client is an api.Engine over the Docker Engine API.
type Client struct {
	api *moby.Client
	// raw makes berth's own calls and reads whole exec inspects.
	raw *http.Client
	// pending are the containers whose start waits for an attach (see
	// Start's WaitAttach), by ID.
	pending sync.Map
	// warnings are the server's, read when the client connected.
	warnings []string
}

// The client implements the whole API.
var _ api.Engine = (*Client)(nil)

// New connects to the Docker Engine API at host ("unix:///run/berth.sock",
// "tcp://host:port", or berth on another machine at
// "ssh://[user@]host[:port]", see NewSSH) and negotiates the API version
// with the server.
func New(ctx context.Context, host string) (*Client, error) {
	if host == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage("no API address given")
	}
	if strings.HasPrefix(host, "ssh://") {
		return NewSSH(ctx, host)
	}
	c, err := newClient(ctx, moby.WithHost(host))
	var cf connectFailed
	if errors.As(err, &cf) {
		return nil, errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("cannot reach the API at %s: %s", host, rootCause(cf.err)))
	}
	return c, err
}

// connectFailed is a connection to the server that could not be made.
type connectFailed struct{ err error }

func (c connectFailed) Error() string { return "cannot reach the API server: " + rootCause(c.err) }

func (c connectFailed) Unwrap() error { return errdefs.ErrUnavailable }

// rootCause is the innermost reason of a failed connection ("connection
// refused"), without the layers of wrapping around it.
func rootCause(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return "nothing answers there"
}

// NewDial is New over connections that dial makes (an ssh session running
// `berth system dial-stdio`, for one).
func NewDial(ctx context.Context, dial func(ctx context.Context) (net.Conn, error)) (*Client, error) {
	return newClient(ctx, moby.WithHost("unix:///berth.sock"), moby.WithDialContext(
		func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) }))
}

func newClient(ctx context.Context, opts ...moby.Opt) (*Client, error) {
	opts = append(opts, moby.WithAPIVersionNegotiation(), moby.WithUserAgent("berth-client"))
	c, err := moby.New(opts...)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("API client: %v", err))
	}
	if _, err := c.Ping(ctx, moby.PingOptions{NegotiateAPIVersion: true}); err != nil {
		c.Close()
		if moby.IsErrConnectionFailed(err) {
			return nil, connectFailed{err}
		}
		return nil, wire(err, "reach the API server")
	}
	cl := &Client{api: c, raw: rawClient(c)}
	if info, err := c.Info(ctx, moby.InfoOptions{}); err == nil {
		cl.warnings = info.Info.Warnings
	}
	return cl, nil
}

// APIVersion is the API version the client and server agreed on.
func (c *Client) APIVersion() string { return c.api.ClientVersion() }

// Close ends the client's idle connections.
func (c *Client) Close() error {
	c.raw.CloseIdleConnections()
	return c.api.Close()
}

// notImplemented is the answer of a berth-only method: what is missing.
func notImplemented(what string) error {
	return errdefs.ErrNotImplemented.WithMessage(what + " is not available over the Docker Engine API")
}

// wire turns an error of moby's client into the engine's: the server's
// message alone, in the errdefs class its HTTP status stands for (404 not
// found, 409 conflict, 400 invalid argument …); what says what was being
// done, for errors that are not the server's (a failed connection).
func wire(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := strings.TrimPrefix(err.Error(), "Error response from daemon: ")
	msg = strings.TrimPrefix(msg, "Error: ")
	for _, p := range []string{"No such container", "No such image"} { // dockerd's capitals, not the engine's
		if strings.HasPrefix(msg, p) {
			msg = "n" + msg[1:]
		}
	}
	for _, class := range []error{errdefs.ErrNotFound, errdefs.ErrConflict, errdefs.ErrAlreadyExists,
		errdefs.ErrInvalidArgument, errdefs.ErrNotModified, errdefs.ErrPermissionDenied,
		errdefs.ErrUnauthenticated, errdefs.ErrUnavailable, errdefs.ErrNotImplemented,
		errdefs.ErrFailedPrecondition, errdefs.ErrInternal} {
		if errors.Is(err, class) {
			return classed(class, msg)
		}
	}
	if moby.IsErrConnectionFailed(err) {
		return errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("%s: %s", what, msg))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// classed gives msg the class of err (an errdefs sentinel).
func classed(class error, msg string) error {
	type withMessage interface{ WithMessage(string) error }
	if c, ok := class.(withMessage); ok {
		return c.WithMessage(msg)
	}
	return fmt.Errorf("%s: %w", msg, class)
}

func invalidArgument(msg string) error { return errdefs.ErrInvalidArgument.WithMessage(msg) }

// convert copies src into dst through their JSON forms: the engine's types
// carry Docker's field names, so this maps wire shapes onto them.
func convert(dst, src any) error {
	b, err := json.Marshal(src)
	if err != nil {
		return fmt.Errorf("the server's answer could not be read: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("the server's answer could not be read: %w", err)
	}
	return nil
}
