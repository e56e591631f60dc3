package images

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"syscall"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Progress is one per-layer event of a pull or push, for a progress display.
type Progress struct {
	// ID is the short digest of the layer (of its diff ID in a push, as
	// dockerd's).
	ID string
	// Current and Total are bytes transferred and expected.
	Current, Total int64
	// Status is "Pulling fs layer", "Downloading", "Download complete",
	// "Already exists", "Pull complete", or for a push "Preparing",
	// "Pushing", "Pushed" or "Layer already exists".
	Status string
	// Tag is set (with Status "Pulling from") on the event that starts each
	// tag's pull in a PullAllTags.
	Tag string
}

// PullOptions tunes Pull.
type PullOptions struct {
	// Platform is "os/arch[/variant]"; empty means linux and the host's architecture.
	Platform string
	// Progress, when set, receives events; Pull blocks on it, so drain it.
	Progress chan<- Progress
	// Keychain supplies registry credentials; nil means ~/.docker/config.json.
	Keychain authn.Keychain
}

// PushOptions tunes Push.
type PushOptions struct {
	// Progress, when set, receives events; Push blocks on it, so drain it.
	Progress chan<- Progress
	// Keychain supplies registry credentials; nil means ~/.docker/config.json.
	Keychain authn.Keychain
}

// Pull fetches an image over the registry v2 distribution protocol, verifying
// every digest, and stores it tagged (when ref names a tag) with its repo digest.
// Registries on localhost/127.0.0.1 are spoken to over plain HTTP. A failed or
// cancelled pull leaves nothing behind.
func (s *Store) Pull(ctx context.Context, ref string, opts PullOptions) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	plat := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if opts.Platform != "" {
		p, err := v1.ParsePlatform(opts.Platform)
		if err != nil {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("platform %q: %v", opts.Platform, err))
		}
		plat = *p
	}
	img, err := remote.Image(r.Name, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(opts.Keychain)), remote.WithPlatform(plat))
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, classifyRemote(err))
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	var tags []string
	if r.Digest == "" {
		tags = []string{r.TagRef()}
	}
	send := progressSender(ctx, opts.Progress)
	out, err := s.addImage(ctx, img, tags, []string{r.Repo + "@" + digest.String()}, func(d string, cur, total int64, status string) {
		send(Progress{ID: shortID(d), Current: cur, Total: total, Status: status})
	})
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, classifyRemote(err))
	}
	send(Progress{ID: shortID(out.ID), Status: "Pull complete"})
	s.emit("pull", r.Familiar(), r.Repo, out)
	return out, nil
}

// Push uploads the image tagged ref to its registry and records the repo digest.
// Every blob of the image is verified first; a corrupt one fails the push
// before anything is uploaded.
func (s *Store) Push(ctx context.Context, ref string, opts PushOptions) error {
	r, err := ParseReference(ref)
	if err != nil {
		return err
	}
	local, err := s.resolve(ctx, s.db, ref)
	if err != nil {
		return err
	}
	// A corrupt blob must not reach the registry: check them all before the
	// first upload rather than leave the registry to refuse one half-way.
	if err := s.ensureBlobs(ctx, local); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	if err := s.verifyImage(ctx, local); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	h, err := v1.NewHash(local.ManifestDigest)
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	img, err := s.lp.Image(h)
	if err != nil {
		return fmt.Errorf("push %s: open local image: %w", ref, err)
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(opts.Keychain))}
	err = pushLayers(ctx, r.Name.Context(), img, ropts, progressSender(ctx, opts.Progress))
	if err == nil {
		err = remote.Write(r.Name, img, ropts...)
	}
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, classifyRemote(err))
	}
	_, err = s.db.ExecContext(ctx, "INSERT OR REPLACE INTO img_digests (ref, image_id) VALUES (?, ?)", r.Repo+"@"+local.ManifestDigest, local.ID)
	if err != nil {
		return fmt.Errorf("push %s: record digest: %w", ref, err)
	}
	s.emit("push", r.Familiar(), r.Repo, local)
	return nil
}

func keychain(k authn.Keychain) authn.Keychain {
	if k == nil {
		return authn.DefaultKeychain
	}
	return k
}

// progressSender returns a function that sends events to ch (if any) until ctx ends.
func progressSender(ctx context.Context, ch chan<- Progress) func(Progress) {
	return func(p Progress) {
		if ch == nil {
			return
		}
		select {
		case ch <- p:
		case <-ctx.Done():
		}
	}
}

// registrySays is ": " and the registry's own messages, if it gave any.
func registrySays(te *transport.Error) string {
	var msgs []string
	for _, d := range te.Errors {
		if d.Message != "" {
			msgs = append(msgs, d.Message)
		}
	}
	if len(msgs) == 0 {
		return ""
	}
	return ": " + strings.Join(msgs, "; ")
}

// classifyRemote maps registry errors onto errdefs classes.
func classifyRemote(err error) error {
	if e := unreachable(err); e != nil {
		return e
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case 404:
			return errdefs.ErrNotFound.WithMessage("not found in the registry" + registrySays(te))
		case 401, 403:
			return errdefs.ErrPermissionDenied.WithMessage("permission denied by the registry" + registrySays(te))
		}
	}
	return err
}

// unreachable words a registry that could not be reached in one sentence
// (the client tries https, then http for a local registry, and reports both
// the same way): the address and the network's reason; nil for any other
// error.
func unreachable(err error) error {
	var de *net.DNSError
	if errors.As(err, &de) {
		return fmt.Errorf("cannot reach the registry %s: %s", de.Name, de.Err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		return nil
	}
	at := ""
	if oe.Addr != nil {
		at = " at " + oe.Addr.String()
	}
	reason := "the connection failed"
	var errno syscall.Errno
	switch {
	case oe.Timeout():
		reason = "the connection timed out"
	case errors.As(err, &errno):
		reason = errno.Error()
	}
	return fmt.Errorf("cannot reach the registry%s: %s", at, reason)
}
