// Package inspect builds what `inspect` shows of berth's objects in the
// Docker Engine API's own types (github.com/moby/moby/api), filled from the
// engine's records, so that every front end — the CLI, the TUI and an API
// server — shows the same shape and a --format template sees typed values.
package inspect

import (
	"net"
	"net/netip"
	"os"
	"path"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"

	"berth/engine"
	"berth/engine/spec"
)

// defaultNetwork is the network whose endpoint Docker also reports in the
// top-level NetworkSettings fields.
const defaultNetwork = "bridge"

// Container is a container as `docker inspect` shows it: moby's
// container.InspectResponse, with NetworkSettings carrying the default-bridge
// fields (IPAddress, Gateway, MacAddress …) that Docker filled until API 1.52.
type Container struct {
	container.InspectResponse
	// NetworkSettings replaces the embedded one, adding the legacy fields.
	NetworkSettings *NetworkSettings
}

// NetworkSettings is moby's container.NetworkSettings plus the top-level
// fields Docker fills from the container's endpoint on the default bridge.
type NetworkSettings struct {
	Bridge string
	container.NetworkSettings
	EndpointID          string
	Gateway             string
	GlobalIPv6Address   string
	GlobalIPv6PrefixLen int
	IPAddress           string
	IPPrefixLen         int
	IPv6Gateway         string
	MacAddress          string
}

// ContainerOf converts the engine's view of a container.
func ContainerOf(c *engine.Container) Container {
	st := c.State
	out := Container{InspectResponse: container.InspectResponse{
		ID:      c.ID,
		Created: c.Created.UTC().Format(time.RFC3339Nano),
		Path:    c.Path, Args: nonNil(c.Args),
		State: &container.State{Status: container.ContainerState(st.Status), Running: st.Running, Paused: st.Paused,
			Restarting: st.Restarting, OOMKilled: st.OOMKilled, Dead: st.Dead, Pid: st.Pid, ExitCode: st.ExitCode,
			Error: st.Error, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt, Health: healthState(st.Health)},
		Image:          c.Image,
		ResolvConfPath: c.ResolvConfPath, HostnamePath: c.HostnamePath, HostsPath: c.HostsPath, LogPath: c.LogPath,
		Name: c.Name, RestartCount: c.RestartCount, Driver: c.Driver, Platform: c.Platform,
		HostConfig:  hostConfig(&c.HostConfig),
		GraphDriver: &storage.DriverData{Name: c.GraphDriver.Name, Data: c.GraphDriver.Data},
		Mounts:      mountPoints(c.Mounts, c.HostConfig.Tmpfs),
		Config:      config(&c.Config),
	}}
	out.NetworkSettings = networkSettings(&c.NetworkSettings)
	return out
}

func config(c *engine.Config) *container.Config {
	out := &container.Config{Hostname: c.Hostname, Domainname: c.Domainname, User: c.User,
		AttachStdin: c.AttachStdin, AttachStdout: c.AttachStdout, AttachStderr: c.AttachStderr,
		Tty: c.Tty, OpenStdin: c.OpenStdin, StdinOnce: c.StdinOnce, Env: c.Env, Cmd: c.Cmd, Image: c.Image,
		Volumes: c.Volumes, WorkingDir: c.WorkingDir, Entrypoint: c.Entrypoint, Labels: c.Labels,
		StopSignal: c.StopSignal, StopTimeout: c.StopTimeout, Shell: c.Shell, Healthcheck: healthConfig(c.Healthcheck)}
	if len(c.ExposedPorts) > 0 {
		out.ExposedPorts = network.PortSet{}
		for p := range c.ExposedPorts {
			if port, err := network.ParsePort(p); err == nil {
				out.ExposedPorts[port] = struct{}{}
			}
		}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	return out
}

func hostConfig(h *engine.HostConfig) *container.HostConfig {
	restart := h.RestartPolicy.Name
	if restart == "" {
		restart = "no"
	}
	out := &container.HostConfig{
		Binds: h.Binds, LogConfig: container.LogConfig{Type: h.LogConfig.Type, Config: h.LogConfig.Config},
		NetworkMode:  container.NetworkMode(h.NetworkMode),
		PortBindings: portMap(h.PortBindings),
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyMode(restart),
			MaximumRetryCount: h.RestartPolicy.MaximumRetryCount},
		AutoRemove: h.AutoRemove, VolumesFrom: h.VolumesFrom,
		CapAdd: h.CapAdd, CapDrop: h.CapDrop, GroupAdd: h.GroupAdd, DNS: addrs(h.DNS), DNSOptions: nonNil(h.DNSOptions), DNSSearch: nonNil(h.DNSSearch),
		ExtraHosts: h.ExtraHosts, Links: h.Links, ConsoleSize: h.ConsoleSize, Privileged: h.Privileged, PublishAllPorts: h.PublishAll,
		ReadonlyRootfs: h.ReadonlyRootfs, SecurityOpt: h.SecurityOpt, Tmpfs: h.Tmpfs, Init: h.Init,
		ShmSize: h.ShmSize, Sysctls: h.Sysctls, OomScoreAdj: h.OomScoreAdj,
		PidMode: container.PidMode(h.PidMode), IpcMode: ipcMode(h.IpcMode), UTSMode: container.UTSMode(h.UTSMode),
		Runtime: "runc", // berth runs containers with runc's libcontainer, as dockerd's default runtime
		Resources: container.Resources{Memory: h.Memory, MemorySwap: h.MemorySwap, NanoCPUs: h.NanoCPUs,
			CPUShares: h.CPUShares, CpusetCpus: h.CpusetCpus, PidsLimit: pidsLimit(h.PidsLimit),
			MemoryReservation: h.MemoryReservation, CPUPeriod: h.CPUPeriod, CPUQuota: h.CPUQuota,
			Devices: deviceMappings(h.Devices), DeviceCgroupRules: nonNil(h.DeviceCgroupRules)},
	}
	// What the spec masks: a container whose SecurityOpt does not parse
	// never started, and shows what a plain one would.
	sec, _ := spec.ParseSecurityOpts(h.SecurityOpt)
	out.MaskedPaths, out.ReadonlyPaths = spec.SystemPaths(h.Privileged, sec)
	for _, u := range h.Ulimits {
		out.Ulimits = append(out.Ulimits, &units.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	for _, m := range h.Mounts {
		if !m.FromShort {
			out.Mounts = append(out.Mounts, mountSpec(m))
		}
	}
	return out
}

// mountSpec is one --mount or --tmpfs as HostConfig.Mounts shows it.
func mountSpec(m engine.MountSpec) mount.Mount {
	out := mount.Mount{Type: mount.Type(m.Type), Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	switch {
	case m.Type == "bind" && m.Propagation != "":
		out.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(m.Propagation)}
	case m.Type == "volume" && (m.NoCopy || len(m.VolumeOptions) > 0):
		out.VolumeOptions = &mount.VolumeOptions{NoCopy: m.NoCopy}
		if len(m.VolumeOptions) > 0 {
			out.VolumeOptions.DriverConfig = &mount.Driver{Name: engine.VolumeDriverLocal, Options: m.VolumeOptions}
		}
	case m.Type == "tmpfs" && (m.TmpfsSize != 0 || m.TmpfsMode != 0):
		out.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: m.TmpfsSize, Mode: fileMode(m.TmpfsMode)}
	}
	return out
}

// pidsLimit is HostConfig.PidsLimit as dockerd shows it: null when there is
// no limit (unset, 0 or negative).
func pidsLimit(p *int64) *int64 {
	if p == nil || *p <= 0 {
		return nil
	}
	return p
}

// mountPoints is the container's .Mounts: as dockerd, without the --tmpfs
// mounts (tmpfs, the destinations of HostConfig.Tmpfs), which show only
// there; a --mount type=tmpfs is listed.
func mountPoints(mps []engine.MountPoint, tmpfs map[string]string) []container.MountPoint {
	short := map[string]bool{}
	for dst := range tmpfs {
		short[path.Clean(dst)] = true
	}
	out := make([]container.MountPoint, 0, len(mps))
	for _, mp := range mps {
		if mp.Type == "tmpfs" && short[path.Clean(mp.Destination)] {
			continue
		}
		out = append(out, container.MountPoint{Type: mount.Type(mp.Type), Name: mp.Name, Source: mp.Source,
			Destination: mp.Destination, Driver: mp.Driver, Mode: mp.Mode, RW: mp.RW,
			Propagation: mount.Propagation(mp.Propagation)})
	}
	return out
}

func networkSettings(ns *engine.NetworkSettings) *NetworkSettings {
	out := &NetworkSettings{NetworkSettings: container.NetworkSettings{SandboxKey: ns.SandboxKey,
		Ports: portMap(ns.Ports), Networks: map[string]*network.EndpointSettings{}}}
	for name, ep := range ns.Networks {
		out.Networks[name] = endpoint(ep)
	}
	if ep := ns.Networks[defaultNetwork]; ep != nil {
		out.EndpointID, out.Gateway, out.IPAddress = ep.EndpointID, ep.Gateway, ep.IPAddress
		out.IPPrefixLen, out.MacAddress = ep.IPPrefixLen, ep.MacAddress
	}
	return out
}

func endpoint(ep *engine.EndpointSettings) *network.EndpointSettings {
	if ep == nil {
		return nil
	}
	out := &network.EndpointSettings{Aliases: ep.Aliases, NetworkID: ep.NetworkID, EndpointID: ep.EndpointID,
		Gateway: addr(ep.Gateway), IPAddress: addr(ep.IPAddress), IPPrefixLen: ep.IPPrefixLen,
		DNSNames: ep.DNSNames}
	if mac, err := net.ParseMAC(ep.MacAddress); err == nil {
		out.MacAddress = network.HardwareAddr(mac)
	}
	if ep.IPAMConfig != nil {
		out.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: addr(ep.IPAMConfig.IPv4Address)}
	}
	return out
}

func portMap(pm engine.PortMap) network.PortMap {
	out := network.PortMap{}
	for p, bindings := range pm {
		port, err := network.ParsePort(p)
		if err != nil {
			continue
		}
		var bs []network.PortBinding
		for _, b := range bindings {
			bs = append(bs, network.PortBinding{HostIP: addr(b.HostIP), HostPort: b.HostPort})
		}
		out[port] = bs
	}
	return out
}

// addr parses an address berth stored as text; "" (or anything unparsable,
// which the engine never stores) is the zero Addr, shown as "" in JSON.
func addr(s string) netip.Addr {
	a, _ := netip.ParseAddr(strings.TrimSpace(s))
	return a
}

func addrs(ss []string) []netip.Addr {
	out := make([]netip.Addr, 0, len(ss))
	for _, s := range ss {
		if a := addr(s); a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// fileMode turns the unix mode bits berth keeps of a tmpfs into the
// os.FileMode Docker's TmpfsOptions carry.
func fileMode(mode uint32) os.FileMode {
	fm := os.FileMode(mode & 0o777)
	for bit, m := range map[uint32]os.FileMode{0o4000: os.ModeSetuid, 0o2000: os.ModeSetgid, 0o1000: os.ModeSticky} {
		if mode&bit != 0 {
			fm |= m
		}
	}
	return fm
}

// ipcMode is the IPC mode inspect shows: dockerd 20.10's default,
// "private", when none was asked for.
func ipcMode(m string) container.IpcMode {
	if m == "" {
		return container.IPCModePrivate
	}
	return container.IpcMode(m)
}

// deviceMappings are the --device mappings in Docker's shape (an empty
// list, not null, as dockerd shows it).
func deviceMappings(ds []spec.DeviceMapping) []container.DeviceMapping {
	out := []container.DeviceMapping{}
	for _, d := range ds {
		out = append(out, container.DeviceMapping{PathOnHost: d.PathOnHost, PathInContainer: d.PathInContainer,
			CgroupPermissions: d.CgroupPermissions})
	}
	return out
}
