package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"

	"berth/engine"
)

// stampFlags are the -ldflags the Makefile gives bin/berth, for binaries the
// tests build themselves.
func stampFlags() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	return "-X berth/engine.buildCommit=" + strings.TrimSpace(string(out))
}

func TestVersionVerb(t *testing.T) {
	c := newCLI(t)
	out := c.ok("version")
	// Labels and values line up at column 20, as docker version's do.
	col := func(label string) string { return label + strings.Repeat(" ", 20-len(label)) }
	for _, want := range []string{"Client: berth\n" + col(" Version:"), "\n" + col(" API version:") + "1.56\n",
		"\n" + col(" Go version:") + runtime.Version() + "\n", "\n" + col(" OS/Arch:") + runtime.GOOS + "/" + runtime.GOARCH + "\n",
		"\n\nServer: berth\n Engine:\n" + col("  Version:"), "\n" + col("  Experimental:") + "false\n", "\n runc:\n" + col("  Version:") + "v"} {
		if !strings.Contains(out, want) {
			t.Errorf("version lacks %q:\n%s", want, out)
		}
	}
	got := c.ok("version", "--format", "{{.Client.Version}}|{{.Server.Version}}|{{.Client.GitCommit}}|{{.Server.GoVersion}}")
	f := strings.Split(strings.TrimSpace(got), "|")
	if len(f) != 4 || f[0] == "" || f[0] != f[1] || f[3] != runtime.Version() {
		t.Fatalf("version --format: %q", got)
	}
	// The commit is one of this repository's.
	if err := exec.Command("git", "cat-file", "-e", f[2]+"^{commit}").Run(); f[2] == "" || err != nil {
		t.Errorf("git commit %q is not a commit of this repository (%v)", f[2], err)
	}
	if got := c.ok("--version"); got != "berth version "+f[0]+", build "+f[2]+"\n" {
		t.Errorf("--version: %q", got)
	}
	var v struct {
		Client struct{ Version, GitCommit string }
		Server struct {
			Version, KernelVersion string
			Components             []struct{ Name string }
		}
	}
	if err := json.Unmarshal([]byte(c.ok("version", "--format", "{{json .}}")), &v); err != nil {
		t.Fatalf("version --format json: %v", err)
	}
	if v.Server.Version != f[0] || v.Server.KernelVersion != kernelRelease(t) || len(v.Server.Components) == 0 || v.Server.Components[0].Name != "Engine" {
		t.Errorf("version json: %+v", v)
	}
}

func kernelRelease(t *testing.T) string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	return unix.ByteSliceToString(u.Release[:])
}

func testVersionView() versionView {
	return versionView{
		Client: newClientVersion(engine.Build{Version: "1.2.3", GitCommit: "abc1234", BuildTime: "2026-01-02T03:04:05Z",
			GoVersion: "go1.26.8", Os: "linux", Arch: "amd64"}),
		Server: &system.VersionResponse{Platform: system.PlatformInfo{Name: "berth"}, Version: "1.2.3",
			Components: []system.ComponentVersion{
				{Name: "Engine", Version: "1.2.3", Details: map[string]string{"ApiVersion": "1.56", "GoVersion": "go1.26.8",
					"GitCommit": "abc1234", "BuildTime": "2026-01-02T03:04:05Z", "Os": "linux", "Arch": "amd64", "Experimental": "false"}},
				{Name: "runc", Version: "v1.5.2", Details: map[string]string{"Zed": "z", "GitCommit": "g"}},
			}},
	}
}

func TestPrintVersionLayout(t *testing.T) {
	var b bytes.Buffer
	if err := printVersion(&b, "", testVersionView()); err != nil {
		t.Fatal(err)
	}
	want := `Client: berth
 Version:           1.2.3
 API version:       1.56
 Go version:        go1.26.8
 Git commit:        abc1234
 Built:             Fri Jan  2 03:04:05 2026
 OS/Arch:           linux/amd64

Server: berth
 Engine:
  Version:          1.2.3
  API version:      1.56
  Go version:       go1.26.8
  Git commit:       abc1234
  Built:            Fri Jan  2 03:04:05 2026
  OS/Arch:          linux/amd64
  Experimental:     false
 runc:
  Version:          v1.5.2
  GitCommit:        g
  Zed:              z
`
	if b.String() != want {
		t.Errorf("version layout:\n%s\nwant\n%s", b.String(), want)
	}
}

func TestPrintVersionFormat(t *testing.T) {
	tests := []struct{ format, want string }{
		{"{{.Client.Version}}", "1.2.3\n"},
		{"{{.Server.Version}} {{.Client.GitCommit}}", "1.2.3 abc1234\n"},
		{"{{.Client.BuildTime}}", "Fri Jan  2 03:04:05 2026\n"},
		{"{{(index .Server.Components 1).Name}}", "runc\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := printVersion(&b, tt.format, testVersionView()); err != nil || b.String() != tt.want {
			t.Errorf("%s: %q %v, want %q", tt.format, b.String(), err, tt.want)
		}
	}
	var b bytes.Buffer
	if err := printVersion(&b, "json", testVersionView()); err != nil || !strings.HasPrefix(b.String(), `{"Client":{"Platform":{"Name":"berth"},"Version":"1.2.3","ApiVersion":"1.56"`) {
		t.Errorf("json: %q %v", b.String(), err)
	}
	if err := printVersion(&b, "{{.Nope", testVersionView()); err == nil {
		t.Error("a bad template was accepted")
	}
}

func TestVersionHelpers(t *testing.T) {
	if got := versionLine(engine.Build{Version: "1.0", GitCommit: "abc"}); got != "1.0, build abc" {
		t.Errorf("versionLine: %q", got)
	}
	if got := versionLine(engine.Build{Version: "dev"}); got != "dev" {
		t.Errorf("versionLine without commit: %q", got)
	}
	if got := reformatDate("not a date"); got != "not a date" {
		t.Errorf("reformatDate: %q", got)
	}
	if got := strings.Join(detailKeys(map[string]string{"b": "", "GitCommit": "", "a": ""}), ","); got != "GitCommit,a,b" {
		t.Errorf("detailKeys: %q", got)
	}
}
