package engine

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/containerd/errdefs"
)

// parseLink splits one of Docker's legacy links, "name", "name:alias" or the
// inspect form "/name:/container/alias", into the linked container's name
// and the alias it is known by (its name when none is given).
func parseLink(l string) (target, alias string, err error) {
	target, alias, _ = strings.Cut(l, ":")
	target = strings.TrimPrefix(target, "/")
	if alias == "" {
		alias = target
	}
	alias = path.Base(alias)
	if target == "" || alias == "" || alias == "/" || alias == "." || strings.ContainsAny(alias, " \t") {
		return "", "", errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid link %q: want name or name:alias", l))
	}
	return target, alias, nil
}

// validateLinks checks a new container's links: well formed, to containers
// that exist, on a network mode that has names to give (as Docker, links
// conflict with the host's or another container's network).
func (e *Engine) validateLinks(ctx context.Context, o *CreateOptions) error {
	links := o.HostConfig.Links
	if len(links) == 0 {
		return nil
	}
	mode := o.HostConfig.NetworkMode
	switch {
	case mode == modeHost, mode == modeNone:
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("conflicting options: %s type networking can't be used with links", mode))
	case strings.HasPrefix(mode, "container:"):
		return errdefs.ErrInvalidArgument.WithMessage("conflicting options: container type network can't be used with links")
	}
	for _, l := range links {
		target, _, err := parseLink(l)
		if err != nil {
			return err
		}
		if _, err := e.Inspect(ctx, target); errdefs.IsNotFound(err) {
			// Not a 404: docker run reads a 404 from create as a missing image.
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("cannot link to %s: no such container", target))
		} else if err != nil {
			return fmt.Errorf("cannot link to %s: %w", target, err)
		}
	}
	return nil
}

// linkHosts are the /etc/hosts lines of c's links: each alias, with the
// linked container's name and short ID, at its address on a network c is on
// (c's primary network first). A linked container must be running and share
// a network with c, as Docker requires.
func (e *Engine) linkHosts(ctx context.Context, c *Container, rec *record, primary string) (string, error) {
	var b strings.Builder
	for _, l := range c.HostConfig.Links {
		target, alias, err := parseLink(l)
		if err != nil {
			return "", err
		}
		t, err := e.Inspect(ctx, target)
		if err != nil {
			return "", fmt.Errorf("cannot link to %s: %w", target, err)
		}
		if !t.State.Running {
			return "", errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot link to a non-running container: %s as %s", target, alias))
		}
		eps, err := e.nets.Endpoints(ctx, t.ID)
		if err != nil {
			return "", err
		}
		ip := ""
		for _, ep := range eps {
			if _, on := rec.Networks[ep.NetworkName]; on && (ip == "" || ep.NetworkName == primary) {
				ip = ep.IP.String()
			}
		}
		if ip == "" {
			return "", errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot link to %s: it is on no network of this container", target))
		}
		fmt.Fprintf(&b, "%s\t%s %s %s\n", ip, alias, t.ID[:12], strings.TrimPrefix(t.Name, "/"))
	}
	return b.String(), nil
}
