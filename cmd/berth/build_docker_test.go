package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Side by side with Docker's classic builder: each Dockerfile of
// dockerBuildCases is built by berth and by a private dockerd (startDockerd,
// dockerd_test.go: in network and mount namespaces of its own, never the
// host's Docker) with DOCKER_BUILDKIT=0, from the same context and
// the same busybox (berth's, loaded with berth save | docker load). The image
// configs must agree, and so must the files (content, mode, owner, link
// target) of containers created from each image, exported; where the classic
// builder and BuildKit differ and berth follows BuildKit (a case's
// buildkitOwners), berth must give what BuildKit gives, and the test checks
// that BuildKit does (through Debian's docker 20.10 CLI). Then berth's image
// goes through berth save | docker load and must run under Docker as the
// image Docker built does, with the same config.

// cmpConfigKeys are the config fields compared.
var cmpConfigKeys = []string{"Cmd", "Entrypoint", "Env", "User", "WorkingDir", "ExposedPorts", "Volumes",
	"Labels", "Healthcheck", "StopSignal", "Shell", "OnBuild"}

// runtimePaths are what a container's runtime adds to its filesystem (Docker's
// init layer, berth's mount points), not what the build made.
var runtimePaths = []string{".dockerenv", "dev", "proc", "sys", "etc/hosts", "etc/hostname", "etc/resolv.conf", "etc/mtab"}

func TestBuildSideBySideWithDocker(t *testing.T) {
	requireDockerd(t)
	c := newCLI(t)
	d := startDockerd(t)
	d.loadFromBerth(c, "busybox")
	ctxDir := writeContext(t, dockerBuildContext)
	for _, tc := range dockerBuildCases {
		t.Run(tc.name, func(t *testing.T) {
			parent := c.t
			c.t, d.t = t, t
			defer func() { c.t, d.t = parent, parent }()
			compareBuild(t, c, d, ctxDir, tc)
		})
	}
}

// compareBuild builds tc with both builders and compares the results.
func compareBuild(t *testing.T, c *cli, d *dockerDaemon, ctxDir string, tc dockerBuildCase) {
	df := filepath.Join(ctxDir, "Dockerfile")
	tag := "cmp-" + tc.name
	if tc.base != "" {
		writeFile(t, df, tc.base)
		c.ok("build", "-q", "-t", "cmp-base", ctxDir)
		dockerBuild(t, d, ctxDir, "cmp-base", nil)
	}
	writeFile(t, df, tc.dockerfile)
	c.ok(append(append([]string{"build", "-q", "-t", tag}, tc.args...), ctxDir)...)
	berthCfg := configOf(t, c.ok("image", "inspect", "--format", "{{json .Config}}", tag))
	if tc.classicFails != "" {
		// The documented exception: check berth against the expected values
		// and that Docker's classic builder still refuses.
		if _, err := dockerBuildErr(d, ctxDir, tag, tc.args); err == nil || !strings.Contains(err.Error(), tc.classicFails) {
			t.Errorf("docker's classic builder: %v, want an error with %q", err, tc.classicFails)
		}
		for k, want := range tc.want {
			if !reflect.DeepEqual(berthCfg[k], want) {
				t.Errorf("%s: berth %v, want %v", k, berthCfg[k], want)
			}
		}
		return
	}
	dockerBuild(t, d, ctxDir, tag, tc.args)
	dockerCfg := configOf(t, d.ok(nil, "image", "inspect", "--format", "{{json .Config}}", tag))
	for _, k := range cmpConfigKeys {
		if !reflect.DeepEqual(normalEmpty(dockerCfg[k]), normalEmpty(berthCfg[k])) {
			t.Errorf("config %s: docker %s, berth %s", k, jsonOf(dockerCfg[k]), jsonOf(berthCfg[k]))
		}
	}
	berthFiles, dockerFiles := exportBerth(t, c, tag), exportDocker(t, d, tag)
	checkBuildKitOwners(t, d, ctxDir, tag, tc)
	for name, want := range tc.buildkitOwners {
		be, de := berthFiles[name], dockerFiles[name]
		if got := [2]int{be.UID, be.GID}; got != want {
			t.Errorf("file %s: berth's owner %v, want BuildKit's %v", name, got, want)
		}
		de.UID, de.GID = be.UID, be.GID
		dockerFiles[name] = de
	}
	compareFiles(t, berthFiles, dockerFiles)
	t.Logf("%d config fields and %d files compared", len(cmpConfigKeys), len(dockerFiles))
	runUnderDocker(t, c, d, tag, dockerCfg)
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dockerBuild builds with Docker's classic builder (no network: the private
// daemon has no bridge).
func dockerBuild(t *testing.T, d *dockerDaemon, dir, tag string, args []string) {
	t.Helper()
	if out, err := dockerBuildErr(d, dir, tag, args); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func dockerBuildErr(d *dockerDaemon, dir, tag string, args []string) (string, error) {
	build := append(append([]string{"build", "-q", "--network", "none", "-t", tag}, args...), dir)
	return runCLI(d.cliCommand("docker", []string{"DOCKER_BUILDKIT=0"}, build...), nil)
}

// buildKitCLI is Debian's docker 20.10 CLI, which drives dockerd's built-in
// BuildKit without the buildx plugin a newer CLI needs.
const buildKitCLI = "/usr/bin/docker"

// checkBuildKitOwners checks tc's buildkitOwners against what BuildKit
// itself makes of the Dockerfile, when Debian's docker 20.10 CLI is there.
func checkBuildKitOwners(t *testing.T, d *dockerDaemon, dir, tag string, tc dockerBuildCase) {
	t.Helper()
	if len(tc.buildkitOwners) == 0 {
		return
	}
	if v, err := exec.Command(buildKitCLI, "--version").Output(); err != nil || !strings.Contains(string(v), "version 20.") {
		t.Logf("no docker 20.10 CLI at %s: the BuildKit owners are not checked against BuildKit", buildKitCLI)
		return
	}
	bk := tag + "-buildkit"
	cmd := d.cliCommand(buildKitCLI, []string{"DOCKER_BUILDKIT=1"}, "build", "-q", "--network", "none", "-t", bk, dir)
	if _, err := runCLI(cmd, nil); err != nil {
		t.Fatalf("BuildKit build: %v", err)
	}
	defer d.ok(nil, "rmi", bk)
	files := exportDocker(t, d, bk)
	for name, want := range tc.buildkitOwners {
		if got := [2]int{files[name].UID, files[name].GID}; got != want {
			t.Errorf("file %s: BuildKit gives owner %v, the test expects %v", name, got, want)
		}
	}
}

func configOf(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("config %q: %v", s, err)
	}
	return m
}

// normalEmpty makes an empty map, list or string nil: Docker and berth may
// write either for "unset".
func normalEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return nil
		}
	case []any:
		if len(x) == 0 {
			return nil
		}
	case string:
		if x == "" {
			return nil
		}
	}
	return v
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// fileEntry is what is compared of one file of an exported filesystem.
type fileEntry struct {
	Type      byte
	Mode      int64
	UID, GID  int
	Size      int64
	Sum, Link string
}

// exportBerth creates a container from tag in berth and reads its export.
func exportBerth(t *testing.T, c *cli, tag string) map[string]fileEntry {
	t.Helper()
	id := strings.TrimSpace(c.ok("create", tag))
	defer c.ok("rm", id)
	out, errOut, code := c.run("", "export", id)
	if code != 0 {
		t.Fatalf("berth export: %s", errOut)
	}
	return readExport(t, strings.NewReader(out))
}

// exportDocker creates a container from tag in dockerd and reads its export.
func exportDocker(t *testing.T, d *dockerDaemon, tag string) map[string]fileEntry {
	t.Helper()
	id := strings.TrimSpace(d.ok(nil, "create", "--network", "none", tag))
	defer d.ok(nil, "rm", id)
	return readExport(t, strings.NewReader(d.ok(nil, "export", id)))
}

// readExport reads a filesystem tar into path → entry, leaving out runtimePaths.
func readExport(t *testing.T, r io.Reader) map[string]fileEntry {
	t.Helper()
	out := map[string]fileEntry{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read export: %v", err)
		}
		name := strings.Trim(strings.TrimPrefix(hdr.Name, "./"), "/")
		if name == "" || slices.ContainsFunc(runtimePaths, func(p string) bool { return name == p || strings.HasPrefix(name, p+"/") }) {
			continue
		}
		e := fileEntry{Type: hdr.Typeflag, Mode: hdr.Mode & 0o7777, UID: hdr.Uid, GID: hdr.Gid, Link: hdr.Linkname}
		if e.Type == tar.TypeRegA {
			e.Type = tar.TypeReg
		}
		if e.Type == tar.TypeReg {
			h := sha256.New()
			n, err := io.Copy(h, tr)
			if err != nil {
				t.Fatal(err)
			}
			e.Size, e.Sum = n, hex.EncodeToString(h.Sum(nil))[:12]
		}
		if e.Type == tar.TypeLink { // which name of a hard-linked file comes first is the writer's choice
			e.Type, e.Link = tar.TypeReg, ""
			e.Size, e.Sum = out[strings.TrimPrefix(hdr.Linkname, "./")].Size, out[strings.TrimPrefix(hdr.Linkname, "./")].Sum
		}
		out[name] = e
	}
}

// compareFiles reports each path whose entry differs or that one side lacks.
func compareFiles(t *testing.T, berth, docker map[string]fileEntry) {
	t.Helper()
	var diffs []string
	for name, de := range docker {
		if be, ok := berth[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: only docker has it (%+v)", name, de))
		} else if be != de {
			diffs = append(diffs, fmt.Sprintf("%s: docker %+v, berth %+v", name, de, be))
		}
	}
	for name, be := range berth {
		if _, ok := docker[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: only berth has it (%+v)", name, be))
		}
	}
	slices.Sort(diffs)
	for _, d := range diffs {
		t.Errorf("file %s", d)
	}
}

// runUnderDocker loads berth's image into dockerd under another name and
// checks that Docker sees its config as berth does and runs it as it runs
// the image it built itself.
func runUnderDocker(t *testing.T, c *cli, d *dockerDaemon, tag string, dockerCfg map[string]any) {
	t.Helper()
	mine := "berth-made-" + strings.TrimPrefix(tag, "cmp-")
	c.ok("tag", tag, mine)
	d.loadFromBerth(c, mine)
	loaded := configOf(t, d.ok(nil, "image", "inspect", "--format", "{{json .Config}}", mine))
	berthCfg := configOf(t, c.ok("image", "inspect", "--format", "{{json .Config}}", mine))
	for _, k := range []string{"Cmd", "Entrypoint", "Env", "User", "WorkingDir", "Healthcheck"} {
		if !reflect.DeepEqual(normalEmpty(loaded[k]), normalEmpty(berthCfg[k])) {
			t.Errorf("after docker load, %s: docker %s, berth %s", k, jsonOf(loaded[k]), jsonOf(berthCfg[k]))
		}
	}
	want, errW := d.docker(nil, "run", "--rm", "--network", "none", tag)
	got, errG := d.docker(nil, "run", "--rm", "--network", "none", mine)
	if got != want || (errW == nil) != (errG == nil) {
		t.Errorf("docker run of berth's image: %q (%v), of docker's: %q (%v)", got, errG, want, errW)
	}
	d.ok(nil, "rmi", mine)
}
