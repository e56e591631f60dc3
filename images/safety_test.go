package images

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestPrepareRefusesUnsafeLayers(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name, want string
		tar        []tarEntry
	}{
		{"dotdot", `"../escape"`, []tarEntry{{name: "ok", body: "1"}, {name: "../escape", body: "x"}}},
		{"absolute", `"/abs"`, []tarEntry{{name: "/abs", body: "x"}}},
		{"symlink climbs", `"a/l"`, []tarEntry{{name: "a/", typ: '5', mode: 0o755}, {name: "a/l", typ: '2', link: "../../x"}}},
		{"hardlink out", `"h"`, []tarEntry{{name: "h", typ: '1', link: "../etc/shadow"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			img, err := s.AddImage(context.Background(), imageOf(t, v1.Config{}, layerOf(t, makeTar(t, c.tar...))))
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Prepare(context.Background(), img)
			if err == nil {
				t.Fatal("Prepare accepted an unsafe layer")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not name %s", err, c.want)
			}
			for _, d := range []string{"snapshots", "l"} {
				if ents, _ := os.ReadDir(filepath.Join(s.Root(), d)); len(ents) != 0 {
					t.Errorf("%s keeps %v", d, ents)
				}
			}
		})
	}
}

func TestWriteThroughSymlinkStaysInside(t *testing.T) {
	requireRoot(t)
	s := newStore(t)
	img, err := s.AddImage(context.Background(), imageOf(t, v1.Config{}, layerOf(t, makeTar(t,
		tarEntry{name: "d", typ: '2', link: "/"}, tarEntry{name: "d/etc/berth-pwned", body: "x"}))))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Prepare(context.Background(), img)
	if _, serr := os.Stat("/etc/berth-pwned"); serr == nil {
		os.Remove("/etc/berth-pwned")
		t.Fatal("layer wrote /etc/berth-pwned on the host")
	}
	if err == nil {
		if _, serr := os.Stat(filepath.Join(s.SnapshotDir(img.Layers[0].ChainID), "etc/berth-pwned")); serr != nil {
			t.Errorf("entry through the symlink landed nowhere: %v", serr)
		}
	}
}

func TestPrepareChecksDiffID(t *testing.T) {
	s := newStore(t)
	img, err := s.AddImage(context.Background(), imageOf(t, v1.Config{}, layerOf(t, makeTar(t, tarEntry{name: "a", body: "1"}))))
	if err != nil {
		t.Fatal(err)
	}
	img.Layers[0].DiffID = "sha256:" + strings.Repeat("0", 64)
	img.Layers[0].ChainID = img.Layers[0].DiffID
	if _, err := s.Prepare(context.Background(), img); err == nil || !strings.Contains(err.Error(), "does not match diff ID") {
		t.Errorf("Prepare with a wrong diff ID: %v", err)
	}
}

func TestCheckEntryTable(t *testing.T) {
	ok := [][]tarEntry{
		{{name: "a/b/c", body: "x"}},
		{{name: "./a", body: "x"}},
		{{name: "l", typ: '2', link: "/etc/passwd"}},
		{{name: "a/", typ: '5', mode: 0o755}, {name: "a/l", typ: '2', link: "../b"}},
		{{name: "b", body: "x"}, {name: "h", typ: '1', link: "b"}},
	}
	for i, entries := range ok {
		if err := checkTar(bytes.NewReader(makeTar(t, entries...)), new(bytes.Buffer)); err != nil {
			t.Errorf("case %d refused: %v", i, err)
		}
	}
	err := checkTar(bytes.NewReader(makeTar(t, tarEntry{name: "../x"})), new(bytes.Buffer))
	if !errors.Is(err, ErrUnsafeLayer) {
		t.Errorf("../x: %v, want ErrUnsafeLayer", err)
	}
}

func TestParseReference(t *testing.T) {
	cases := map[string]string{
		"busybox":                             "busybox:latest",
		"busybox:1.36":                        "busybox:1.36",
		"docker.io/library/busybox:latest":    "busybox:latest",
		"index.docker.io/user/app":            "user/app:latest",
		"reg:5000/x/y:t":                      "reg:5000/x/y:t",
		"localhost:5000/a":                    "localhost:5000/a:latest",
		"x@sha256:" + strings.Repeat("a", 64): "x@sha256:" + strings.Repeat("a", 64),
	}
	for in, want := range cases {
		r, err := ParseReference(in)
		if err != nil {
			t.Errorf("ParseReference(%q): %v", in, err)
			continue
		}
		if r.Familiar() != want {
			t.Errorf("ParseReference(%q).Familiar() = %q, want %q", in, r.Familiar(), want)
		}
	}
	for _, bad := range []string{"", "UPPER", "a b", "http://x/y", "x@sha256:zz"} {
		if _, err := ParseReference(bad); err == nil {
			t.Errorf("ParseReference(%q) accepted", bad)
		}
	}
}
