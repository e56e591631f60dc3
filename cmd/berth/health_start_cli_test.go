package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"berth/engine/health"
)

// startIntervalImage builds hs:1, whose HEALTHCHECK has a start interval of
// 100ms (and an hour's interval and start period), and returns its config's
// Healthcheck as inspect prints it.
func startIntervalImage(t *testing.T, c *cli) string {
	t.Helper()
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\n" +
		"HEALTHCHECK --interval=1h --start-period=1h --start-interval=100ms --retries=1 CMD exit 1\n"})
	c.ok("build", "-q", "-t", "hs:1", dir)
	return `{"Test":["CMD-SHELL","exit 1"],"Interval":3600000000000,"StartPeriod":3600000000000,"StartInterval":100000000,"Retries":1}` + "\n"
}

// TestHealthStartIntervalCLI: HEALTHCHECK --start-interval survives build,
// commit (with and without -c HEALTHCHECK), save and load, and the
// container's checks run at it while it starts. The reference container
// differs only in its start interval (12s): with the image's 100ms kept, the
// first container's third check starts before the reference's first; with
// Docker's default of 5s in its place it would start at about 15s.
func TestHealthStartIntervalCLI(t *testing.T) {
	c := newCLI(t)
	want := startIntervalImage(t, c)
	if got := c.ok("image", "inspect", "-f", "{{json .Config.Healthcheck}}", "hs:1"); got != want {
		t.Errorf("image's Healthcheck: %s, want %s", got, want)
	}
	c.ok("run", "-d", "--name", "hs", "hs:1", "sleep", "1000")
	c.ok("run", "-d", "--name", "ref", "--health-start-interval", "12s", "hs:1", "sleep", "1000")
	if got := c.ok("inspect", "-f", "{{.Config.Healthcheck.StartInterval}}", "hs"); got != "100ms\n" {
		t.Errorf("container's start interval: %s", got)
	}
	c.waitOut("three checks", func(s string) bool { return len(healthOf(t, s).Log) >= 3 }, "inspect", "-f", "{{json .State.Health}}", "hs")
	h := healthOf(t, c.ok("inspect", "-f", "{{json .State.Health}}", "hs"))
	if h.Status != "starting" {
		t.Errorf("status within the start period: %s", h.Status)
	}
	if ref := healthOf(t, c.ok("inspect", "-f", "{{json .State.Health}}", "ref")); len(ref.Log) > 0 && !ref.Log[0].Start.After(h.Log[2].Start) {
		t.Errorf("the reference's first check (%v) started before the image's third (%v)", ref.Log[0].Start, h.Log[2].Start)
	}

	// commit keeps the image's start interval; -c HEALTHCHECK replaces it.
	c.ok("commit", "hs", "hs:kept")
	if got := c.ok("image", "inspect", "-f", "{{.Config.Healthcheck.StartInterval}}", "hs:kept"); got != "100ms\n" {
		t.Errorf("committed image's start interval: %s", got)
	}
	c.ok("commit", "-c", "HEALTHCHECK --start-interval=3s --interval=2s CMD true", "hs", "hs:changed")
	if got := c.ok("image", "inspect", "-f", "{{json .Config.Healthcheck}}", "hs:changed"); got != `{"Test":["CMD-SHELL","true"],"Interval":2000000000,"StartInterval":3000000000}`+"\n" {
		t.Errorf("commit -c HEALTHCHECK: %s", got)
	}
	if _, errOut, code := c.run("", "commit", "-c", "HEALTHCHECK --start-interval=soon CMD true", "hs", "hs:bad"); code == 0 || !strings.Contains(errOut, "soon") {
		t.Errorf("a bad HEALTHCHECK change: exit %d, %q", code, errOut)
	}
	// The container's own settings (the image's with its --health-* flags
	// over them) are what commit keeps, as Docker's does.
	c.ok("run", "-d", "--name", "own", "--health-start-interval", "4s", "--health-retries", "2", "hs:1", "sleep", "1000")
	c.ok("commit", "own", "hs:own")
	if got := c.ok("image", "inspect", "-f", "{{json .Config.Healthcheck}}", "hs:own"); got != `{"Test":["CMD-SHELL","exit 1"],"Interval":3600000000000,"StartPeriod":3600000000000,"StartInterval":4000000000,"Retries":2}`+"\n" {
		t.Errorf("commit of a container with --health-* flags: %s", got)
	}

	// save | load into another root keeps it (the config blob is kept whole).
	c2 := newCLI(t)
	pipe(t, c.command("save", "hs:1"), c2.command("load"))
	if got := c2.ok("image", "inspect", "-f", "{{json .Config.Healthcheck}}", "hs:1"); got != want {
		t.Errorf("loaded image's Healthcheck: %s, want %s", got, want)
	}
	if a, b := c.ok("images", "-q", "--no-trunc", "hs:1"), c2.ok("images", "-q", "--no-trunc", "hs:1"); a != b {
		t.Errorf("loaded image ID %s, saved %s", b, a)
	}
}

// TestHealthStartIntervalDocker: docker load of berth's save keeps the
// start interval: the same image ID (the config's digest), and Docker's
// inspect shows it where the daemon knows the field (dockerd 25 and later;
// Debian's 20.10 does not, and then its own save gives back the same config).
func TestHealthStartIntervalDocker(t *testing.T) {
	requireDockerd(t)
	c := newCLI(t)
	startIntervalImage(t, c)
	d := startDockerd(t)
	pipe(t, c.command("save", "hs:1"), d.command("load"))
	if got, want := d.ok(nil, "image", "inspect", "--format", "{{.Id}}", "hs:1"), c.ok("images", "-q", "--no-trunc", "hs:1"); got != want {
		t.Errorf("docker sees ID %q, berth saved %q", got, want)
	}
	hc := d.ok(nil, "image", "inspect", "--format", "{{json .Config.Healthcheck}}", "hs:1")
	if strings.Contains(hc, "StartInterval") {
		if !strings.Contains(hc, `"StartInterval":100000000`) {
			t.Errorf("docker's inspect: %s", hc)
		}
		return
	}
	t.Logf("this dockerd does not show StartInterval (%s): reading its save", strings.TrimSpace(hc))
	cfg := savedConfig(t, d.command("save", "hs:1"))
	if got := cfg.Config.Healthcheck.StartInterval; got != 100*time.Millisecond {
		t.Errorf("docker's save has start interval %v", got)
	}
}

// healthOf decodes State.Health as inspect prints it in JSON.
func healthOf(t *testing.T, s string) health.State {
	t.Helper()
	var h health.State
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		t.Fatalf("State.Health %q: %v", s, err)
	}
	return h
}

// savedConfig reads the image config of a one-image docker save.
func savedConfig(t *testing.T, save interface {
	StdoutPipe() (io.ReadCloser, error)
	Start() error
	Wait() error
}) (cfg struct {
	Config struct {
		Healthcheck struct{ StartInterval time.Duration }
	} `json:"config"`
}) {
	t.Helper()
	r, err := save.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := save.Start(); err != nil {
		t.Fatal(err)
	}
	defer save.Wait()
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(tr); err == nil {
			files[h.Name] = b
		}
	}
	var manifest []struct{ Config string }
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("docker save's manifest.json: %v (%s)", err, files["manifest.json"])
	}
	if err := json.Unmarshal(files[manifest[0].Config], &cfg); err != nil {
		t.Fatalf("docker save's config %s: %v", manifest[0].Config, err)
	}
	return cfg
}
