package main

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/spf13/pflag"

	"berth/engine"
	"berth/engine/opts"
	"berth/engine/spec"
)

// runFlags are the flags of create and run.
type runFlags struct {
	name, user, workdir, entrypoint, hostname, domainname string
	restart, stopSignal, memory, memorySwap               string
	cpusetCpus, network, logDriver, cpus                  string
	env, envFile, labels, capAdd, capDrop                 []string
	groupAdd, devices, deviceRules                        []string
	ulimits, logOpts, securityOpt                         []string
	publish, dns, addHosts, aliases, links                []string
	volumesArg, mounts, tmpfs, volumesFrom                []string
	ip, mac, shmSize, memoryReservation                   string
	pidMode, ipcMode, utsMode                             string
	sysctls, dnsSearch, dnsOptions                        []string
	oomScoreAdj                                           int
	publishAll                                            bool
	interactive, tty, readOnly, privileged                bool
	init, rm, detach                                      bool
	cpuShares, pidsLimit, cpuPeriod, cpuQuota             int64
	stopTimeout                                           int
	health                                                healthFlags
}

func (f *runFlags) register(fs *pflag.FlagSet) {
	fs.SetInterspersed(false)
	fs.StringVar(&f.name, "name", "", "assign a name to the container")
	fs.StringVarP(&f.user, "user", "u", "", "user[:group] or uid[:gid] to run as")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "overwrite the image's ENTRYPOINT")
	fs.StringVarP(&f.hostname, "hostname", "h", "", "container host name")
	fs.StringVar(&f.domainname, "domainname", "", "container NIS domain name")
	fs.StringVar(&f.restart, "restart", "no", "restart policy: no, on-failure[:max-retries], always, unless-stopped")
	fs.StringVar(&f.stopSignal, "stop-signal", "", "signal to stop the container")
	fs.IntVar(&f.stopTimeout, "stop-timeout", -1, "seconds to wait after the stop signal before SIGKILL")
	fs.StringVarP(&f.memory, "memory", "m", "", "memory limit (e.g. 32m, 1g)")
	fs.StringVar(&f.memorySwap, "memory-swap", "", "memory plus swap limit; -1 for unlimited swap")
	fs.StringVar(&f.cpus, "cpus", "", "number of CPUs (e.g. 0.5)")
	fs.Int64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.StringVar(&f.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "process limit (0 or -1: unlimited)")
	fs.StringVar(&f.memoryReservation, "memory-reservation", "", "memory soft limit (e.g. 32m)")
	fs.Int64Var(&f.cpuPeriod, "cpu-period", 0, "CPU CFS period in microseconds")
	fs.Int64Var(&f.cpuQuota, "cpu-quota", 0, "CPU CFS quota in microseconds per period")
	fs.StringVar(&f.network, "network", "bridge", "network: bridge (default), a user-defined network, host, none or container:NAME")
	stringArrayVarP(fs, &f.publish, "publish", "p", "publish a container port: [HOST_IP:][HOST_PORT:]PORT[/udp]")
	fs.BoolVarP(&f.publishAll, "publish-all", "P", false, "publish every exposed port to a free host port")
	stringArrayVarP(fs, &f.dns, "dns", "", "DNS server for the container")
	stringArrayVarP(fs, &f.dnsSearch, "dns-search", "", "DNS search domain for the container")
	stringArrayVarP(fs, &f.dnsOptions, "dns-option", "", "DNS resolver option for the container (e.g. ndots:2)")
	stringArrayVarP(fs, &f.volumesArg, "volume", "v", "bind mount or volume: NAME:/dst[:ro], /host:/dst[:ro], or /dst (anonymous)")
	stringArrayVarP(fs, &f.mounts, "mount", "", "mount: type=volume|bind|tmpfs,src=...,dst=...[,readonly]")
	stringArrayVarP(fs, &f.tmpfs, "tmpfs", "", "tmpfs mount: /dst[:size=64m,mode=1777]")
	stringArrayVarP(fs, &f.volumesFrom, "volumes-from", "", "mount the volumes of another container: NAME[:ro|rw]")
	stringArrayVarP(fs, &f.addHosts, "add-host", "", "add a line to /etc/hosts (host:ip)")
	stringArrayVarP(fs, &f.aliases, "network-alias", "", "name the container also answers to on its network")
	stringArrayVarP(fs, &f.links, "link", "", "reach another container by an alias of its name: NAME[:ALIAS]")
	fs.StringVar(&f.ip, "ip", "", "IPv4 address on a user-defined network")
	fs.StringVar(&f.mac, "mac-address", "", "MAC address of the container's interface")
	fs.StringVar(&f.logDriver, "log-driver", "json-file", "log driver (json-file)")
	stringArrayVarP(fs, &f.logOpts, "log-opt", "", "log driver options: max-size=10m, max-file=3")
	stringArrayVarP(fs, &f.env, "env", "e", "set environment variables (KEY=value, or KEY to copy from here)")
	stringArrayVarP(fs, &f.envFile, "env-file", "", "read environment variables from a file")
	stringArrayVarP(fs, &f.labels, "label", "l", "set metadata (key=value)")
	stringArrayVarP(fs, &f.capAdd, "cap-add", "", "add Linux capabilities")
	stringArrayVarP(fs, &f.groupAdd, "group-add", "", "add additional groups to join")
	stringArrayVarP(fs, &f.capDrop, "cap-drop", "", "drop Linux capabilities")
	stringArrayVarP(fs, &f.ulimits, "ulimit", "", "ulimit options (nofile=1024:2048)")
	stringArrayVarP(fs, &f.securityOpt, "security-opt", "",
		"security options: no-new-privileges[=true|false], seccomp=unconfined|PROFILE.json, systempaths=unconfined; label=disable and apparmor=unconfined change nothing")
	fs.StringVar(&f.shmSize, "shm-size", "", "size of /dev/shm (e.g. 256m; default 64m)")
	stringArrayVarP(fs, &f.sysctls, "sysctl", "", "namespaced kernel parameter: KEY=VALUE (net.*, kernel.shm*, ...)")
	fs.IntVar(&f.oomScoreAdj, "oom-score-adj", 0, "tune the container's OOM preference (-1000 to 1000)")
	fs.StringVar(&f.pidMode, "pid", "", "PID namespace to use: host or container:NAME")
	fs.StringVar(&f.ipcMode, "ipc", "", "IPC mode: private, shareable, none, host or container:NAME")
	fs.StringVar(&f.utsMode, "uts", "", "UTS namespace to use: host")
	stringArrayVarP(fs, &f.devices, "device", "", "add a host device: HOST[:CONTAINER][:PERMISSIONS]")
	stringArrayVarP(fs, &f.deviceRules, "device-cgroup-rule", "", "allow a device in the cgroup: 'c 1:3 rwm'")
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
	c.User, c.WorkingDir, c.Hostname, c.Domainname = f.user, f.workdir, f.hostname, f.domainname
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
	if err := f.configLists(c); err != nil {
		return o, err
	}
	var err error
	h := &o.HostConfig
	h.AutoRemove, h.ReadonlyRootfs, h.Privileged = f.rm, f.readOnly, f.privileged
	h.CapAdd, h.CapDrop = f.capAdd, f.capDrop
	h.PidMode, h.IpcMode, h.UTSMode = f.pidMode, f.ipcMode, f.utsMode
	if h.Devices, err = f.deviceList(); err != nil {
		return o, err
	}
	h.DeviceCgroupRules = f.deviceRules
	if h.GroupAdd, err = opts.ParseGroupAdd(f.groupAdd); err != nil {
		return o, err
	}
	if h.SecurityOpt, err = securityOpts(f.securityOpt); err != nil {
		return o, err
	}
	if f.init {
		t := true
		h.Init = &t
	}
	if h.RestartPolicy, err = opts.ParseRestart(f.restart); err != nil {
		return o, err
	}
	h.NetworkMode = f.network
	if err := f.networkOptions(&o); err != nil {
		return o, err
	}
	if err := opts.Mounts(h, f.volumesArg, f.mounts, f.tmpfs); err != nil {
		return o, err
	}
	h.VolumesFrom = f.volumesFrom
	if err := f.sandbox(h); err != nil {
		return o, err
	}
	if h.LogConfig, err = logConfig(f.logDriver, f.logOpts); err != nil {
		return o, err
	}
	return o, f.resources(&h.Resources)
}

// configLists reads the health check, environment (-e, --env-file) and
// labels into c.
func (f *runFlags) configLists(c *engine.Config) error {
	var err error
	if c.Healthcheck, err = f.health.config(); err != nil {
		return err
	}
	if c.Env, err = opts.ParseEnv(f.envFile, f.env, os.LookupEnv); err != nil {
		return err
	}
	c.Labels, err = opts.ParseLabels(f.labels)
	return err
}

// deviceList reads the --device values.
func (f *runFlags) deviceList() ([]spec.DeviceMapping, error) {
	var out []spec.DeviceMapping
	for _, d := range f.devices {
		m, err := spec.ParseDevice(d)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// logConfig is --log-driver with its --log-opt key=value pairs.
func logConfig(driver string, kvs []string) (engine.LogConfig, error) {
	lc := engine.LogConfig{Type: driver, Config: map[string]string{}}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return lc, invalid("invalid --log-opt %q: want key=value", kv)
		}
		lc.Config[k] = v
	}
	return lc, nil
}

func (f *runFlags) resources(r *spec.Resources) error {
	var err error
	if r.Memory, err = opts.ParseMemory(f.memory); err != nil {
		return err
	}
	if r.MemorySwap, err = opts.ParseMemorySwap(f.memorySwap); err != nil {
		return err
	}
	if r.NanoCPUs, err = opts.ParseCPUs(f.cpus); err != nil {
		return err
	}
	r.CPUShares, r.CpusetCpus = f.cpuShares, f.cpusetCpus
	if r.MemoryReservation, err = opts.ParseMemoryReservation(f.memoryReservation); err != nil {
		return err
	}
	r.CPUPeriod, r.CPUQuota = f.cpuPeriod, f.cpuQuota
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

// networkOptions fills the ports, DNS, hosts and endpoint options.
func (f *runFlags) networkOptions(o *engine.CreateOptions) error {
	h := &o.HostConfig
	var err error
	if h.PortBindings, err = opts.ParsePorts(f.publish); err != nil {
		return err
	}
	h.PublishAll = f.publishAll
	for _, d := range f.dns {
		if _, err := netip.ParseAddr(d); err != nil {
			return invalid("invalid --dns %q: not an IP address", d)
		}
	}
	for _, l := range []struct {
		flag  string
		words []string
	}{{"--dns-search", f.dnsSearch}, {"--dns-option", f.dnsOptions}} {
		for _, w := range l.words {
			if !engine.ResolvWordOK(w) {
				return invalid("invalid %s %q: want one word with no blank", l.flag, w)
			}
		}
	}
	h.DNS, h.DNSSearch, h.DNSOptions = f.dns, f.dnsSearch, f.dnsOptions
	for _, ah := range f.addHosts {
		if _, _, err := engine.ParseExtraHost(ah); err != nil {
			return invalid("invalid --add-host %q: want host:ip (or host:%s)", ah, engine.HostGateway)
		}
	}
	h.ExtraHosts, h.Links = f.addHosts, f.links
	o.Network = engine.EndpointSettings{IPAddress: f.ip, MacAddress: f.mac, Aliases: f.aliases}
	return nil
}

// sandbox reads the flags of the container's sandbox settings into h.
func (f *runFlags) sandbox(h *engine.HostConfig) error {
	var err error
	if h.ShmSize, err = opts.ParseShmSize(f.shmSize); err != nil {
		return err
	}
	if h.Sysctls, err = opts.ParseSysctls(f.sysctls); err != nil {
		return err
	}
	if h.OomScoreAdj, err = opts.ParseOOMScoreAdj(f.oomScoreAdj); err != nil {
		return err
	}
	return nil
}
