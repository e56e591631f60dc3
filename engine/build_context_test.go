package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
)

func contextTarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	return b.Bytes()
}

// TestBuildFromTar: a context sent as a tar builds with its COPY sources
// and the Dockerfile it names; a missing Dockerfile or a context entry
// that climbs out is a bad request; the unpacked context is gone after
// each build, whatever happened.
func TestBuildFromTar(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	tmp := filepath.Join(e.Root(), "images", "tmp")
	left := func(what string) {
		t.Helper()
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Errorf("%s left %d temp dirs under %s", what, len(ents), tmp)
		}
	}
	body := contextTarOf(t, map[string]string{"build/App.df": "FROM scratch\nCOPY msg /msg\nCMD [\"/msg\"]\n", "msg": "hi\n"})
	img, err := e.BuildFromTar(ctx, bytes.NewReader(body), "./build/App.df", engine.BuildOptions{Tags: []string{"fromtar:1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Layers) != 1 || img.Config.Config.Cmd[0] != "/msg" || img.RepoTags[0] != "fromtar:1" {
		t.Errorf("built image: %+v", img)
	}
	left("a build")
	if _, err := e.BuildFromTar(ctx, bytes.NewReader(body), "Dockerfile", engine.BuildOptions{}, nil); !errdefs.IsInvalidArgument(err) || err.Error() != "cannot locate specified Dockerfile: Dockerfile" {
		t.Errorf("missing Dockerfile: %v", err)
	}
	left("a build without its Dockerfile")
	evil := contextTarOf(t, map[string]string{"Dockerfile": "FROM scratch\n", "../../escape": "x"})
	if _, err := e.BuildFromTar(ctx, bytes.NewReader(evil), "", engine.BuildOptions{}, nil); !errdefs.IsInvalidArgument(err) {
		t.Errorf("a context entry out of the context: %v", err)
	}
	left("a refused context")
	if _, err := os.Stat(filepath.Join(e.Root(), "images", "escape")); err == nil {
		t.Errorf("the refused entry was written")
	}
}
