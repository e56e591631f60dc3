package engine

import (
	"context"
	"fmt"
	"strings"
)

// defaultHostname is the hostname of a container created without one: the
// hostname (and domain name) of the container whose network namespace it
// joins, as Docker gives it, since that container's /etc/hosts names it;
// otherwise the container's short ID, with the domain name it was given.
func (e *Engine) defaultHostname(ctx context.Context, id, mode, domain string) (string, string, error) {
	ref, ok := strings.CutPrefix(mode, "container:")
	if !ok {
		return id[:12], domain, nil
	}
	other, err := e.Inspect(ctx, ref)
	if err != nil {
		return "", "", fmt.Errorf("network mode %s: %w", mode, err)
	}
	return other.Config.Hostname, other.Config.Domainname, nil
}
