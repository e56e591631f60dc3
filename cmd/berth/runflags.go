package main

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/docker/go-units"
	"github.com/spf13/pflag"

	"berth/engine"
	"berth/engine/envfile"
	"berth/engine/monitor"
	"berth/engine/spec"
	"berth/netmgr"
	"berth/volumes"
)

// runFlags are the flags of create and run.
type runFlags struct {
	name, user, workdir, entrypoint, hostname string
	restart, stopSignal, memory, memorySwap   string
	cpusetCpus, network, logDriver            string
	env, envFile, labels, capAdd, capDrop     []string
	ulimits, logOpts, securityOpt             []string
	publish, dns, addHosts, aliases           []string
	volumesArg, mounts, tmpfs, volumesFrom    []string
	ip, mac                                   string
	publishAll                                bool
	interactive, tty, readOnly, privileged    bool
	init, rm, detach                          bool
	cpus                                      float64
	cpuShares, pidsLimit                      int64
	stopTimeout                               int
	health                                    healthFlags
}

func (f *runFlags) register(fs *pflag.FlagSet) {
	fs.SetInterspersed(false)
	fs.StringVar(&f.name, "name", "", "assign a name to the container")
	fs.StringVarP(&f.user, "user", "u", "", "user[:group] or uid[:gid] to run as")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "overwrite the image's ENTRYPOINT")
	fs.StringVarP(&f.hostname, "hostname", "h", "", "container host name")
	fs.StringVar(&f.restart, "restart", "no", "restart policy: no, on-failure[:max-retries], always, unless-stopped")
	fs.StringVar(&f.stopSignal, "stop-signal", "", "signal to stop the container")
	fs.IntVar(&f.stopTimeout, "stop-timeout", -1, "seconds to wait after the stop signal before SIGKILL")
	fs.StringVarP(&f.memory, "memory", "m", "", "memory limit (e.g. 32m, 1g)")
	fs.StringVar(&f.memorySwap, "memory-swap", "", "memory plus swap limit; -1 for unlimited swap")
	fs.Float64Var(&f.cpus, "cpus", 0, "number of CPUs (e.g. 0.5)")
	fs.Int64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.StringVar(&f.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "process limit (0 or -1: unlimited)")
	fs.StringVar(&f.network, "network", "bridge", "network: bridge (default), a user-defined network, host, none or container:NAME")
	fs.StringArrayVarP(&f.publish, "publish", "p", nil, "publish a container port: [HOST_IP:][HOST_PORT:]PORT[/udp]")
	fs.BoolVarP(&f.publishAll, "publish-all", "P", false, "publish every exposed port to a free host port")
	fs.StringArrayVar(&f.dns, "dns", nil, "DNS server for the container")
	fs.StringArrayVarP(&f.volumesArg, "volume", "v", nil, "bind mount or volume: NAME:/dst[:ro], /host:/dst[:ro], or /dst (anonymous)")
	fs.StringArrayVar(&f.mounts, "mount", nil, "mount: type=volume|bind|tmpfs,src=...,dst=...[,readonly]")
	fs.StringArrayVar(&f.tmpfs, "tmpfs", nil, "tmpfs mount: /dst[:size=64m,mode=1777]")
	fs.StringArrayVar(&f.volumesFrom, "volumes-from", nil, "mount the volumes of another container: NAME[:ro|rw]")
	fs.StringArrayVar(&f.addHosts, "add-host", nil, "add a line to /etc/hosts (host:ip)")
	fs.StringArrayVar(&f.aliases, "network-alias", nil, "name the container also answers to on its network")
	fs.StringVar(&f.ip, "ip", "", "IPv4 address on a user-defined network")
	fs.StringVar(&f.mac, "mac-address", "", "MAC address of the container's interface")
	fs.StringVar(&f.logDriver, "log-driver", "json-file", "log driver (json-file)")
	fs.StringArrayVar(&f.logOpts, "log-opt", nil, "log driver options: max-size=10m, max-file=3")
	fs.StringArrayVarP(&f.env, "env", "e", nil, "set environment variables (KEY=value, or KEY to copy from here)")
	fs.StringArrayVar(&f.envFile, "env-file", nil, "read environment variables from a file")
	fs.StringArrayVarP(&f.labels, "label", "l", nil, "set metadata (key=value)")
	fs.StringArrayVar(&f.capAdd, "cap-add", nil, "add Linux capabilities")
	fs.StringArrayVar(&f.capDrop, "cap-drop", nil, "drop Linux capabilities")
	fs.StringArrayVar(&f.ulimits, "ulimit", nil, "ulimit options (nofile=1024:2048)")
	fs.StringArrayVar(&f.securityOpt, "security-opt", nil,
		"security options: no-new-privileges[=true|false], seccomp=unconfined|PROFILE.json, systempaths=unconfined; label=disable and apparmor=unconfined change nothing")
	fs.BoolVarP(&f.interactive, "interactive", "i", false, "keep STDIN open")
	fs.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-TTY")
	fs.BoolVar(&f.readOnly, "read-only", false, "mount the container's root filesystem read-only")
	fs.BoolVar(&f.privileged, "privileged", false, "give extended privileges to this container")
	fs.BoolVar(&f.init, "init", false, "run an init inside the container that forwards signals and reaps processes")
	f.health.register(fs)
}

func invalid(format string, a ...any) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, a...))
}

// options turns the flags and the positional IMAGE [COMMAND...] into CreateOptions.
func (f *runFlags) options(fs *pflag.FlagSet, args []string) (engine.CreateOptions, error) {
	o := engine.CreateOptions{Name: f.name}
	c := &o.Config
	c.Image, c.Cmd = args[0], args[1:]
	c.User, c.WorkingDir, c.Hostname = f.user, f.workdir, f.hostname
	c.Tty, c.OpenStdin = f.tty, f.interactive
	c.AttachStdin = f.interactive
	c.AttachStdout, c.AttachStderr = !f.detach, !f.detach
	c.StdinOnce = f.interactive && !f.detach
	c.StopSignal = f.stopSignal
	if fs.Changed("stop-timeout") {
		t := f.stopTimeout
		c.StopTimeout = &t
	}
	if fs.Changed("entrypoint") {
		o.EntrypointSet = true
		c.Entrypoint = []string{f.entrypoint}
	}
	var err error
	if c.Healthcheck, err = f.health.config(); err != nil {
		return o, err
	}
	if c.Env, err = readEnv(f.envFile, f.env); err != nil {
		return o, err
	}
	if c.Labels, err = parseLabels(f.labels); err != nil {
		return o, err
	}
	h := &o.HostConfig
	h.AutoRemove, h.ReadonlyRootfs, h.Privileged = f.rm, f.readOnly, f.privileged
	h.CapAdd, h.CapDrop = f.capAdd, f.capDrop
	if h.SecurityOpt, err = securityOpts(f.securityOpt); err != nil {
		return o, err
	}
	if f.init {
		t := true
		h.Init = &t
	}
	if h.RestartPolicy, err = parseRestart(f.restart); err != nil {
		return o, err
	}
	h.NetworkMode = f.network
	if err := f.networkOptions(&o); err != nil {
		return o, err
	}
	if err := f.mountOptions(h); err != nil {
		return o, err
	}
	h.LogConfig = engine.LogConfig{Type: f.logDriver, Config: map[string]string{}}
	for _, kv := range f.logOpts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return o, invalid("invalid --log-opt %q: want key=value", kv)
		}
		h.LogConfig.Config[k] = v
	}
	return o, f.resources(&h.Resources)
}

func (f *runFlags) resources(r *spec.Resources) error {
	if f.memory != "" {
		m, err := units.RAMInBytes(f.memory)
		if err != nil || m < 0 {
			return invalid("invalid --memory %q: want a positive size such as 32m", f.memory)
		}
		r.Memory = m
	}
	if f.memorySwap == "-1" {
		r.MemorySwap = -1
	} else if f.memorySwap != "" {
		m, err := units.RAMInBytes(f.memorySwap)
		if err != nil || m < 0 {
			return invalid("invalid --memory-swap %q: want a size or -1", f.memorySwap)
		}
		r.MemorySwap = m
	}
	if f.cpus < 0 {
		return invalid("invalid --cpus %v: must not be negative", f.cpus)
	}
	r.NanoCPUs = int64(f.cpus * 1e9)
	r.CPUShares, r.CpusetCpus = f.cpuShares, f.cpusetCpus
	if f.pidsLimit != 0 {
		p := f.pidsLimit
		r.PidsLimit = &p
	}
	for _, u := range f.ulimits {
		ul, err := spec.ParseUlimit(u)
		if err != nil {
			return err
		}
		r.Ulimits = append(r.Ulimits, ul)
	}
	return nil
}

func parseRestart(s string) (monitor.RestartPolicy, error) {
	name, max, hasMax := strings.Cut(s, ":")
	p := monitor.RestartPolicy{Name: name}
	if hasMax {
		n, err := strconv.Atoi(max)
		if err != nil || name != "on-failure" {
			return p, invalid("invalid restart policy %q: want no, always, unless-stopped or on-failure[:max-retries]", s)
		}
		p.MaximumRetryCount = n
	}
	switch name {
	case "", "no", "always", "unless-stopped", "on-failure":
		return p, nil
	}
	return p, invalid("invalid restart policy %q: want no, always, unless-stopped or on-failure[:max-retries]", s)
}

func parseLabels(in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range in {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			return nil, invalid("invalid label %q: empty key", kv)
		}
		out[k] = v
	}
	return out, nil
}

// readEnv reads --env-file files then -e values; "KEY" alone copies this process's value.
func readEnv(files, vals []string) ([]string, error) {
	var out []string
	for _, path := range files {
		kvs, err := envfile.ParseFile(path, os.LookupEnv)
		if err != nil {
			return nil, err
		}
		out = append(out, kvs...)
	}
	for _, v := range vals {
		kv, err := envValue(v)
		if err != nil {
			return nil, invalid("-e %q: %v", v, err)
		}
		if kv != "" {
			out = append(out, kv)
		}
	}
	return out, nil
}

func envValue(s string) (string, error) {
	k, _, hasVal := strings.Cut(s, "=")
	if k == "" || strings.ContainsAny(k, " \t") {
		return "", fmt.Errorf("invalid variable name %q", k)
	}
	if hasVal {
		return s, nil
	}
	if v, ok := os.LookupEnv(k); ok {
		return k + "=" + v, nil
	}
	return "", nil
}

// networkOptions fills the ports, DNS, hosts and endpoint options.
func (f *runFlags) networkOptions(o *engine.CreateOptions) error {
	h := &o.HostConfig
	maps, err := netmgr.ParsePorts(f.publish)
	if err != nil {
		return err
	}
	h.PortBindings = engine.PortMapFromMappings(maps)
	h.PublishAll = f.publishAll
	for _, d := range f.dns {
		if _, err := netip.ParseAddr(d); err != nil {
			return invalid("invalid --dns %q: not an IP address", d)
		}
	}
	h.DNS = f.dns
	for _, ah := range f.addHosts {
		name, ip, ok := strings.Cut(ah, ":")
		if _, err := netip.ParseAddr(ip); !ok || name == "" || err != nil {
			return invalid("invalid --add-host %q: want host:ip", ah)
		}
	}
	h.ExtraHosts = f.addHosts
	o.Network = engine.EndpointSettings{IPAddress: f.ip, MacAddress: f.mac, Aliases: f.aliases}
	return nil
}

// mountOptions parses -v, --mount and --tmpfs as Docker does.
func (f *runFlags) mountOptions(h *engine.HostConfig) error {
	add := func(m volumes.Mount, short bool) {
		h.Mounts = append(h.Mounts, engine.MountSpec{Type: m.Type, Source: m.Source, Target: m.Target,
			ReadOnly: m.ReadOnly, Propagation: m.Propagation, NoCopy: m.NoCopy, TmpfsSize: m.TmpfsSize,
			TmpfsMode: volumes.UnixMode(m.TmpfsMode), FromShort: short})
		if short && m.Type == "bind" {
			h.Binds = append(h.Binds, m.Source+":"+m.Target)
		}
	}
	for _, v := range f.volumesArg {
		m, err := volumes.ParseVolume(v)
		if err != nil {
			return err
		}
		add(m, true)
	}
	for _, v := range f.mounts {
		m, err := volumes.ParseMount(v)
		if err != nil {
			return err
		}
		add(m, false)
	}
	for _, v := range f.tmpfs {
		m, err := volumes.ParseTmpfs(v)
		if err != nil {
			return err
		}
		add(m, false)
	}
	h.VolumesFrom = f.volumesFrom
	return nil
}
