package images

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestLoginPullLogout(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "ann" || p != "s3cret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	cfgDir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", cfgDir)
	s := newStore(t)
	ref := host + "/private/img:1"
	if _, err := s.AddImage(ctx, imageOf(t, v1.Config{}, layerOf(t, makeTar(t, tarEntry{name: "p", body: "p"}))), ref); err != nil {
		t.Fatal(err)
	}
	if err := s.Push(ctx, ref, PushOptions{}); !errdefs.IsPermissionDenied(err) {
		t.Fatalf("push without login: %v, want permission denied", err)
	}
	if err := Login(ctx, host, "ann", "wrong", ""); !errdefs.IsPermissionDenied(err) {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if err := Login(ctx, host, "ann", "s3cret", ""); err != nil {
		t.Fatalf("login: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(cfgDir, "config.json"))
	if err != nil || !strings.Contains(string(b), host) {
		t.Fatalf("config.json: %s %v", b, err)
	}
	if err := s.Push(ctx, ref, PushOptions{}); err != nil {
		t.Fatalf("push after login: %v", err)
	}
	if err := Logout(host, ""); err != nil {
		t.Fatal(err)
	}
	if err := Logout(host, ""); !errdefs.IsNotFound(err) {
		t.Errorf("second logout: %v", err)
	}
	if _, err := s.Pull(ctx, ref, PullOptions{}); !errdefs.IsPermissionDenied(err) {
		t.Errorf("pull after logout: %v, want permission denied", err)
	}
}
