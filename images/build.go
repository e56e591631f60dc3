package images

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/go-archive"
	"github.com/moby/go-archive/compression"
)

// CommitOptions describes a new image made from a parent image and one change,
// as `docker commit` and each Dockerfile step make them.
type CommitOptions struct {
	// Parent is the image built on; nil starts from scratch.
	Parent *Image
	// Layer is the uncompressed (or compressed) tar of the change; nil adds no
	// layer (a metadata-only step such as ENV or CMD).
	Layer io.Reader
	// Config is the new image's runtime config (replaces the parent's).
	Config v1.Config
	// Ext is what the config holds beyond v1.Config (replaces the parent's).
	Ext ConfigExt
	// CreatedBy and Comment go into the new history entry.
	CreatedBy, Comment string
	// Author is the image author, if any.
	Author string
	// Tags are references to give the new image.
	Tags []string
	// UpperDir, when Layer is nil, is a finished overlay upper dir that is
	// the change (a build step's, whose container is gone): its layer is
	// kept as a snapshot made from the dir by hard links, and the blob is
	// written only when something needs it (see lazy.go). The dir must not
	// change afterwards. Exclude lists absolute paths left out of it.
	UpperDir string
	Exclude  []string
	// NoHistory adds no history entry for a step without a layer (a build's
	// ONBUILD: BuildKit writes none).
	NoHistory bool
	// History, when set, is the new image's whole history, and the image
	// adds no layer (a build's ARG rows put into its stage's history).
	History []v1.History
}

// Commit stores a new image: the parent's layers, plus Layer when set, with
// Config and one more history entry. Layers are checked like any other.
func (s *Store) Commit(ctx context.Context, opts CommitOptions) (*Image, error) {
	var tags []string
	for _, t := range opts.Tags {
		n, err := tagRef(t)
		if err != nil {
			return nil, err
		}
		tags = append(tags, n)
	}
	now := v1.Time{Time: time.Now().UTC()}
	cfg := v1.ConfigFile{Architecture: runtime.GOARCH, OS: "linux"}
	var layers []layerFile
	parentID := ""
	if p := opts.Parent; p != nil {
		parentID = p.ID
		cfg.Architecture, cfg.OS, cfg.Variant, cfg.OSVersion = p.Config.Architecture, p.Config.OS, p.Config.Variant, p.Config.OSVersion
		cfg.History = append(cfg.History, p.Config.History...)
		for _, l := range p.Layers {
			layers = append(layers, layerFile{digest: l.Digest, diffID: l.DiffID, size: l.Size, mediaType: mediaTypeOf(l)})
		}
	}
	cfg.Created, cfg.Author, cfg.Config = now, opts.Author, opts.Config
	h := v1.History{Created: now, CreatedBy: opts.CreatedBy, Comment: opts.Comment, Author: opts.Author, EmptyLayer: opts.Layer == nil && opts.UpperDir == ""}
	if err := setHistory(&cfg, opts, h); err != nil {
		return nil, err
	}
	var adopt *adoption
	switch {
	case opts.Layer == nil && opts.UpperDir != "":
		lf, a, ok, err := s.lazyCommit(ctx, opts)
		if err != nil {
			return nil, err
		}
		if !ok {
			return s.commitUpper(ctx, opts)
		}
		defer a.done()
		layers, adopt = append(layers, lf), a
	case opts.Layer != nil:
		tmp, done, err := s.tmpDir("commit-")
		if err != nil {
			return nil, err
		}
		defer done()
		lf, err := s.writeLayerOf(ctx, tmp, opts.Layer, true)
		if err != nil {
			return nil, fmt.Errorf("commit: %w", err)
		}
		layers = append(layers, lf)
	}
	img, err := s.commitLayersExt(ctx, cfg, opts.Ext, layers, tags, parentID, adopt)
	if err != nil {
		return nil, err
	}
	s.emitTags(img, tags)
	return img, nil
}

// commitUpper is Commit writing the blob of opts.UpperDir's layer at once:
// for an upper dir that cannot become a snapshot by links.
func (s *Store) commitUpper(ctx context.Context, opts CommitOptions) (*Image, error) {
	rc, err := DiffTar(opts.UpperDir, opts.Exclude...)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	opts.Layer, opts.UpperDir = rc, ""
	return s.Commit(ctx, opts)
}

func mediaTypeOf(l Layer) types.MediaType { return types.MediaType(l.MediaType) }

// DiffTar tars a container's overlay upper dir as a layer, turning overlay
// whiteouts (0:0 character devices, opaque xattrs) back into .wh. entries.
// Paths in exclude (absolute in the container, such as the mount points a
// runtime made for /etc/hosts) are left out.
func DiffTar(upperDir string, exclude ...string) (io.ReadCloser, error) {
	var patterns []string
	for _, p := range exclude {
		patterns = append(patterns, strings.TrimPrefix(filepath.Clean(p), "/"))
	}
	rc, err := archive.TarWithOptions(upperDir, &archive.TarOptions{Compression: compression.None,
		WhiteoutFormat: archive.OverlayWhiteoutFormat, ExcludePatterns: patterns})
	if err != nil {
		return nil, fmt.Errorf("tar %s: %w", upperDir, err)
	}
	return &diffTar{rc}, nil
}

// diffTar is a layer tar the store made itself (DiffTar): uncompressed, with
// entries named inside the layer, so a commit stores it as it comes, without
// the checks an archive from outside gets.
type diffTar struct{ io.ReadCloser }

// setHistory gives a commit's config its history: opts.History when set,
// else the parent's (in cfg already) and the step's entry h, which a
// NoHistory step without a layer leaves out.
func setHistory(cfg *v1.ConfigFile, opts CommitOptions, h v1.History) error {
	switch {
	case opts.History != nil:
		if opts.Layer != nil || opts.UpperDir != "" {
			return errInvalid.WithMessage("a commit that sets the whole history adds no layer")
		}
		cfg.History = opts.History
	case !opts.NoHistory || !h.EmptyLayer:
		cfg.History = append(cfg.History, h)
	}
	return nil
}
