package images

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// TestRemoveLastTagDropsRepoDigests: as dockerd, untagging the last tag of
// a repository also drops that repository's digest references (a pulled
// image untagged is not left listed as "repo <none>"), while a tag that
// leaves another tag of the repository keeps them, and the image with its
// other tags stays.
func TestRemoveLastTagDropsRepoDigests(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	host := startRegistry(t, nil)
	s := newStore(t)
	img, err := s.AddImage(ctx, imageOf(t, richConfig, layerOf(t, makeTar(t, tarEntry{name: "f", body: "x"}))), "local:1")
	if err != nil {
		t.Fatal(err)
	}
	v1, v2 := host+"/team/app:v1", host+"/team/app:v2"
	if err := s.Tag(ctx, "local:1", v1); err != nil {
		t.Fatal(err)
	}
	if err := s.Push(ctx, v1, PushOptions{Keychain: authn.NewMultiKeychain()}); err != nil {
		t.Fatalf("Push: %v", err)
	}
	if _, err := s.Pull(ctx, v1, PullOptions{}); err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if err := s.Tag(ctx, v1, v2); err != nil {
		t.Fatal(err)
	}
	digest := host + "/team/app@" + img.ManifestDigest
	steps := []struct {
		ref         string
		resp        []DeleteResponse
		tags, diges []string
	}{
		{v1, []DeleteResponse{{Untagged: v1}}, []string{v2, "local:1"}, []string{digest}},
		{v2, []DeleteResponse{{Untagged: v2}, {Untagged: digest}}, []string{"local:1"}, nil},
	}
	for _, st := range steps {
		resp, err := s.Remove(ctx, st.ref, false, nil)
		if err != nil {
			t.Fatalf("Remove %s: %v", st.ref, err)
		}
		if !reflect.DeepEqual(resp, st.resp) {
			t.Errorf("Remove %s = %+v, want %+v", st.ref, resp, st.resp)
		}
		got, err := s.Resolve("local:1")
		if err != nil {
			t.Fatalf("after removing %s: %v", st.ref, err)
		}
		if strings.Join(got.RepoTags, " ") != strings.Join(st.tags, " ") || strings.Join(got.RepoDigests, " ") != strings.Join(st.diges, " ") {
			t.Errorf("after removing %s: tags %v digests %v, want %v %v", st.ref, got.RepoTags, got.RepoDigests, st.tags, st.diges)
		}
	}
}
