// Package xray draws the X-ray tab: what a running container is made of on
// the host (namespaces, cgroup limits, overlay layers, mounts, network, capabilities,
// seccomp), each item with a line on what it is for. The data comes from
// engine/xray, gathered by the router in a command; this package only draws.
package xray

import (
	"fmt"
	"strconv"
	"strings"

	"berth/engine/xray"
	"berth/views"
)

// nsAbout says what each namespace type isolates.
var nsAbout = map[string]string{
	"cgroup":            "its own view of the cgroup tree: / is its cgroup",
	"ipc":               "its own System V IPC and POSIX message queues",
	"mnt":               "its own mount table: the overlay is its /",
	"net":               "its own interfaces, routes and ports",
	"pid":               "its own process numbers: its first process is PID 1",
	"pid_for_children":  "the PID namespace its children are born in",
	"time":              "its own monotonic and boot clocks",
	"time_for_children": "the time namespace its children are born in",
	"user":              "user and group IDs (when shared, root inside is root outside)",
	"uts":               "its own host name",
}

// fileAbout says what each cgroup file holds.
var fileAbout = map[string]string{
	"memory.limit_in_bytes":     "memory limit (--memory); above it the kernel reclaims, then OOM-kills",
	"memory.usage_in_bytes":     "memory in use now, page cache included",
	"memory.max_usage_in_bytes": "the most memory it has used",
	"cpu.cfs_quota_us":          "CPU time allowed per period in µs (--cpus × period; -1 none)",
	"cpu.cfs_period_us":         "the CFS accounting period in µs",
	"cpu.shares":                "relative CPU weight when CPUs are busy (--cpu-shares)",
	"pids.max":                  "most processes it may have (--pids-limit); stops fork bombs",
	"pids.current":              "processes now",
	"cpuset.cpus":               "the CPUs it may run on (--cpuset-cpus)",
	"memory.max":                "memory limit (--memory); above it the kernel reclaims, then OOM-kills",
	"memory.current":            "memory in use now, page cache included",
	"memory.swap.max":           "swap it may use",
	"cpu.max":                   "quota and period in µs (--cpus); max means none",
	"cpu.weight":                "relative CPU weight when CPUs are busy",
	"cpuset.cpus.effective":     "the CPUs it runs on",
}

// Lines draws the report (or the error that stopped it) for a pane width
// cells wide.
func Lines(th views.Theme, r *xray.Report, err error, width int) []string {
	if err != nil {
		return []string{"  " + views.Sanitize(err.Error())}
	}
	if r == nil {
		return []string{th.Dim.Render("  reading /proc and the cgroup files…")}
	}
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	about := func(s string) string { return th.Dim.Render("    " + s) }
	add(th.Title.Render("Namespaces")+th.Dim.Render(fmt.Sprintf("  of PID %d on the host — the walls around the process; ● its own, ○ the host's", r.Pid)), "")
	for _, n := range r.Namespaces {
		mark, col := th.Dim.Render("○ host"), ""
		if n.Own {
			mark = th.OK.Render("● own ")
		}
		col = fmt.Sprintf("  %s %-18s %-11d host %-11d ", mark, n.Type, n.Inode, n.HostInode)
		add(explain(th, col, nsAbout[n.Type], width)...)
	}
	add("", th.Title.Render("Cgroup")+" "+r.CgroupPath+th.Dim.Render("  "+cgroupVersion(r)+" — limits the kernel enforces on the group"))
	if len(r.Cgroup) == 0 {
		add(about("no limit files found"))
	}
	for _, f := range r.Cgroup {
		add(explain(th, fmt.Sprintf("  %-32s %-10s ", f.Name, value(f.Name, f.Value)), fileAbout[base(f.Name)], width)...)
	}
	add("", th.Title.Render("Overlay filesystem")+th.Dim.Render("  — image layers stacked read-only, the container's writes on top"))
	for i, l := range r.Lower {
		step := views.Sanitize(l.Step)
		if step == "" {
			step = "(step unknown)"
		}
		add(fmt.Sprintf("  lower %d  %8s  %s", i+1, views.HumanBytes(uint64(max(l.Size, 0))), step), about(l.Dir))
	}
	writes := fmt.Sprintf("%s in %d files", views.HumanBytes(uint64(max(r.Writes, 0))), r.WriteFiles)
	if r.WritesCapped {
		writes = "at least " + writes
	}
	add("  upper    "+writes, about(r.UpperDir+" — copy-on-write: every file it creates or changes"),
		"  work     "+th.Dim.Render(r.WorkDir+" — overlayfs scratch space for atomic copy-up"),
		"  merged   "+th.Dim.Render(r.MergedDir+" — the union, mounted as its /"))
	add(mountLines(th, r.Mounts)...)
	add("", th.Title.Render("Network")+th.Dim.Render("  — its own namespace, wired to a bridge on the host"))
	add(networkLines(th, r, width)...)
	add("", th.Title.Render("Privileges"))
	add(fmt.Sprintf("  capabilities  %d effective of %d bounding", len(r.CapEff), len(r.CapBnd)),
		about("root's powers split into pieces; the bounding set is the most it can ever get"))
	add(wrapCaps(r.CapEff, width)...)
	add("  seccomp       "+seccompMode(r.Seccomp), about("a syscall filter: the default profile blocks ~50 dangerous calls (mount, reboot, kexec…)"))
	add("  no_new_privs  "+strconv.FormatBool(r.NoNewPrivs), about("setuid binaries cannot raise its privileges"))
	return out
}

func cgroupVersion(r *xray.Report) string {
	if r.CgroupV2 {
		return "v2"
	}
	return "v1"
}

func base(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// explain puts the explanation after line when the pane is wide enough,
// else on the next line.
func explain(th views.Theme, line, about string, width int) []string {
	if width >= 110 || about == "" {
		return []string{line + th.Dim.Render(about)}
	}
	return []string{line, th.Dim.Render("      " + about)}
}

// value shows a cgroup value, with memory byte counts made readable.
func value(name, v string) string {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || !strings.HasPrefix(base(name), "memory.") || n < 1024 {
		return v
	}
	if n >= 1<<62 {
		return "max"
	}
	return views.HumanBytes(n)
}

func seccompMode(m int) string {
	switch m {
	case 0:
		return "0 disabled"
	case 1:
		return "1 strict"
	case 2:
		return "2 filter"
	}
	return strconv.Itoa(m)
}

// wrapCaps lists capability names without their CAP_ prefix, wrapped.
func wrapCaps(caps []string, width int) []string {
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = strings.ToLower(strings.TrimPrefix(c, "CAP_"))
	}
	if len(names) == 0 {
		return []string{"    (none)"}
	}
	var out []string
	for _, l := range views.Wrap(strings.Join(names, " "), max(width-6, 20)) {
		out = append(out, "    "+l)
	}
	return out
}
