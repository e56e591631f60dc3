package server

import (
	"github.com/containerd/errdefs"
)

// missingOnCreate turns a create's not-found error about something other
// than its image (a network, the container of --volumes-from or --network
// container:) into a 400 with the same words: the docker CLI and docker-py
// take any 404 from a create for a missing image and pull it, which would
// fetch an image the engine has and then fail the same way.
func missingOnCreate(err error) error {
	if !errdefs.IsNotFound(err) {
		return err
	}
	return errdefs.ErrInvalidArgument.WithMessage(err.Error())
}
