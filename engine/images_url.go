package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/containerd/errdefs"

	"berth/images"
)

// ImportImageURL is ImportImage of the filesystem tar at an http(s) URL,
// fetched by the engine (on its host, as dockerd fetches `docker import
// URL`).
func (e *Engine) ImportImageURL(ctx context.Context, src, ref string, changes ...string) (*images.Image, error) {
	return e.ImportImageURLWith(ctx, src, images.ImportOptions{Ref: ref, Changes: changes})
}

// ImportImageURLWith is ImportImageURL with a commit message; without one
// the image's comment is dockerd's "Imported from URL".
func (e *Engine) ImportImageURLWith(ctx context.Context, src string, o images.ImportOptions) (*images.Image, error) {
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("import source %q is not an http or https URL", src))
	}
	if err := e.CheckSpace(); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("import source %q: %v", src, err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, errdefs.ErrUnavailable.WithMessage(fmt.Sprintf("fetch %s: %v", src, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("fetch %s: the server answered %s", src, resp.Status))
	}
	if o.Message == "" {
		o.Message = "Imported from " + src
	}
	return e.images.ImportWith(ctx, resp.Body, o)
}
