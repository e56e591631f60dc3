package main

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestServeNetworkRmStoppedMembers: as with dockerd, a network that only
// stopped containers are attached to can be removed (docker CLI and berth
// CLI): their endpoints (veth, address) are freed; one a running container
// uses is refused with dockerd's text; the stopped container's next start
// fails naming the removed network, and a restart of one whose network is
// still there reconnects it.
func TestServeNetworkRmStoppedMembers(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	id := strings.TrimSpace(s.dockerOK("network", "create", "fixnet1"))
	bridge := "br-" + id[:12]
	s.dockerOK("run", "--name", "gone1", "--network", "fixnet1", "busybox", "true")
	s.dockerOK("network", "rm", "fixnet1")
	wantNetworkGone(t, id, bridge)
	// Again, a few times: the rm comes while the monitor of the container
	// whose wait just answered may still be finishing, and while serve's
	// end watcher may be releasing it.
	for i := range 5 {
		s.dockerOK("network", "create", "fixnet1b")
		s.dockerOK("run", "--rm", "--network", "fixnet1b", "busybox", "true")
		s.dockerOK("run", "--name", fmt.Sprintf("gone1b%d", i), "--network", "fixnet1b", "busybox", "true")
		s.dockerOK("network", "rm", "fixnet1b")
	}
	if _, errOut, code := s.docker("", "start", "gone1"); code == 0 || !strings.Contains(errOut, "network fixnet1 not found") {
		t.Errorf("start of a container whose network was removed: exit %d %q", code, errOut)
	}

	// The berth CLI, with a container stopped by stop, and one still running.
	id = strings.TrimSpace(s.ok("network", "create", "fixnet2"))
	s.ok("run", "-d", "--name", "up2", "--network", "fixnet2", "busybox", "sleep", "600")
	s.ok("run", "-d", "--name", "down2", "--network", "fixnet2", "busybox", "sleep", "600")
	s.ok("stop", "-t", "0", "down2")
	want := "error while removing network: network fixnet2 id " + id + " has active endpoints"
	if _, errOut, code := s.run("", "network", "rm", "fixnet2"); code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("berth network rm of a network in use: exit %d %q, want %q", code, errOut, want)
	}
	s.ok("start", "down2") // its endpoint, freed or not, is there again
	if out := s.ok("exec", "down2", "ip", "-o", "-4", "addr", "show", "eth0"); !strings.Contains(out, "inet ") {
		t.Errorf("down2 has no address after its start: %q", out)
	}
	s.ok("stop", "-t", "0", "up2", "down2")
	s.ok("network", "rm", "fixnet2")
	wantNetworkGone(t, id, "br-"+id[:12])
	if _, errOut, code := s.run("", "start", "down2"); code == 0 || !strings.Contains(errOut, "network fixnet2 not found") {
		t.Errorf("berth start of a container whose network was removed: exit %d %q", code, errOut)
	}
}

// TestServeLogsTailNotANumber: as dockerd 20.10, a tail that is not a
// number, or is negative, means every line; 0 means none.
func TestServeLogsTailNotANumber(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("run", "--name", "lines", "busybox", "sh", "-c", "echo a; echo b; echo c")
	for tail, want := range map[string]string{"abc": "a\nb\nc\n", "-1": "a\nb\nc\n", "1.5": "a\nb\nc\n", "0": "", "2": "b\nc\n"} {
		if got := s.dockerOK("logs", "--tail", tail, "lines"); got != want {
			t.Errorf("docker logs --tail %s: %q, want %q", tail, got, want)
		}
	}
}

// TestServeTmpfsNotInMounts: as dockerd, a --tmpfs mount shows only in
// HostConfig.Tmpfs, not in .Mounts (a --mount type=tmpfs shows in both
// .Mounts and HostConfig.Mounts); it is still mounted.
func TestServeTmpfsNotInMounts(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("create", "--name", "mt1", "--mount", "type=tmpfs,dst=/y", "--tmpfs", "/x:size=1m", "busybox", "true")
	got := s.dockerOK("inspect", "-f", "{{json .Mounts}} {{json .HostConfig.Tmpfs}} {{json .HostConfig.Mounts}}", "mt1")
	want := `[{"Type":"tmpfs","Source":"","Destination":"/y","Mode":"","RW":true,"Propagation":""}] {"/x":"size=1m"} [{"Type":"tmpfs","Target":"/y"}]` + "\n"
	if got != want {
		t.Errorf("inspect of --tmpfs /x --mount type=tmpfs,dst=/y:\n got %s want %s", got, want)
	}
	if out := s.dockerOK("run", "--rm", "--tmpfs", "/x", "busybox", "grep", " /x ", "/proc/mounts"); !strings.HasPrefix(out, "tmpfs /x tmpfs") {
		t.Errorf("--tmpfs /x is not mounted: %q", out)
	}
}

// TestServeCreateBusyPortFailsAtStart: as dockerd, create with a host port
// something on the host holds succeeds, and start fails naming the port
// (dockerd's address-in-use error); nothing of the failed start is left, and
// the container starts once the port is free.
func TestServeCreateBusyPortFailsAtStart(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	s.dockerOK("create", "--name", "busyport", "-p", port+":80", "busybox", "sleep", "600")
	_, errOut, code := s.docker("", "start", "busyport")
	want := "Error starting userland proxy: listen tcp4 0.0.0.0:" + port + ": bind: address already in use"
	if code == 0 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "driver failed programming external connectivity on endpoint busyport") {
		t.Errorf("start with host port %s taken: exit %d %q, want %q", port, code, errOut, want)
	}
	if out := s.dockerOK("inspect", "-f", "{{.State.Status}}", "busyport"); out != "created\n" {
		t.Errorf("state after the failed start: %q", out)
	}
	if _, errOut, code := s.run("", "run", "--rm", "-p", port+":80", "busybox", "true"); code != 125 || !strings.Contains(errOut, "address already in use") {
		t.Errorf("berth run --rm with host port %s taken: exit %d %q", port, code, errOut)
	}
	l.Close()
	s.dockerOK("start", "busyport")
	if out := s.dockerOK("port", "busyport"); !strings.Contains(out, "80/tcp -> 0.0.0.0:"+port) {
		t.Errorf("docker port after the start: %q", out)
	}
}

// TestServeInspectPidsLimitAndSystemPaths: as dockerd, HostConfig.PidsLimit
// is null unless a limit is set, and MaskedPaths/ReadonlyPaths list the
// paths the container's spec masks and makes read-only: for a plain
// container those of its /proc, empty with systempaths=unconfined, null
// for a privileged one.
func TestServeInspectPidsLimitAndSystemPaths(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("run", "-d", "--name", "plain", "busybox", "sleep", "600")
	s.dockerOK("create", "--name", "limited", "--pids-limit", "50", "busybox", "true")
	s.dockerOK("create", "--name", "nolimit", "--pids-limit", "-1", "busybox", "true")
	s.dockerOK("create", "--name", "priv", "--privileged", "busybox", "true")
	s.dockerOK("create", "--name", "unmasked", "--security-opt", "systempaths=unconfined", "busybox", "true")
	masked := s.dockerOK("inspect", "-f", `{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}`, "plain")
	for name, want := range map[string]string{"plain": "null", "limited": "50", "nolimit": "null"} {
		if got := s.dockerOK("inspect", "-f", "{{json .HostConfig.PidsLimit}}", name); got != want+"\n" {
			t.Errorf("%s: PidsLimit %q, want %s", name, got, want)
		}
	}
	for name, want := range map[string]string{"limited": masked, "priv": "null null\n", "unmasked": "[] []\n"} {
		if got := s.dockerOK("inspect", "-f", `{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}`, name); got != want {
			t.Errorf("%s: MaskedPaths ReadonlyPaths %q, want %q", name, got, want)
		}
	}
	// The lists are what the container really has masked and read-only.
	f := strings.Fields(strings.NewReplacer("[", " ", "]", " ", ",", " ", `"`, "").Replace(masked))
	if len(f) < 10 || !strings.Contains(masked, `"/proc/kcore"`) || !strings.Contains(masked, `"/proc/sys"`) {
		t.Fatalf("MaskedPaths ReadonlyPaths of a plain container: %q", masked)
	}
	mounts := s.dockerOK("exec", "plain", "cat", "/proc/mounts")
	for _, p := range f {
		if !strings.Contains(mounts, " "+p+" ") {
			if _, _, code := s.docker("", "exec", "plain", "test", "-e", p); code == 0 {
				t.Errorf("%s is listed but not masked or read-only in the container", p)
			}
		}
	}
}

// TestServeImportMessage: as dockerd, `docker import -m MSG` (and berth
// import -m) makes MSG the image's Comment and its history entry's; without
// -m both are "Imported from -".
func TestServeImportMessage(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	tarball := filepath.Join(t.TempDir(), "fs.tar")
	if out, err := exec.Command("tar", "-C", "/etc", "-cf", tarball, "hostname").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	s.dockerOK("import", "-m", "my message", tarball, "imp1:v")
	s.ok("import", "--message", "berth's message", tarball, "imp2:v")
	s.dockerOK("import", tarball, "imp3:v")
	for ref, want := range map[string]string{"imp1:v": "my message", "imp2:v": "berth's message", "imp3:v": "Imported from -"} {
		if got := s.dockerOK("image", "inspect", "-f", "{{.Comment}}", ref); got != want+"\n" {
			t.Errorf("%s: Comment %q, want %q", ref, got, want)
		}
		if got := s.dockerOK("history", "--no-trunc", "--format", "{{.Comment}}", ref); got != want+"\n" {
			t.Errorf("%s: history comment %q, want %q", ref, got, want)
		}
	}
}

// TestServePushPerLayer: as dockerd, docker push reports each layer by the
// short form of its diff ID: "Pushed" when uploaded, "Layer already exists"
// when the registry has it, then the digest line.
func TestServePushPerLayer(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	host := startRegistry(t, "", "")
	s.ok("run", "--name", "two", "busybox", "sh", "-c", "echo more > /more")
	s.ok("commit", "two", host+"/team/two:v1")
	var layers []string
	for _, l := range strings.Fields(strings.Trim(s.dockerOK("image", "inspect", "-f", "{{range .RootFS.Layers}}{{.}} {{end}}", host+"/team/two:v1"), "\n")) {
		layers = append(layers, strings.TrimPrefix(l, "sha256:")[:12])
	}
	if len(layers) != 2 {
		t.Fatalf("the committed image has layers %v, want 2", layers)
	}
	s.dockerOK("tag", "busybox", host+"/team/two:base")
	out := s.dockerOK("push", host+"/team/two:base")
	if !strings.Contains(out, layers[0]+": Pushed\n") || strings.Contains(out, layers[1]) || !strings.Contains(out, "base: digest: sha256:") {
		t.Errorf("docker push of busybox (layer %s): %q", layers[0], out)
	}
	out = s.dockerOK("push", host+"/team/two:v1")
	for _, want := range []string{"The push refers to repository [" + host + "/team/two]\n", layers[0] + ": Layer already exists\n",
		layers[1] + ": Pushed\n", "v1: digest: sha256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker push of the committed image lacks %q: %q", want, out)
		}
	}
	if strings.Index(out, layers[1]+": Pushed") > strings.Index(out, "v1: digest:") {
		t.Errorf("the digest line comes before a layer's: %q", out)
	}
}

// TestServeGroupAdd: as dockerd, --group-add adds GIDs (numbers, or names
// looked up in the container's /etc/group) to the process's supplementary
// groups, exec's too, and shows in HostConfig.GroupAdd; an unknown name
// fails the start naming it. docker CLI, docker-py and the berth CLI.
func TestServeGroupAdd(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	// busybox's root is in wheel (10); mail is 12.
	if got := s.dockerOK("run", "--rm", "--group-add", "123", "--group-add", "mail", "busybox", "id", "-G"); got != "0 10 12 123\n" {
		t.Errorf("docker run --group-add 123 --group-add mail: id -G %q", got)
	}
	if got := s.ok("run", "--rm", "--user", "1000", "--group-add", "44", "busybox", "id", "-G"); got != "0 44\n" {
		t.Errorf("berth run --user 1000 --group-add 44: id -G %q", got)
	}
	s.dockerOK("run", "-d", "--name", "grp", "--group-add", "77", "busybox", "sleep", "600")
	if got := s.dockerOK("exec", "grp", "id", "-G"); got != "0 10 77\n" {
		t.Errorf("docker exec: id -G %q", got)
	}
	if got := s.dockerOK("exec", "-u", "1000", "grp", "id", "-G"); got != "0 77\n" {
		t.Errorf("docker exec -u 1000: id -G %q", got)
	}
	if got := s.dockerOK("inspect", "-f", "{{json .HostConfig.GroupAdd}}", "grp"); got != `["77"]`+"\n" {
		t.Errorf("HostConfig.GroupAdd: %q", got)
	}
	// "Unable to find group" in dockerd 20.10, "unable" in current Docker.
	_, errOut, code := s.docker("", "run", "--rm", "--group-add", "nosuch", "busybox", "true")
	if code == 0 || !strings.Contains(errOut, "nable to find group nosuch: no matching entries in group file") {
		t.Errorf("docker run --group-add nosuch: exit %d %q", code, errOut)
	}
	out, errOut, code := s.python(`import docker; c=docker.from_env(); print(c.containers.run("busybox", "id -G", group_add=["5", "mail"], remove=True).decode().strip())`)
	if code != 0 || out != "0 5 10 12\n" {
		t.Errorf("docker-py group_add: exit %d %q %q", code, out, errOut)
	}
}

// TestServeRmRunningNamesID: as dockerd, the removal of a running or paused
// container is refused naming it by ID, with dockerd's advice.
func TestServeRmRunningNamesID(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	id := strings.TrimSpace(s.dockerOK("run", "-d", "--name", "busy", "busybox", "sleep", "600"))
	want := "You cannot remove a running container " + id + ". Stop the container before attempting removal or force remove"
	if _, errOut, code := s.docker("", "rm", "busy"); code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("docker rm of a running container: exit %d %q, want %q", code, errOut, want)
	}
	if _, errOut, code := s.run("", "rm", "busy"); code == 0 || errOut != "berth: "+want+"\n" {
		t.Errorf("berth rm of a running container: exit %d %q, want %q", code, errOut, want)
	}
	s.dockerOK("pause", "busy")
	want = "You cannot remove a paused container " + id + ". Unpause and then stop the container before attempting removal or force remove"
	if _, errOut, code := s.docker("", "rm", "busy"); code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("docker rm of a paused container: exit %d %q, want %q", code, errOut, want)
	}
	s.dockerOK("rm", "-f", "busy")
}

// TestServeRmiInUseNamesContainer: as dockerd, the removal of the last tag
// of an image a container was made from is refused naming the container by
// its short ID.
func TestServeRmiInUseNamesContainer(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	id := strings.TrimSpace(s.dockerOK("create", "busybox", "true"))
	img := strings.TrimPrefix(strings.TrimSpace(s.dockerOK("image", "inspect", "-f", "{{.Id}}", "busybox")), "sha256:")
	want := `conflict: unable to remove repository reference "busybox" (must force) - container ` + id[:12] + " is using its referenced image " + img[:12]
	if _, errOut, code := s.docker("", "rmi", "busybox"); code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("docker rmi of an image in use: exit %d %q, want %q", code, errOut, want)
	}
	if _, errOut, code := s.run("", "rmi", "busybox"); code == 0 || errOut != "berth: "+want+"\n" {
		t.Errorf("berth rmi of an image in use: exit %d %q, want %q", code, errOut, want)
	}
}
