package engine

import (
	"context"

	"berth/images"
)

// RegistryLogin checks credentials against a registry (server "" is Docker
// Hub) and saves nothing: the client keeps its credentials, as the docker
// CLI does after the daemon's POST /auth.
func (e *Engine) RegistryLogin(ctx context.Context, server, username, password string) error {
	if server == "" {
		server = "docker.io"
	}
	return images.CheckLogin(ctx, server, username, password)
}
