// Command secprobe tries, from inside a container, what a contained process
// must not be able to do, and prints one line per probe: its name, a tab and
// "ok" (with a detail) or the errno name the kernel answered. The engine's
// security test runs it in default and privileged containers.
//
// Every probe is harmless even where it succeeds: writes put back the value
// they read, module loading gets an invalid image, reboot gets wrong magic
// numbers (and is never asked of a privileged container), and the clock probe
// names a clock that cannot be set.
//
//	secprobe all [SKIP...]   run every probe but the named ones
//	secprobe ids             print the real and effective uid, CapEff and NoNewPrivs
//	secprobe read PATH       print a file's content or the errno
//	secprobe true            exit 0 (the child of the user-namespace probe)
//
// The environment gives HOSTPID (a pid of the host) and DISK (major:minor of
// the host's root disk). Device probes read at most one sector or record.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// probe is one attempt; it returns "ok ..." or an error carrying an errno.
type probe struct {
	name string
	run  func() (string, error)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: secprobe all [SKIP...] | ids | read PATH | true")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "true":
	case "ids":
		fmt.Println(ids())
	case "read":
		fmt.Println(result(readFile(os.Args[2])))
	case "all":
		for _, p := range probes() {
			if slices.Contains(os.Args[2:], p.name) {
				continue
			}
			fmt.Printf("%s\t%s\n", p.name, result(p.run()))
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown probe set", os.Args[1])
		os.Exit(2)
	}
}

func result(detail string, err error) string {
	var en syscall.Errno
	switch {
	case err == nil && detail == "":
		return "ok"
	case err == nil:
		return "ok " + detail
	case errors.As(err, &en):
		return unix.ErrnoName(en)
	}
	return "error " + err.Error()
}

func envInt(k string) int {
	n, _ := strconv.Atoi(os.Getenv(k))
	return n
}

func probes() []probe {
	hostPID := envInt("HOSTPID")
	return []probe{
		{"see host processes", visiblePIDs},
		{"stat /proc/HOSTPID", func() (string, error) { _, err := os.Stat(fmt.Sprintf("/proc/%d", hostPID)); return "", err }},
		{"kill(HOSTPID, 0)", func() (string, error) { return "", unix.Kill(hostPID, 0) }},
		{"ptrace(ATTACH, HOSTPID)", func() (string, error) { return "", unix.PtraceAttach(hostPID) }},
		{"mount(2) tmpfs", mountTmpfs},
		{"init_module (invalid image)", initModule},
		{"write /proc/sys/net/ipv4/ip_forward", func() (string, error) { return rewrite("/proc/sys/net/ipv4/ip_forward") }},
		{"write /sys/class/net/lo/mtu", func() (string, error) { return rewrite("/sys/class/net/lo/mtu") }},
		{"open /proc/sysrq-trigger for writing", openForWriting},
		{"read the host's disk (mknod b DISK)", func() (string, error) { return readNode(unix.S_IFBLK, os.Getenv("DISK")) }},
		{"read the kernel log (mknod c 1:11)", func() (string, error) { return readNode(unix.S_IFCHR, "1:11") }},
		{"sethostname", func() (string, error) { return "", unix.Sethostname([]byte("secprobe")) }},
		{"set lo's MTU (SIOCSIFMTU)", setLoMTU},
		{"read /proc/1/root/etc/shadow", func() (string, error) { return readFile("/proc/1/root/etc/shadow") }},
		{"read /proc/HOSTPID/root/etc/shadow", func() (string, error) { return readFile(fmt.Sprintf("/proc/%d/root/etc/shadow", hostPID)) }},
		{"read bind/abs -> /etc/shadow", func() (string, error) { return readFile("/links/abs") }},
		{"read bind/rel -> ../../../../etc/shadow", func() (string, error) { return readFile("/links/rel") }},
		{"keyctl(GET_KEYRING_ID)", keyctl},
		{"unshare(CLONE_NEWUSER)", unshareUser},
		{"setns (own net namespace)", setnsOwn},
		{"open_by_handle_at", openByHandle},
		{"bpf(MAP_CREATE)", func() (string, error) { return "", errnoOf(unix.Syscall(unix.SYS_BPF, 0, 0, 0)) }},
		{"clone3", func() (string, error) { return "", errnoOf(unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)) }},
		{"clock_settime (unsettable clock)", clockSettime},
		{"reboot (wrong magic)", reboot},
	}
}

// errnoOf turns a raw syscall's result into an error (nil on success).
func errnoOf(_, _ uintptr, e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// visiblePIDs lists the processes this one can see in /proc.
func visiblePIDs() (string, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return "", err
	}
	var pids []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, e.Name())
		}
	}
	return "pids " + strings.Join(pids, ","), nil
}

func mountTmpfs() (string, error) {
	if err := os.MkdirAll("/mnt/secprobe", 0o755); err != nil {
		return "", err
	}
	if err := unix.Mount("tmpfs", "/mnt/secprobe", "tmpfs", 0, "size=64k"); err != nil {
		return "", err
	}
	return "", unix.Unmount("/mnt/secprobe", 0)
}

// initModule offers an image too short to be an ELF file: where loading is
// permitted the kernel refuses the image, never loads it.
func initModule() (string, error) {
	img := make([]byte, 64)
	name, _ := unix.BytePtrFromString("")
	return "", errnoOf(unix.Syscall(unix.SYS_INIT_MODULE, uintptr(unsafe.Pointer(&img[0])), uintptr(len(img)), uintptr(unsafe.Pointer(name))))
}

// rewrite writes back the value a file holds.
func rewrite(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return "", unwrap(err)
	}
	defer f.Close()
	_, err = f.Write(b)
	return "", unwrap(err)
}

func openForWriting() (string, error) {
	fd, err := unix.Open("/proc/sysrq-trigger", unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	return "", unix.Close(fd)
}

// readNode makes a device node (mknod needs only CAP_MKNOD, which a default
// container has) and reads from it: the devices cgroup must refuse the open.
func readNode(typ uint32, majMin string) (string, error) {
	maj, min, _ := strings.Cut(majMin, ":")
	a, _ := strconv.Atoi(maj)
	b, _ := strconv.Atoi(min)
	const node = "/tmp/secprobe-node"
	_ = os.Remove(node)
	if err := unix.Mknod(node, typ|0o600, int(unix.Mkdev(uint32(a), uint32(b)))); err != nil {
		return "", err
	}
	defer os.Remove(node)
	fd, err := unix.Open(node, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	_, err = unix.Read(fd, make([]byte, 8192))
	return "", err
}

func setLoMTU() (string, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return "", err
	}
	ifr.SetUint32(1280)
	return "", unix.IoctlIfreq(fd, unix.SIOCSIFMTU, ifr)
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), unwrap(err)
}

func keyctl() (string, error) {
	id, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, false)
	if err != nil {
		return "", err
	}
	return "keyring " + strconv.Itoa(id), nil
}

// unshareUser runs a child that calls unshare(CLONE_NEWUSER) between fork and
// exec: a Go process has threads, and the kernel refuses the call to those.
func unshareUser() (string, error) {
	cmd := exec.Command("/proc/self/exe", "true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWUSER}
	return "", unwrap(cmd.Run())
}

func setnsOwn() (string, error) {
	fd, err := unix.Open("/proc/self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	return "", unix.Setns(fd, unix.CLONE_NEWNET)
}

// openByHandle asks for a handle of zero bytes: where the call is permitted,
// the kernel refuses the handle.
func openByHandle() (string, error) {
	fd, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	h := unix.NewFileHandle(0, nil)
	nfd, err := unix.OpenByHandleAt(fd, h, unix.O_RDONLY)
	if err == nil {
		unix.Close(nfd)
	}
	return "", err
}

// clockSettime names CLOCK_MONOTONIC, which no caller may set.
func clockSettime() (string, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "", err
	}
	return "", errnoOf(unix.Syscall(unix.SYS_CLOCK_SETTIME, unix.CLOCK_MONOTONIC, uintptr(unsafe.Pointer(&ts)), 0))
}

// reboot passes wrong magic numbers, which the kernel refuses even from a
// caller allowed to reboot.
func reboot() (string, error) {
	return "", errnoOf(unix.Syscall6(unix.SYS_REBOOT, 1, 2, unix.LINUX_REBOOT_CMD_CAD_OFF, 0, 0, 0))
}

// ids reports who this process is, from /proc/self/status.
func ids() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "error " + err.Error()
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, ":")
		f := strings.Fields(v)
		switch {
		case k == "Uid" && len(f) >= 2:
			out = append(out, "uid="+f[0], "euid="+f[1])
		case k == "CapEff" || k == "NoNewPrivs":
			out = append(out, k+"="+strings.TrimSpace(v))
		}
	}
	secret, err := readFile("/secret")
	return strings.Join(out, " ") + " secret=" + result(secret, err)
}

// unwrap returns the errno inside a *PathError or *exec.ExitError-free error.
func unwrap(err error) error {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return err
}
