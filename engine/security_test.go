package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"berth/engine"
)

// containment is one probe of the containment table: what secprobe
// (testdata/secprobe) tries, and what it must get in a default container and
// with --privileged. A want is an exact result, "ok" (any success), "!EPERM"
// (anything but EPERM: the permission check is lifted and the kernel refuses
// the deliberately invalid argument), or "" (never run privileged).
type containment struct {
	name      string
	def, priv string
}

// containmentProbes are the probes, in secprobe's order, with the results
// Docker gives on a host like this one; hostDisk and hostKmsg are what the
// host's root gets reading its disk and /dev/kmsg.
func containmentProbes(sysrq bool, hostDisk, hostKmsg string) []containment {
	sysrqDef, sysrqPriv := "EROFS", "ok"
	if !sysrq { // a kernel without CONFIG_MAGIC_SYSRQ has no trigger to protect
		sysrqDef, sysrqPriv = "ENOENT", "ENOENT"
	}
	own := "ok container-shadow" // the container's own /etc/shadow, never the host's
	return []containment{
		{"see host processes", "ok pids 1", "ok pids 1"},
		{"stat /proc/HOSTPID", "ENOENT", "ENOENT"},
		{"kill(HOSTPID, 0)", "ESRCH", "ESRCH"},
		{"ptrace(ATTACH, HOSTPID)", "ESRCH", "ESRCH"},
		{"mount(2) tmpfs", "EPERM", "ok"},
		{"init_module (invalid image)", "EPERM", "!EPERM"},
		{"write /proc/sys/net/ipv4/ip_forward", "EROFS", "ok"},
		{"write /sys/class/net/lo/mtu", "EROFS", "ok"},
		{"open /proc/sysrq-trigger for writing", sysrqDef, sysrqPriv},
		// Privileged, a device reads as it does for the host's root.
		{"read the host's disk (mknod b DISK)", "EPERM", hostDisk},
		{"read the kernel log (mknod c 1:11)", "EPERM", hostKmsg},
		{"sethostname", "EPERM", "ok"},
		{"set lo's MTU (SIOCSIFMTU)", "EPERM", "ok"},
		{"read /proc/1/root/etc/shadow", own, own},
		{"read /proc/HOSTPID/root/etc/shadow", "ENOENT", "ENOENT"},
		{"read bind/abs -> /etc/shadow", own, own},
		{"read bind/rel -> ../../../../etc/shadow", own, own},
		{"keyctl(GET_KEYRING_ID)", "EPERM", "ok"},
		{"unshare(CLONE_NEWUSER)", "EPERM", "ok"},
		{"setns (own net namespace)", "EPERM", "ok"},
		{"open_by_handle_at", "EPERM", "EINVAL"},
		{"bpf(MAP_CREATE)", "EPERM", "EINVAL"},
		{"clone3", "ENOSYS", "EINVAL"},
		{"clock_settime (unsettable clock)", "EPERM", "EINVAL"},
		{"reboot (wrong magic)", "EPERM", ""},
	}
}

func matches(got, want string) bool {
	switch want {
	case "ok":
		return got == "ok" || strings.HasPrefix(got, "ok ")
	case "!EPERM":
		return got != "EPERM" && got != "" && !strings.HasPrefix(got, "error ")
	}
	return got == want
}

// TestContainment runs every probe in a default and in a privileged busybox
// container, checks the results and what the host sees afterwards, and logs
// the table the README's "Containment" section shows.
func TestContainment(t *testing.T) {
	e := newEngine(t)
	probeDir := buildSecprobe(t)
	links := t.TempDir()
	for name, target := range map[string]string{"abs": "/etc/shadow", "rel": "../../../../etc/shadow"} {
		if err := os.Symlink(target, filepath.Join(links, name)); err != nil {
			t.Fatal(err)
		}
	}
	_, sysrqErr := os.Stat("/proc/sysrq-trigger")
	before := hostFacts(t)
	probes := containmentProbes(sysrqErr == nil, hostRead(diskNode(t, before.disk)), hostRead("/dev/kmsg"))
	results := map[bool]map[string]string{}
	for _, privileged := range []bool{false, true} {
		var skip []string
		for _, p := range probes {
			if privileged && p.priv == "" {
				skip = append(skip, p.name)
			}
		}
		o := opts("sh", "-c", `echo container-shadow > /etc/shadow && exec /probe/secprobe all "$@"`, "sh")
		o.Config.Cmd = append(o.Config.Cmd, skip...)
		o.Config.Env = []string{fmt.Sprintf("HOSTPID=%d", os.Getpid()), "DISK=" + before.disk}
		o.HostConfig.Privileged = privileged
		o.HostConfig.Mounts = []engine.MountSpec{
			{Type: "bind", Source: probeDir, Target: "/probe", ReadOnly: true},
			{Type: "bind", Source: links, Target: "/links", ReadOnly: true},
		}
		out, errOut, code := runAttached(t, e, o)
		if code != 0 {
			t.Fatalf("privileged=%v: secprobe exit %d: %s", privileged, code, errOut)
		}
		results[privileged] = parseProbeLines(out)
	}
	var table strings.Builder
	table.WriteString("| probe | default container | --privileged |\n|---|---|---|\n")
	for _, p := range probes {
		def, priv := results[false][p.name], results[true][p.name]
		if !matches(def, p.def) {
			t.Errorf("%s: default container got %q, want %q", p.name, def, p.def)
		}
		if p.priv == "" {
			priv = "not run"
		} else if !matches(priv, p.priv) {
			t.Errorf("%s: privileged container got %q, want %q", p.name, priv, p.priv)
		}
		if before.shadow != "" && (def == "ok "+before.shadow || priv == "ok "+before.shadow) {
			t.Errorf("%s: a container read the host's /etc/shadow", p.name)
		}
		fmt.Fprintf(&table, "| %s | %s | %s |\n", p.name, def, priv)
	}
	after := hostFacts(t)
	if after.hostname != before.hostname || after.lo != before.lo || after.uplink != before.uplink {
		t.Errorf("the host changed: before %+v, after %+v", before, after)
	}
	t.Logf("containment (this host, kernel %s):\n%s", kernelRelease(), table.String())
}

// buildSecprobe compiles testdata/secprobe statically into a directory of its own.
func buildSecprobe(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "secprobe"), "./testdata/secprobe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build secprobe: %v %s", err, out)
	}
	return dir
}

func parseProbeLines(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(l, "\t"); ok {
			m[k] = v
		}
	}
	return m
}

// hostState is what the probes must leave unchanged on the host.
type hostState struct {
	hostname   string
	lo, uplink string // name, MTU, flags and address of lo and the default route's link
	disk       string // major:minor of the root disk
	shadow     string // the host's /etc/shadow, trimmed
}

func hostFacts(t *testing.T) hostState {
	t.Helper()
	var h hostState
	var err error
	if h.hostname, err = os.Hostname(); err != nil {
		t.Fatal(err)
	}
	h.lo = linkState(t, "lo")
	if routes, _ := netlink.RouteList(nil, netlink.FAMILY_V4); len(routes) > 0 {
		for _, r := range routes {
			if r.Dst == nil && r.LinkIndex > 0 {
				if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
					h.uplink = linkState(t, l.Attrs().Name)
				}
				break
			}
		}
	}
	b, _ := os.ReadFile("/etc/shadow")
	h.shadow = strings.TrimSpace(string(b))
	h.disk = rootDisk(t)
	return h
}

func linkState(t *testing.T, name string) string {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("host link %s: %v", name, err)
	}
	a := l.Attrs()
	return fmt.Sprintf("%s mtu %d flags %s mac %s", a.Name, a.MTU, a.Flags, a.HardwareAddr)
}

// rootDisk is the block device holding the host's /, or the first disk the
// kernel lists when / is not on one (an overlay, a tmpfs).
func rootDisk(t *testing.T) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/", &st); err != nil {
		t.Fatal(err)
	}
	if maj := unix.Major(st.Dev); maj != 0 {
		return fmt.Sprintf("%d:%d", maj, unix.Minor(st.Dev))
	}
	b, _ := os.ReadFile("/proc/partitions")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[0] != "major" {
			return f[0] + ":" + f[1]
		}
	}
	t.Skip("the host has no block device for the disk probe")
	return ""
}

// diskNode is the host's /dev node of a block device.
func diskNode(t *testing.T, majMin string) string {
	t.Helper()
	b, err := os.ReadFile("/sys/dev/block/" + majMin + "/uevent")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(l, "DEVNAME="); ok {
			return "/dev/" + name
		}
	}
	t.Fatalf("no DEVNAME for block device %s", majMin)
	return ""
}

// hostRead reads a device as the host's root, the way secprobe does, and
// reports the outcome in secprobe's words.
func hostRead(path string) string {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == nil {
		_, err = unix.Read(fd, make([]byte, 8192))
		unix.Close(fd)
	}
	if errno, ok := err.(unix.Errno); ok {
		return unix.ErrnoName(errno)
	}
	return "ok"
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "?"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// TestSetuidGainsNothing runs a setuid-root copy of secprobe (in an image
// layer, with a root-only file beside it) as uid 1000 with --cap-drop ALL
// --read-only: under no-new-privileges it stays uid 1000 and reads nothing of
// root's; without it the same binary does become root, which shows the
// setuid bit is live and what the option withholds.
func TestSetuidGainsNothing(t *testing.T) {
	e := newEngine(t)
	setuidImage(t, e, buildSecprobe(t))
	const denied = "uid=1000 euid=1000 CapEff=0000000000000000 NoNewPrivs=1 secret=EACCES"
	tests := []struct {
		name     string
		capDrop  []string
		security []string
		want     string
	}{
		{"no-new-privileges", []string{"ALL"}, []string{"no-new-privileges"}, denied},
		{"default, as Docker: setuid works", []string{"ALL"}, nil,
			"uid=1000 euid=0 CapEff=0000000000000000 NoNewPrivs=0 secret=ok root-only"},
		{"no-new-privileges=false", []string{"ALL"}, []string{"no-new-privileges=false"},
			"uid=1000 euid=0 CapEff=0000000000000000 NoNewPrivs=0 secret=ok root-only"},
		{"no-new-privileges=false, default caps", nil, []string{"no-new-privileges=false"},
			"uid=1000 euid=0 CapEff=00000000a80425fb NoNewPrivs=0 secret=ok root-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := engine.CreateOptions{Config: engine.Config{Image: "setuid:test", Cmd: []string{"/suprobe", "ids"}, User: "1000:1000"}}
			o.HostConfig.CapDrop, o.HostConfig.ReadonlyRootfs, o.HostConfig.SecurityOpt = tt.capDrop, true, tt.security
			out, errOut, code := runAttached(t, e, o)
			if got := strings.TrimSpace(out); code != 0 || got != tt.want {
				t.Errorf("got %q (exit %d, %s), want %q", got, code, errOut, tt.want)
			}
		})
	}
}

// setuidImage imports an image holding secprobe as /suprobe, owned by root
// with the setuid bit, and /secret readable by root only.
func setuidImage(t *testing.T, e *engine.Engine, probeDir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(probeDir, "secprobe"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "suprobe", Mode: 0o4755, Size: int64(len(b)), Typeflag: tar.TypeReg})
	tw.Write(b)
	tw.WriteHeader(&tar.Header{Name: "secret", Mode: 0o600, Size: 10, Typeflag: tar.TypeReg})
	tw.Write([]byte("root-only\n"))
	tw.Close()
	if _, err := e.Images().Import(context.Background(), &buf, "setuid:test", `CMD ["/suprobe", "ids"]`); err != nil {
		t.Fatal(err)
	}
}

// TestSecurityOpts checks each --security-opt in a running container and in
// the container's record.
func TestSecurityOpts(t *testing.T) {
	e := newEngine(t)
	const mkdirProfile = `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`
	status := `grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t' ' '; grep -c ' /proc/sys ' /proc/self/mountinfo || :`
	tests := []struct {
		name     string
		security []string
		cmd      string
		want     string
	}{
		{"default (as Docker: no no_new_privs)", nil, status, "NoNewPrivs: 0\nSeccomp: 2\n1\n"},
		{"no-new-privileges", []string{"no-new-privileges"}, status, "NoNewPrivs: 1\nSeccomp: 2\n1\n"},
		{"no-new-privileges=false", []string{"no-new-privileges=false"}, status, "NoNewPrivs: 0\nSeccomp: 2\n1\n"},
		{"seccomp=unconfined", []string{"seccomp=unconfined"}, status, "NoNewPrivs: 0\nSeccomp: 0\n1\n"},
		{"systempaths=unconfined", []string{"systempaths=unconfined"}, status, "NoNewPrivs: 0\nSeccomp: 2\n0\n"},
		{"label and apparmor asking for nothing", []string{"label=disable", "apparmor=unconfined"}, status, "NoNewPrivs: 0\nSeccomp: 2\n1\n"},
		{"profile", []string{"seccomp=" + mkdirProfile}, "mkdir /x 2>&1; touch /y && echo touched",
			"mkdir: can't create directory '/x': Operation not permitted\ntouched\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts("sh", "-c", tt.cmd)
			o.HostConfig.SecurityOpt = tt.security
			out, errOut, code := runAttached(t, e, o)
			if out != tt.want || code != 0 {
				t.Errorf("got %q (exit %d, %s), want %q", out, code, errOut, tt.want)
			}
		})
	}
	o := opts("true")
	o.Name, o.HostConfig.SecurityOpt = "kept", []string{"no-new-privileges", "seccomp=" + mkdirProfile}
	if _, err := e.Create(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	c, err := e.Inspect(context.Background(), "kept")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.HostConfig.SecurityOpt; len(got) != 2 || got[0] != "no-new-privileges" || got[1] != "seccomp="+mkdirProfile {
		t.Errorf("HostConfig.SecurityOpt = %q", got)
	}
}

func TestSecurityOptsRefused(t *testing.T) {
	e := newEngine(t)
	for _, opt := range []string{"label=type:svirt_t", "apparmor=docker-default", "no-new-privileges=perhaps",
		"seccomp={not json", `seccomp={"defaultAction":"SCMP_ACT_KILL_ALL"}`, "seccomp=", "umask=0"} {
		o := opts("true")
		o.HostConfig.SecurityOpt = []string{opt}
		_, err := e.Create(context.Background(), o)
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "security-opt") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want one line of invalid argument", opt, err)
		}
	}
	assertContainerDirs(t, e, 0)
}

// TestPrivilegedGetsHostDevices checks that --privileged brings the host's
// device nodes into /dev, as Docker's does, and a default container has none.
func TestPrivilegedGetsHostDevices(t *testing.T) {
	e := newEngine(t)
	const cmd = "test -c /dev/kmsg && echo kmsg; test -e /dev/console && echo console; test -c /dev/null && echo null"
	for _, tc := range []struct {
		privileged bool
		want       string
	}{{false, "null\n"}, {true, "kmsg\nnull\n"}} {
		o := opts("sh", "-c", cmd)
		o.HostConfig.Privileged = tc.privileged
		if out, errOut, _ := runAttached(t, e, o); out != tc.want {
			t.Errorf("privileged=%v: got %q (%s), want %q", tc.privileged, out, errOut, tc.want)
		}
	}
}
