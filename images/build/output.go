package build

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/go-archive"

	"berth/images"
)

// Output is where a build's final filesystem is exported (-o), as
// `docker build -o` does: "local" writes it into the directory Dest,
// "tar" writes it as a tar archive to the file Dest, or to Writer when
// Dest is "-".
type Output struct {
	Type, Dest string
	Writer     io.Writer
}

// ParseOutput reads one -o value: "type=local,dest=DIR", "type=tar,dest=FILE"
// (dest "-" or none: standard output), or a bare path ("DIR", or "-" for
// a tar on standard output), as docker build reads them.
func ParseOutput(spec string) (Output, error) {
	if spec == "" {
		return Output{}, errdefs.ErrInvalidArgument.WithMessage("invalid -o: an output is needed (type=local,dest=DIR or type=tar,dest=FILE)")
	}
	if !strings.ContainsAny(spec, "=,") {
		if spec == "-" {
			return Output{Type: "tar", Dest: "-"}, nil
		}
		return Output{Type: "local", Dest: spec}, nil
	}
	fields, err := csv.NewReader(strings.NewReader(spec)).Read()
	if err != nil {
		return Output{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid -o %q: not a comma-separated list of key=value", spec))
	}
	var o Output
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		switch k = strings.ToLower(strings.TrimSpace(k)); {
		case !ok:
			return Output{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid -o %q: %q is not key=value", spec, f))
		case k == "type":
			o.Type = v
		case k == "dest":
			o.Dest = v
		default:
			return Output{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid -o %q: unknown key %q (berth knows type and dest)", spec, k))
		}
	}
	switch o.Type {
	case "local":
		if o.Dest == "" || o.Dest == "-" {
			return Output{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid -o %q: type=local needs dest=DIR", spec))
		}
	case "tar":
		if o.Dest == "" {
			o.Dest = "-"
		}
	case "":
		return Output{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid -o %q: type is needed (local or tar)", spec))
	default:
		return Output{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid -o %q: output type %q is not supported (local or tar)", spec, o.Type))
	}
	return o, nil
}

// export writes img's filesystem to each output. A tar file is written
// beside its destination and renamed into place, so a failure leaves no
// half archive.
func (bd *build) export(ctx context.Context, img *images.Image) error {
	for _, o := range bd.opts.Outputs {
		err := bd.runner.Mount(ctx, img, func(root, _ string) error {
			switch {
			case o.Type == "local":
				return exportLocal(root, o.Dest)
			case o.Dest == "-":
				if o.Writer == nil {
					return errdefs.ErrInvalidArgument.WithMessage("-o: no stream to write the tar to")
				}
				return exportTar(root, o.Writer)
			}
			return exportTarFile(root, o.Dest)
		})
		if err != nil {
			return fmt.Errorf("export to %s %s: %w", o.Type, o.Dest, err)
		}
	}
	return nil
}

func exportTar(root string, w io.Writer) error {
	rd, err := archive.TarWithOptions(root, &archive.TarOptions{})
	if err != nil {
		return err
	}
	defer rd.Close()
	_, err = io.Copy(w, rd)
	return err
}

func exportTarFile(root, dest string) error {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := exportTar(root, f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), dest)
}

func exportLocal(root, dest string) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	rd, err := archive.TarWithOptions(root, &archive.TarOptions{})
	if err != nil {
		return err
	}
	defer rd.Close()
	return archive.Untar(rd, dest, &archive.TarOptions{})
}

// checkPlatform accepts the machine's own platform only (berth runs RUN
// steps natively, without emulation).
func checkPlatform(p string) error {
	if p == "" {
		return nil
	}
	host := "linux/" + runtime.GOARCH
	got, err := v1.ParsePlatform(p)
	if err != nil || got.OS != "linux" || got.Architecture != runtime.GOARCH {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("berth builds only for this machine's platform %s, not %s", host, p))
	}
	return nil
}

// checkNetwork refuses a --network other than BuildKit's: default, none, host.
func checkNetwork(n string) error {
	switch n {
	case "", instructions.NetworkDefault, instructions.NetworkNone, instructions.NetworkHost:
		return nil
	}
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --network %q: use default, none or host", n))
}

// hostPlatformArgs are the platform ARGs BuildKit predefines, all the host's
// (FROM --platform=$BUILDPLATFORM expands with them).
func hostPlatformArgs() []string {
	p := "linux/" + runtime.GOARCH
	var env []string
	for _, pre := range []string{"BUILD", "TARGET"} {
		env = append(env, pre+"PLATFORM="+p, pre+"OS=linux", pre+"ARCH="+runtime.GOARCH, pre+"VARIANT=")
	}
	return env
}
