package engine

import "github.com/containerd/errdefs"

// missingIsBad turns a create's not-found error about something it names
// besides its image (a network, the container of --volumes-from, --link or
// --network container:) into a bad parameter with the same words, as
// dockerd answers --volumes-from of a missing container (400): the docker
// CLI and docker-py take any 404 from a create for a missing image and pull
// it. Only the image missing stays errdefs.ErrNotFound.
func missingIsBad(err error) error {
	if errdefs.IsNotFound(err) {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	return err
}
