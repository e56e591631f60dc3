package images

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// dockerHubAuthKey is the key Docker uses for Docker Hub in config.json.
const dockerHubAuthKey = "https://index.docker.io/v1/"

// DockerConfigDir is where credentials live: $DOCKER_CONFIG, else ~/.docker.
func DockerConfigDir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/root"
	}
	return filepath.Join(home, ".docker")
}

// authKey maps a registry name ("" or docker.io means Docker Hub) to its
// config.json key and the registry to contact.
func authKey(server string) (string, name.Registry, error) {
	var opts []name.Option
	if isLocalRegistry(server + "/x") {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(server, opts...)
	if err != nil {
		return "", reg, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid registry %q: %v", server, err))
	}
	if reg.RegistryStr() == name.DefaultRegistry {
		return dockerHubAuthKey, reg, nil
	}
	return reg.RegistryStr(), reg, nil
}

// Login checks the credentials against the registry and saves them in
// config.json under configDir (DockerConfigDir() when empty) in the form
// `docker login` writes without a credential helper, so that Pull, Push and the
// docker CLI use them.
func Login(ctx context.Context, server, username, password, configDir string) error {
	if err := CheckLogin(ctx, server, username, password); err != nil {
		return err
	}
	return SaveLogin(server, username, password, configDir)
}

// CheckLogin checks the credentials against the registry, saving nothing
// (what the Docker Engine API's POST /auth does).
func CheckLogin(ctx context.Context, server, username, password string) error {
	key, reg, err := authKey(server)
	if err != nil {
		return err
	}
	if err := checkLogin(ctx, reg, &authn.Basic{Username: username, Password: password}); err != nil {
		return fmt.Errorf("login to %s: %w", key, err)
	}
	return nil
}

// SaveLogin saves checked credentials in config.json under configDir
// (DockerConfigDir() when empty), as `docker login` writes them.
func SaveLogin(server, username, password, configDir string) error {
	key, _, err := authKey(server)
	if err != nil {
		return err
	}
	auth := base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
	return editAuths(configDir, func(auths map[string]map[string]string) error {
		auths[key] = map[string]string{"auth": auth}
		return nil
	})
}

// checkLogin makes an authenticated request to the registry's /v2/ endpoint.
func checkLogin(ctx context.Context, reg name.Registry, auth authn.Authenticator) error {
	rt, err := transport.NewWithContext(ctx, reg, auth, http.DefaultTransport, []string{reg.Scope(transport.PullScope)})
	if err != nil {
		return classifyRemote(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return classifyRemote(transport.CheckError(resp, http.StatusOK))
}

// Logout removes the saved credentials of a registry.
func Logout(server, configDir string) error {
	key, _, err := authKey(server)
	if err != nil {
		return err
	}
	return editAuths(configDir, func(auths map[string]map[string]string) error {
		if _, ok := auths[key]; !ok {
			return errdefs.ErrNotFound.WithMessage(fmt.Sprintf("logout: not logged in to %s", key))
		}
		delete(auths, key)
		return nil
	})
}

// editAuths rewrites the "auths" section of config.json, keeping every other key.
func editAuths(configDir string, edit func(map[string]map[string]string) error) error {
	if configDir == "" {
		configDir = DockerConfigDir()
	}
	path := filepath.Join(configDir, "config.json")
	doc := map[string]json.RawMessage{}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &doc); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("parse %s: %v", path, err))
		}
	}
	auths := map[string]map[string]string{}
	if raw, ok := doc["auths"]; ok {
		if err := json.Unmarshal(raw, &auths); err != nil {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("parse auths in %s: %v", path, err))
		}
	}
	if err := edit(auths); err != nil {
		return err
	}
	if doc["auths"], err = json.Marshal(auths); err != nil {
		return fmt.Errorf("encode auths: %w", err)
	}
	out, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.MkdirAll(configDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", configDir, err)
	}
	return writeFileAtomic(path, out, 0o600)
}
