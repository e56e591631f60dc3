package images

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestParseConfigExt reads the start interval as Docker writes it, in any
// key case, and nothing from configs without it.
func TestParseConfigExt(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want time.Duration
		bad  bool
	}{
		{raw: `{"config":{"Healthcheck":{"Test":["CMD","true"],"StartInterval":2000000000}}}`, want: 2 * time.Second},
		{raw: `{"config":{"healthcheck":{"startinterval":5}},"x-other":{"kept":true}}`, want: 5},
		{raw: `{"config":{"Healthcheck":{"Test":["NONE"]}}}`},
		{raw: `{"config":{"Healthcheck":null}}`},
		{raw: `{"config":{"Healthcheck":"odd"}}`},
		{raw: `{"config":null}`},
		{raw: `{}`},
		{raw: `{"config":{"Healthcheck":{"StartInterval":"2s"}}}`, bad: true},
		{raw: `not json`, bad: true},
	} {
		x, err := ParseConfigExt([]byte(c.raw))
		if (err != nil) != c.bad || x.HealthStartInterval != c.want {
			t.Errorf("%s: got %v, %v; want %v (error: %v)", c.raw, x.HealthStartInterval, err, c.want, c.bad)
		}
	}
}

// TestMarshalConfigExt writes a set start interval into the health check,
// leaves a config with none unchanged, and drops an interval without a
// health check.
func TestMarshalConfigExt(t *testing.T) {
	hc := v1.ConfigFile{OS: "linux", Config: v1.Config{Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "true"}, Retries: 2}}}
	plain, err := json.Marshal(hc)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := marshalConfig(&hc, ConfigExt{}); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("no extension: %s, %v; want %s", got, err, plain)
	}
	got, err := marshalConfig(&hc, ConfigExt{HealthStartInterval: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"StartInterval":1500000000`) || !strings.Contains(string(got), `"Retries":2`) {
		t.Errorf("with a start interval: %s", got)
	}
	var back v1.ConfigFile
	if err := json.Unmarshal(got, &back); err != nil || back.OS != "linux" || back.Config.Healthcheck.Retries != 2 {
		t.Errorf("the rest of the config did not survive: %s (%v)", got, err)
	}
	if x, err := ParseConfigExt(got); err != nil || x.HealthStartInterval != 1500*time.Millisecond {
		t.Errorf("read back: %v, %v", x, err)
	}
	none := v1.ConfigFile{OS: "linux"}
	plainNone, _ := json.Marshal(none)
	if got, err := marshalConfig(&none, ConfigExt{HealthStartInterval: time.Second}); err != nil || !bytes.Equal(got, plainNone) {
		t.Errorf("no health check: %s, %v; want %s", got, err, plainNone)
	}
}

// TestApplyChangeHealthcheck parses HEALTHCHECK changes as a Dockerfile
// does, the start interval into the extension.
func TestApplyChangeHealthcheck(t *testing.T) {
	for _, c := range []struct {
		change  string
		test    []string
		start   time.Duration
		wantErr string
	}{
		{change: "HEALTHCHECK --interval=1s --start-interval=2s --retries=3 CMD wget -q localhost",
			test: []string{"CMD-SHELL", "wget -q localhost"}, start: 2 * time.Second},
		{change: `healthcheck CMD ["true"]`, test: []string{"CMD", "true"}},
		{change: "HEALTHCHECK NONE", test: []string{"NONE"}},
		{change: "HEALTHCHECK --interval=x CMD true", wantErr: "x"},
		{change: "HEALTHCHECK --bogus=1 CMD true", wantErr: "bogus"},
		{change: "HEALTHCHECK SOMETHING", wantErr: "Unknown type"},
		{change: "HEALTHCHECK", wantErr: "missing argument"},
	} {
		cfg := v1.Config{Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "old"}}}
		ext := ConfigExt{HealthStartInterval: time.Hour}
		err := ApplyChange(&cfg, &ext, c.change)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "line 1") {
				t.Errorf("%q: error %v, want one about %q", c.change, err, c.wantErr)
			}
			if cfg.Healthcheck.Test[1] != "old" || ext.HealthStartInterval != time.Hour {
				t.Errorf("%q: a bad change changed the config", c.change)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.change, err)
			continue
		}
		if strings.Join(cfg.Healthcheck.Test, "|") != strings.Join(c.test, "|") || ext.HealthStartInterval != c.start {
			t.Errorf("%q: test %q start %v; want %q, %v", c.change, cfg.Healthcheck.Test, ext.HealthStartInterval, c.test, c.start)
		}
	}
}

// TestConfigExtKept: a committed image's start interval is in its config
// blob, read back from the store, inherited by a child commit, and kept
// through save and load.
func TestConfigExtKept(t *testing.T) {
	ctx := context.Background()
	src := newStore(t)
	hc := v1.Config{Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "true"}}}
	img, err := src.Commit(ctx, CommitOptions{Config: hc, Ext: ConfigExt{HealthStartInterval: 3 * time.Second},
		CreatedBy: "HEALTHCHECK", Tags: []string{"hc:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if img.Ext.HealthStartInterval != 3*time.Second {
		t.Fatalf("committed image's extension: %+v", img.Ext)
	}
	child, err := src.Commit(ctx, CommitOptions{Parent: img, Config: img.Config.Config, Ext: img.Ext, CreatedBy: "ENV", Tags: []string{"hc:2"}})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := src.Resolve("hc:2"); err != nil || again.Ext.HealthStartInterval != 3*time.Second {
		t.Fatalf("child image read back: %+v, %v", again, err)
	}
	var buf bytes.Buffer
	if err := src.Save(ctx, &buf, []string{"hc:2"}); err != nil {
		t.Fatal(err)
	}
	dst := newStore(t)
	if _, err := dst.Load(ctx, bytes.NewReader(buf.Bytes()), nil); err != nil {
		t.Fatal(err)
	}
	loaded, err := dst.Resolve("hc:2")
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ID != child.ID || loaded.Ext.HealthStartInterval != 3*time.Second {
		t.Errorf("loaded image %s %+v; want %s with a 3s start interval", loaded.ID, loaded.Ext, child.ID)
	}
}

// FuzzParseConfigExt: any config either fails to parse or gives an
// extension that, written into a config with a health check, reads back
// the same.
func FuzzParseConfigExt(f *testing.F) {
	for _, s := range []string{`{"config":{"Healthcheck":{"Test":["CMD","true"],"StartInterval":2000000000}}}`,
		`{"config":{"healthcheck":{"startinterval":-5}}}`, `{"config":null}`, `[]`, `{"config":{"Healthcheck":[1]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		x, err := ParseConfigExt(raw)
		if err != nil {
			return
		}
		cfg := v1.ConfigFile{Config: v1.Config{Healthcheck: &v1.HealthConfig{Test: []string{"NONE"}}}}
		b, err := marshalConfig(&cfg, x)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := ParseConfigExt(b); err != nil || back != x {
			t.Fatalf("%s: wrote %+v, read back %+v (%v)", raw, x, back, err)
		}
	})
}

// TestConfigExtPushPull: a pushed image's start interval comes back with
// the pull (the config blob is pushed and stored as it is).
func TestConfigExtPushPull(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t, nil)
	s := newStore(t)
	hc := v1.Config{Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "true"}}}
	ref := host + "/team/hc:v1"
	img, err := s.Commit(ctx, CommitOptions{Config: hc, Ext: ConfigExt{HealthStartInterval: 7 * time.Second},
		CreatedBy: "HEALTHCHECK", Tags: []string{ref}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Push(ctx, ref, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	other := newStore(t)
	got, err := other.Pull(ctx, ref, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != img.ID || got.Ext.HealthStartInterval != 7*time.Second {
		t.Errorf("pulled %s %+v; pushed %s with a 7s start interval", got.ID, got.Ext, img.ID)
	}
}

// TestConfigUnknownFieldsKept: a loaded config's fields that berth does not
// know (Docker's newer ones, anyone's) stay byte for byte: the image ID is
// the raw config's digest, save writes the same bytes, and the start
// interval in it is read.
func TestConfigUnknownFieldsKept(t *testing.T) {
	ctx := context.Background()
	layer := makeTar(t, tarEntry{name: "f", body: "x"})
	raw := `{"architecture":"amd64","os":"linux","x-top":"kept",` +
		`"config":{"Healthcheck":{"Test":["CMD","true"],"StartInterval":4000000000},"x-future":{"a":1}},` +
		`"rootfs":{"type":"layers","diff_ids":["` + digestOf(layer) + `"]}}`
	archive := makeTar(t, tarEntry{name: "manifest.json", body: `[{"Config":"c.json","RepoTags":["raw:1"],"Layers":["l.tar"]}]`},
		tarEntry{name: "c.json", body: raw}, tarEntry{name: "l.tar", body: string(layer)})
	s := newStore(t)
	if _, err := s.Load(ctx, bytes.NewReader(archive), nil); err != nil {
		t.Fatal(err)
	}
	img, err := s.Resolve("raw:1")
	if err != nil {
		t.Fatal(err)
	}
	if img.ID != digestOf([]byte(raw)) || img.Ext.HealthStartInterval != 4*time.Second {
		t.Errorf("loaded %s %+v; want %s with a 4s start interval", img.ID, img.Ext, digestOf([]byte(raw)))
	}
	var out bytes.Buffer
	if err := s.Save(ctx, &out, []string{"raw:1"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte(raw)) {
		t.Error("save did not write the config as loaded")
	}
}

// TestApplyChangesEntrypointClearsCmd: an ENTRYPOINT among the changes with
// no CMD before it clears the command, as Docker's commit --change does; a
// CMD before or after it sets its own.
func TestApplyChangesEntrypointClearsCmd(t *testing.T) {
	for _, tc := range []struct {
		changes []string
		want    []string
	}{
		{[]string{`ENTRYPOINT ["echo","ep"]`}, nil},
		{[]string{`CMD ["x"]`, `ENTRYPOINT ["echo","ep"]`}, []string{"x"}},
		{[]string{`ENTRYPOINT ["echo","ep"]`, `CMD ["y"]`}, []string{"y"}},
		{[]string{`ENV A=1`}, []string{"sleep", "1000"}},
	} {
		cfg := v1.Config{Cmd: []string{"sleep", "1000"}}
		var ext ConfigExt
		if err := ApplyChanges(&cfg, &ext, tc.changes); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cfg.Cmd, tc.want) {
			t.Errorf("%q: Cmd %q, want %q", tc.changes, cfg.Cmd, tc.want)
		}
	}
}

// TestApplyChangeLabels: LABEL's key=value pairs with quoted keys and
// values, and the old "key value" form.
func TestApplyChangeLabels(t *testing.T) {
	for _, tc := range []struct {
		change string
		want   map[string]string
	}{
		{`LABEL a=1 b="two words"`, map[string]string{"a": "1", "b": "two words"}},
		{`LABEL "x y"=z`, map[string]string{"x y": "z"}},
		{`LABEL 'q'="v w" k=`, map[string]string{"q": "v w", "k": ""}},
		{`LABEL old value here`, map[string]string{"old": "value here"}},
	} {
		var cfg v1.Config
		var ext ConfigExt
		if err := ApplyChange(&cfg, &ext, tc.change); err != nil {
			t.Fatalf("%s: %v", tc.change, err)
		}
		if len(cfg.Labels) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.change, cfg.Labels, tc.want)
		}
		for k, v := range tc.want {
			if cfg.Labels[k] != v {
				t.Errorf("%s: %v, want %v", tc.change, cfg.Labels, tc.want)
			}
		}
	}
}
