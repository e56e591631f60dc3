package audit

import (
	"archive/tar"
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// entry is one tar entry of a test layer; a name ending in / is a directory.
type entry struct{ name, body string }

func layerTar(t testing.TB, es ...entry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.body))}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// auditLayers audits cfg with the given layer tars.
func auditLayers(t testing.TB, cfg v1.Config, layers ...[]byte) []Finding {
	fs, err := Image(&v1.ConfigFile{Config: cfg}, len(layers), func(i int, fn func(io.Reader) error) error {
		return fn(bytes.NewReader(layers[i]))
	})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func rules(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

var healthy = &v1.HealthConfig{Test: []string{"CMD", "true"}}

func TestImageConfigRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  v1.Config
		want []string
	}{
		{"clean", v1.Config{User: "1000", Healthcheck: healthy, Env: []string{"PATH=/bin", "GPG_KEY=", "TOKEN_FILE=/run/t"}}, []string{}},
		{"no user", v1.Config{Healthcheck: healthy}, []string{"RootUser"}},
		{"user root:root", v1.Config{User: "root:root", Healthcheck: healthy}, []string{"RootUser"}},
		{"user 0", v1.Config{User: "0", Healthcheck: healthy}, []string{"RootUser"}},
		{"named user", v1.Config{User: "app:app", Healthcheck: healthy}, []string{}},
		{"secret env", v1.Config{User: "app", Healthcheck: healthy, Env: []string{"AWS_SECRET_ACCESS_KEY=abc", "db_password=x", "APP=1"}}, []string{"SecretEnv", "SecretEnv"}},
		{"no healthcheck", v1.Config{User: "app"}, []string{"NoHealthcheck"}},
		{"healthcheck NONE", v1.Config{User: "app", Healthcheck: &v1.HealthConfig{Test: []string{"NONE"}}}, []string{"NoHealthcheck"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := auditLayers(t, tc.cfg, layerTar(t, entry{"bin/", ""}))
			if got := rules(fs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("rules %v, want %v", got, tc.want)
			}
			for _, f := range fs {
				if strings.Contains(f.Title, "abc") {
					t.Errorf("finding %q shows the secret's value", f.Title)
				}
			}
		})
	}
}

func TestImageSecretFiles(t *testing.T) {
	cfg := v1.Config{User: "app", Healthcheck: healthy}
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n"
	for _, tc := range []struct {
		name   string
		layers [][]entry
		want   []string // titles' paths
	}{
		{"ssh key", [][]entry{{{"root/.ssh/id_rsa", key}, {"root/.ssh/id_rsa.pub", "ssh-rsa x"}}}, []string{"/root/.ssh/id_rsa"}},
		{"pem private key", [][]entry{{{"etc/tls/server.pem", "-----BEGIN RSA PRIVATE KEY-----"}, {"app/tls.key", "-----BEGIN PRIVATE KEY-----"}}}, []string{"/etc/tls/server.pem", "/app/tls.key"}},
		{"ca certificate", [][]entry{{{"etc/ssl/certs/ca.pem", "-----BEGIN CERTIFICATE-----"}}}, nil},
		{".env with values", [][]entry{{{"./app/.env", "# x\nDB_URL=postgres://u:p@db/x\n"}}}, []string{"/app/.env"}},
		{".env without values", [][]entry{{{"app/.env", "# fill in\nDB_URL=\n"}}}, nil},
		{".npmrc with token", [][]entry{{{"root/.npmrc", "//registry.npmjs.org/:_authToken=npm_abc\n"}}}, []string{"/root/.npmrc"}},
		{".npmrc without credentials", [][]entry{{{"root/.npmrc", "registry=https://registry.npmjs.org/\n"}}}, nil},
		{".pypirc with password", [][]entry{{{"root/.pypirc", "[pypi]\nusername = __token__\npassword = pypi-abc\n"}}}, []string{"/root/.pypirc"}},
		{"deleted later", [][]entry{{{"root/.ssh/id_ed25519", key}}, {{"root/.ssh/.wh.id_ed25519", ""}}}, []string{"/root/.ssh/id_ed25519"}},
		{"dir deleted later", [][]entry{{{"build/secrets/id_rsa", key}}, {{"build/.wh.secrets", ""}}}, []string{"/build/secrets/id_rsa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var layers [][]byte
			for _, l := range tc.layers {
				layers = append(layers, layerTar(t, l...))
			}
			var got []string
			for _, f := range auditLayers(t, cfg, layers...) {
				if f.Rule == "SecretFile" {
					got = append(got, f.Paths...)
					if len(tc.layers) > 1 && !strings.Contains(f.Title, "deleted in layer 2, but still in layer 1") {
						t.Errorf("title %q does not say the later layer deleted it", f.Title)
					}
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("secret files %v, want %v", got, tc.want)
			}
		})
	}
}

func TestImageWastedBytes(t *testing.T) {
	cfg := v1.Config{User: "app", Healthcheck: healthy}
	big, small := strings.Repeat("x", 3000), strings.Repeat("y", 500)
	l1 := layerTar(t, entry{"tmp/", ""}, entry{"tmp/big.tar", big}, entry{"tmp/cache/", ""}, entry{"tmp/cache/a", small},
		entry{"keep", "k"}, entry{"over", big})
	for _, tc := range []struct {
		name  string
		l2    []entry
		total int64
		paths []string
	}{
		{"none deleted", []entry{{"other", "o"}}, 0, nil},
		{"overwritten, not deleted", []entry{{"over", "new"}}, 0, nil},
		{"file whiteout", []entry{{"tmp/.wh.big.tar", ""}}, 3000, []string{"/tmp/big.tar (3kB)"}},
		{"opaque dir", []entry{{"tmp/cache/", ""}, {"tmp/cache/.wh..wh..opq", ""}}, 500, []string{"/tmp/cache/a (500B)"}},
		{"dir whiteout", []entry{{".wh.tmp", ""}}, 3500, []string{"/tmp/big.tar (3kB)", "/tmp/cache/a (500B)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *Finding
			fs := auditLayers(t, cfg, l1, layerTar(t, tc.l2...))
			for i := range fs {
				if fs[i].Rule == "WastedBytes" {
					got = &fs[i]
				}
			}
			if tc.total == 0 {
				if got != nil {
					t.Errorf("unexpected %+v", *got)
				}
				return
			}
			if got == nil || got.Bytes != tc.total || !reflect.DeepEqual(got.Paths, tc.paths) {
				t.Fatalf("got %+v, want %d bytes in %v", got, tc.total, tc.paths)
			}
		})
	}
}

func TestImageBadLayer(t *testing.T) {
	_, err := Image(&v1.ConfigFile{}, 1, func(i int, fn func(io.Reader) error) error {
		return fn(strings.NewReader("not a tar, but long enough to be read as a header block? no"))
	})
	if err == nil || !strings.Contains(err.Error(), "layer 1") {
		t.Fatalf("error %v, want one naming layer 1", err)
	}
}

func FuzzImageLayer(f *testing.F) {
	f.Add(layerTar(f, entry{"root/.ssh/id_rsa", "PRIVATE KEY"}, entry{"a/.wh.b", ""}, entry{"a/.wh..wh..opq", ""}))
	f.Add(layerTar(f, entry{".env", "A=1"}, entry{"x.pem", "-----BEGIN PRIVATE KEY-----"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		first := layerTar(t, entry{"a/b", "12345"}, entry{"c.key", "PRIVATE KEY"})
		fs, err := Image(&v1.ConfigFile{}, 2, func(i int, fn func(io.Reader) error) error {
			if i == 0 {
				return fn(bytes.NewReader(first))
			}
			return fn(bytes.NewReader(b))
		})
		if err != nil {
			return
		}
		for _, f := range fs {
			if f.Rule == "WastedBytes" && (f.Bytes <= 0 || f.Bytes > 5) {
				t.Fatalf("wasted %d bytes of a 5-byte file", f.Bytes)
			}
		}
	})
}
