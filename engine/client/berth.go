package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/containerd/errdefs"
	moby "github.com/moby/moby/client"

	"berth/engine"
	"berth/engine/xray"
	"berth/images"
	"berth/images/audit"
	"berth/stats"
)

// berthCall asks `berth serve` for one of its own calls beside the Docker
// Engine API (engine/server's berthRoutes) and decodes the JSON answer into
// out. A server that is not berth's answers 404 for the path: that reads as
// "not available over the Docker Engine API", naming what.
func (c *Client) berthCall(ctx context.Context, method, path string, q url.Values, what string, out any) error {
	u := url.URL{Scheme: "http", Host: "berth", Path: "/v" + c.api.ClientVersion() + path, RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	res, err := c.raw.Do(req)
	if err != nil {
		return errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("%s: cannot reach the API server: %v", what, rootCause(err)))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if res.StatusCode != http.StatusOK {
		return berthError(res.StatusCode, body, what)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: the server's answer: %w", what, err)
	}
	return nil
}

// rawClient is an HTTP client over the API client's connections, for the
// calls moby's client has no method for (made once: the TUI polls some).
func rawClient(api *moby.Client) *http.Client {
	dial := api.Dialer()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) }}}
}

// berthError is the error of a berth call that did not answer 200: the
// server's message in the class of its status.
func berthError(code int, body []byte, what string) error {
	var m struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &m)
	if m.Message == "" {
		m.Message = http.StatusText(code)
	}
	switch code {
	case http.StatusNotFound:
		if m.Message == "page not found" || m.Message == http.StatusText(code) {
			return notImplemented(what) // not a berth serve
		}
		return errdefs.ErrNotFound.WithMessage(m.Message)
	case http.StatusConflict:
		return errdefs.ErrConflict.WithMessage(m.Message)
	case http.StatusBadRequest:
		return errdefs.ErrInvalidArgument.WithMessage(m.Message)
	case http.StatusNotImplemented:
		return errdefs.ErrNotImplemented.WithMessage(m.Message)
	}
	return errdefs.ErrUnknown.WithMessage(m.Message)
}

// XRay is berth's own look inside a container, read on the server's host.
func (c *Client) XRay(ctx context.Context, ref string) (xray.Report, error) {
	var rep xray.Report
	err := c.berthCall(ctx, http.MethodGet, "/berth/containers/"+url.PathEscape(strings.TrimPrefix(ref, "/"))+"/xray", nil, "the X-ray of a container", &rep)
	return rep, err
}

// HostUsage reads the server host's CPU and memory counters.
func (c *Client) HostUsage(ctx context.Context) (stats.HostSample, error) {
	var h stats.HostSample
	err := c.berthCall(ctx, http.MethodGet, "/berth/host", nil, "the host's CPU and memory counters", &h)
	return h, err
}

// Check is berth's consistency check of the server's data root.
func (c *Client) Check(ctx context.Context, repair bool) (*engine.CheckReport, error) {
	q := url.Values{}
	if repair {
		q.Set("repair", "1")
	}
	var rep engine.CheckReport
	if err := c.berthCall(ctx, http.MethodPost, "/berth/check", q, "the check of the engine's data root", &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// AuditImage is berth's audit of an image's pitfalls, made on the server.
func (c *Client) AuditImage(ctx context.Context, ref string) (*images.Image, []audit.Finding, error) {
	var res struct {
		Image    *images.Image   `json:"Image"`
		Findings []audit.Finding `json:"Findings"`
	}
	if err := c.berthCall(ctx, http.MethodGet, "/berth/image-audit", url.Values{"image": {ref}}, "the audit of an image", &res); err != nil {
		return nil, nil, err
	}
	return res.Image, res.Findings, nil
}

// CheckDockerfile checks a Dockerfile and its context on this side, where
// they are (a build sends them from the client, as docker build does).
func (c *Client) CheckDockerfile(src []byte, name, contextDir string) ([]audit.Finding, error) {
	return audit.Dockerfile(src, name, contextDir)
}
