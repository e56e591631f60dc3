package client

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/go-archive"
	moby "github.com/moby/moby/client"
	"github.com/moby/patternmatcher/ignorefile"

	"berth/images"
	"berth/images/build"
)

// Build sends the build context (less what .dockerignore excludes) to POST
// /build and passes the server's output on as step output events.
func (c *Client) Build(ctx context.Context, o build.Options, progress func(build.Event)) (*images.Image, error) {
	if len(o.Secrets) > 0 {
		return nil, notImplemented("a build secret of berth's builder")
	}
	dockerfile, err := dockerfileName(o)
	if err != nil {
		return nil, err
	}
	tar, err := buildContext(o)
	if err != nil {
		return nil, err
	}
	defer tar.Close()
	return c.buildTar(ctx, tar, dockerfile, o, progress)
}

// buildTar sends a build context tar to POST /build and passes the server's
// output on as step output events.
func (c *Client) buildTar(ctx context.Context, tar io.Reader, dockerfile string, o build.Options, progress func(build.Event)) (*images.Image, error) {
	args := map[string]*string{}
	for k, v := range o.BuildArgs {
		args[k] = &v
	}
	res, err := c.api.ImageBuild(ctx, tar, moby.ImageBuildOptions{Tags: o.Tags, Dockerfile: dockerfile,
		BuildArgs: args, Target: o.Target, NoCache: o.NoCache, Labels: o.Labels, Remove: true})
	if err != nil {
		return nil, wire(err, "build the image")
	}
	defer res.Body.Close()
	id := ""
	for m, err := range messages(res.Body) {
		if err != nil {
			return nil, wire(err, "read the build's output")
		}
		if m.Error != nil {
			return nil, errors.New(strings.TrimSpace(m.Error.Message))
		}
		if m.Aux != nil {
			var aux struct{ ID string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
		if m.Stream != "" && progress != nil {
			progress(build.Event{Kind: build.StepOutput, Output: strings.TrimSuffix(m.Stream, "\n")})
		}
	}
	if id == "" {
		return nil, errors.New("build the image: the server reported no image ID")
	}
	return c.InspectImage(ctx, id)
}

// dockerfileName names the Dockerfile inside the context.
func dockerfileName(o build.Options) (string, error) {
	if o.Dockerfile != nil {
		return inlineDockerfile, nil
	}
	name := o.DockerfileName
	if name == "" {
		name = "Dockerfile"
	}
	if filepath.IsAbs(name) {
		rel, err := filepath.Rel(o.ContextDir, name)
		if err != nil || strings.HasPrefix(rel, "..") {
			return "", invalidArgument(fmt.Sprintf("the Dockerfile %s is outside the build context", name))
		}
		name = rel
	}
	return filepath.ToSlash(name), nil
}

// inlineDockerfile is where a Dockerfile given as bytes goes in the context
// sent (as docker build - does with a Dockerfile from stdin).
const inlineDockerfile = ".berth-dockerfile"

// buildContext packs the context directory, less what .dockerignore
// excludes, with a Dockerfile given as bytes added to the stream.
func buildContext(o build.Options) (io.ReadCloser, error) {
	excludes, err := dockerignore(o)
	if err != nil {
		return nil, err
	}
	tr, err := archive.TarWithOptions(o.ContextDir, &archive.TarOptions{ExcludePatterns: excludes})
	if err != nil {
		return nil, fmt.Errorf("pack the build context: %w", err)
	}
	if o.Dockerfile == nil {
		return tr, nil
	}
	add := func(_ string, _ *tar.Header, _ io.Reader) (*tar.Header, []byte, error) {
		return &tar.Header{Name: inlineDockerfile, Mode: 0o600, Typeflag: tar.TypeReg, Size: int64(len(o.Dockerfile))}, o.Dockerfile, nil
	}
	return archive.ReplaceFileTarWrapper(tr, map[string]archive.TarModifierFunc{inlineDockerfile: add}), nil
}

// dockerignore reads the patterns of the Dockerfile's own ignore file, when
// o has one (then the context's .dockerignore is left out of what is sent,
// so the server does not apply it too), else of the context's .dockerignore.
func dockerignore(o build.Options) ([]string, error) {
	name := o.IgnoreFile
	if name == "" {
		name = filepath.Join(o.ContextDir, ".dockerignore")
	}
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) && o.IgnoreFile == "" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(name), err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, invalidArgument(fmt.Sprintf("%s: %v", filepath.Base(name), err))
	}
	if o.IgnoreFile != "" {
		patterns = append(patterns, ".dockerignore")
	}
	return patterns, nil
}

// BuildCache lists the server's build cache.
func (c *Client) BuildCache(ctx context.Context) ([]images.CacheEntry, error) {
	du, err := c.DiskUsage(ctx)
	if err != nil {
		return nil, err
	}
	return du.BuildCache, nil
}

// PruneBuildCache removes unused build cache (all: shared entries too).
func (c *Client) PruneBuildCache(ctx context.Context, all bool) ([]string, int64, error) {
	res, err := c.api.BuildCachePrune(ctx, moby.BuildCachePruneOptions{All: all})
	if err != nil {
		return nil, 0, wire(err, "prune the build cache")
	}
	return res.Report.CachesDeleted, int64(res.Report.SpaceReclaimed), nil
}
