package engine

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// unameInfo is the kernel's uname: release ("6.1.0-13-amd64") and machine ("x86_64").
type unameInfo struct{ release, machine, nodename string }

func uname() unameInfo {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return unameInfo{}
	}
	return unameInfo{release: unix.ByteSliceToString(u.Release[:]), machine: unix.ByteSliceToString(u.Machine[:]),
		nodename: unix.ByteSliceToString(u.Nodename[:])}
}

// osRelease reads PRETTY_NAME and VERSION_ID of /etc/os-release (or
// /usr/lib/os-release), as Docker's info does; "Linux" when there is none.
func osRelease() (name, version string) {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		return parseOSRelease(b)
	}
	return "Linux", ""
}

// parseOSRelease takes PRETTY_NAME (else NAME) and VERSION_ID from an
// os-release file, unquoting values.
func parseOSRelease(b []byte) (name, version string) {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `'"`)
		}
		vals[k] = v
	}
	name = vals["PRETTY_NAME"]
	if name == "" {
		name = vals["NAME"]
	}
	if name == "" {
		name = "Linux"
	}
	return name, vals["VERSION_ID"]
}

// memTotal is the host's total memory in bytes (MemTotal of /proc/meminfo).
func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemTotal(b)
}

func parseMemTotal(b []byte) int64 {
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				return 0
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0
			}
			if len(f) > 1 && strings.EqualFold(f[1], "kB") {
				n *= 1024
			}
			return n
		}
	}
	return 0
}

// fsNames names filesystem magic numbers as Docker's "Backing Filesystem" does.
var fsNames = map[int64]string{
	0xEF53: "extfs", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x01021994: "tmpfs",
	0x794c7630: "overlayfs", 0x2FC12FC1: "zfs", 0x6969: "nfs", 0xF2F52010: "f2fs",
	0x73717368: "squashfs", 0x65735546: "fuse", 0x858458f6: "ramfs", 0x5346544e: "ntfs",
}

// backingFS names the filesystem that holds dir.
func backingFS(dir string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return "<unknown>"
	}
	if n, ok := fsNames[int64(st.Type)]; ok {
		return n
	}
	return "<unknown>"
}

// cgroupFeatures are the resource controls this host's cgroups offer.
type cgroupFeatures struct {
	memory, swap, cfsQuota, cfsPeriod, shares, cpuset, pids, oomKillDisable bool
}

// probeCgroups checks the controllers of a cgroup v1 host (their files) or of
// a cgroup v2 host (the root's cgroup.controllers).
func probeCgroups(v2, swapAccount bool) cgroupFeatures {
	const root = "/sys/fs/cgroup"
	if v2 {
		b, _ := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
		has := map[string]bool{}
		for _, c := range strings.Fields(string(b)) {
			has[c] = true
		}
		return cgroupFeatures{memory: has["memory"], swap: has["memory"] && swapAccount, cfsQuota: has["cpu"],
			cfsPeriod: has["cpu"], shares: has["cpu"], cpuset: has["cpuset"], pids: has["pids"]}
	}
	exists := func(p string) bool { return fileExists(filepath.Join(root, p)) }
	return cgroupFeatures{
		memory: exists("memory/memory.limit_in_bytes"), swap: swapAccount,
		cfsQuota: exists("cpu/cpu.cfs_quota_us"), cfsPeriod: exists("cpu/cpu.cfs_period_us"),
		shares: exists("cpu/cpu.shares"), cpuset: exists("cpuset/cpuset.cpus"),
		pids: exists("pids/cgroup.procs"), oomKillDisable: exists("memory/memory.oom_control"),
	}
}

// engineID identifies an engine: the same host (machine-id, else hostname)
// and data root always give the same ID, formatted as a UUID as Docker's is.
func engineID(root string) string {
	host, err := os.ReadFile("/etc/machine-id")
	if err != nil || len(bytes.TrimSpace(host)) == 0 {
		host = []byte(uname().nodename)
	}
	sum := sha256.Sum256(append(bytes.TrimSpace(host), "\x00"+root...))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ipv4Forwarding reports net.ipv4.ip_forward.
func ipv4Forwarding() bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}
