package main

import (
	"bytes"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"
)

// TestInfoCountsAndHost checks info's figures against the real ones: the
// containers made here in each state, the image store, and the host as the
// kernel reports it.
func TestInfoCountsAndHost(t *testing.T) {
	c := newCLI(t)
	c.ok("run", "-d", "--name", "up", "busybox", "sleep", "1000")
	c.ok("run", "-d", "--name", "frozen", "busybox", "sleep", "1000")
	c.ok("pause", "frozen")
	c.ok("create", "--name", "fresh", "busybox", "true")
	c.ok("run", "--name", "done", "busybox", "true")
	imgs := len(strings.Fields(c.ok("images", "-aq")))
	got := c.ok("info", "--format", "{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}}")
	if want := "4 1 1 2 " + strconv.Itoa(imgs) + "\n"; got != want {
		t.Errorf("info counts: %q, want %q", got, want)
	}
	var u unix.Utsname
	unix.Uname(&u)
	var si unix.Sysinfo_t
	unix.Sysinfo(&si)
	var sfs unix.Statfs_t
	unix.Statfs("/sys/fs/cgroup", &sfs)
	cgv := "1"
	if sfs.Type == unix.CGROUP2_SUPER_MAGIC {
		cgv = "2"
	}
	want := map[string]string{
		"NCPU": strconv.Itoa(runtime.NumCPU()), "KernelVersion": unix.ByteSliceToString(u.Release[:]),
		"Architecture": unix.ByteSliceToString(u.Machine[:]), "MemTotal": strconv.FormatUint(uint64(si.Totalram)*uint64(si.Unit), 10),
		"CgroupVersion": cgv, "CgroupDriver": "cgroupfs", "Driver": "overlay2", "DockerRootDir": c.root,
		"OperatingSystem": prettyName(t), "OSType": "linux",
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(c.ok("system", "info", "--format", "json")), &info); err != nil {
		t.Fatalf("info json: %v", err)
	}
	for k, w := range want {
		if g := jsonText(info[k]); g != w {
			t.Errorf("info %s = %q, want %q", k, g, w)
		}
	}
	sec := jsonText(info["SecurityOptions"])
	for _, o := range []string{"name=seccomp,profile=builtin"} {
		if !strings.Contains(sec, o) {
			t.Errorf("security options %s lack %s", sec, o)
		}
	}
	text := c.ok("info")
	for _, w := range []string{"\nServer:\n Containers: 4\n  Running: 1\n  Paused: 1\n  Stopped: 2\n Images: " + strconv.Itoa(imgs) + "\n",
		"\n Cgroup Version: " + cgv + "\n", "\n CPUs: " + strconv.Itoa(runtime.NumCPU()) + "\n", "\n Docker Root Dir: " + c.root + "\n",
		" Security Options:\n  seccomp\n   Profile: builtin\n"} {
		if !strings.Contains(text, w) {
			t.Errorf("info lacks %q:\n%s", w, text)
		}
	}
}

func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func prettyName(t *testing.T) string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Skip("no /etc/os-release")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func TestPrintInfoLayout(t *testing.T) {
	i := &system.Info{Containers: 4, ContainersRunning: 1, ContainersPaused: 1, ContainersStopped: 2, Images: 3,
		ServerVersion: "1.2.3", Driver: "overlay2", DriverStatus: [][2]string{{"Backing Filesystem", "extfs"}},
		CgroupDriver: "cgroupfs", CgroupVersion: "1", NCPU: 2, MemTotal: 2 << 30,
		SecurityOptions: []string{"name=seccomp,profile=builtin", "name=cgroupns"}, Warnings: []string{"WARNING: No swap limit support"}}
	var out, errOut bytes.Buffer
	printInfo(&out, &errOut, infoView{Info: i, ClientInfo: &infoClient{Version: "1.2.3"}})
	for _, w := range []string{"Client:\n Version:    1.2.3\n Debug Mode: false\n\nServer:\n Containers: 4\n  Running: 1\n  Paused: 1\n  Stopped: 2\n Images: 3\n",
		" Storage Driver: overlay2\n  Backing Filesystem: extfs\n", " Cgroup Version: 1\n",
		" Security Options:\n  seccomp\n   Profile: builtin\n  cgroupns\n", " CPUs: 2\n Total Memory: 2GiB\n"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("info lacks %q:\n%s", w, out.String())
		}
	}
	if errOut.String() != "WARNING: No swap limit support\n" {
		t.Errorf("warnings: %q", errOut.String())
	}
	var b bytes.Buffer
	if err := printOne(&b, "{{.Containers}} {{.CgroupVersion}} {{.ClientInfo.Version}}", infoView{Info: i, ClientInfo: &infoClient{Version: "1.2.3"}}); err != nil || b.String() != "4 1 1.2.3\n" {
		t.Errorf("info --format: %q %v", b.String(), err)
	}
}
