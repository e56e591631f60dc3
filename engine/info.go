package engine

import (
	"context"
	"net/netip"
	"os"
	"runtime"
	"time"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"

	"berth/engine/monitor"
	"berth/engine/runner"
	"berth/images"
)

// Info reports the engine and its host as Docker's GET /info does: container
// counts by state and the image count from the store, the storage driver
// and its backing filesystem, the cgroup driver and version, the kernel, OS,
// CPUs and memory, and the security options every container gets.
func (e *Engine) Info(ctx context.Context) (*system.Info, error) {
	cs, err := e.List(ctx, true)
	if err != nil {
		return nil, err
	}
	imgs, err := e.images.List(ctx, images.ListOptions{All: true})
	if err != nil {
		return nil, err
	}
	b := BuildInfo()
	u := uname()
	osName, osVersion := osRelease()
	cg := probeCgroups(e.host.cgroup2, e.host.swapAccount)
	hostname, _ := os.Hostname()
	info := &system.Info{
		ID: engineID(e.root), Containers: len(cs), Images: len(imgs),
		Driver: "overlay2", DriverStatus: [][2]string{{"Backing Filesystem", backingFS(e.root)}},
		Plugins: system.PluginsInfo{Volume: []string{"local"}, Network: []string{modeBridge, modeHost, "null"},
			Log: []string{"json-file"}},
		MemoryLimit: cg.memory, SwapLimit: cg.swap, CPUCfsPeriod: cg.cfsPeriod, CPUCfsQuota: cg.cfsQuota,
		CPUShares: cg.shares, CPUSet: cg.cpuset, PidsLimit: cg.pids, OomKillDisable: cg.oomKillDisable,
		IPv4Forwarding: ipv4Forwarding(), NGoroutines: runtime.NumGoroutine(), NFd: openFDs(),
		SystemTime: time.Now().Format(time.RFC3339Nano), LoggingDriver: "json-file",
		CgroupDriver: "cgroupfs", CgroupVersion: cgroupVersion(e.host.cgroup2),
		KernelVersion: u.release, OperatingSystem: osName, OSVersion: osVersion, OSType: runtime.GOOS,
		Architecture: u.machine, IndexServerAddress: "https://index.docker.io/v1/",
		RegistryConfig: &registry.ServiceConfig{InsecureRegistryCIDRs: []netip.Prefix{
			netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}},
		NCPU: runtime.NumCPU(), MemTotal: memTotal(), DockerRootDir: e.root,
		HTTPProxy: os.Getenv("HTTP_PROXY"), HTTPSProxy: os.Getenv("HTTPS_PROXY"), NoProxy: os.Getenv("NO_PROXY"),
		Name: hostname, Labels: []string{}, ServerVersion: b.Version,
		Runtimes:       map[string]system.RuntimeWithStatus{"runc": {}},
		DefaultRuntime: "runc", Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive},
		// Containers outlive berth's processes: each has its own monitor.
		LiveRestoreEnabled: true,
		InitBinary:         "berth-init", RuncCommit: system.Commit{ID: runner.LibcontainerVersion()},
		InitCommit:      system.Commit{ID: b.GitCommit},
		SecurityOptions: e.securityOptions(),
		FirewallBackend: &system.FirewallInfo{Driver: "nftables"},
		CDISpecDirs:     []string{},
	}
	info.ContainersRunning, info.ContainersPaused, info.ContainersStopped = countStates(cs)
	info.Warnings = infoWarnings(info)
	return info, nil
}

// countStates counts containers as Docker's info does: running, paused, and
// every other state (created, restarting, exited, dead) as stopped.
func countStates(cs []*Container) (running, paused, stopped int) {
	for _, c := range cs {
		switch c.State.Status {
		case monitor.StatusRunning:
			running++
		case monitor.StatusPaused:
			paused++
		default:
			stopped++
		}
	}
	return running, paused, stopped
}

func cgroupVersion(v2 bool) string {
	if v2 {
		return "2"
	}
	return "1"
}

// securityOptions are what every (unprivileged) container gets, in Docker's
// "name=...,key=value" form: Docker's seccomp profile (when built in),
// and a private cgroup namespace (when the kernel has them). As Docker,
// no-new-privileges is not listed: it is set only when a container asks.
func (e *Engine) securityOptions() []string {
	var out []string
	if runner.SeccompEnabled() {
		out = append(out, "name=seccomp,profile=builtin")
	}
	if e.host.cgroupNS {
		out = append(out, "name=cgroupns")
	}
	return out
}

// infoWarnings are Docker's warnings for missing resource controls.
func infoWarnings(i *system.Info) []string {
	var w []string
	if !i.MemoryLimit {
		w = append(w, "WARNING: No memory limit support")
	}
	if !i.SwapLimit {
		w = append(w, "WARNING: No swap limit support")
	}
	if !i.CPUCfsQuota {
		w = append(w, "WARNING: No cpu cfs quota support")
	}
	if !i.CPUShares {
		w = append(w, "WARNING: No cpu shares support")
	}
	if !i.IPv4Forwarding {
		w = append(w, "WARNING: IPv4 forwarding is disabled")
	}
	return w
}

// openFDs counts this process's open file descriptors.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}
