package engine

import (
	"context"
	"sort"

	"berth/engine/xray"
)

// XRay reports what the running container ref is made of on the host: its
// namespaces next to the host's, cgroup files, overlay layers (named from its
// image's history), mounts, veths, routes and nftables rules, capabilities
// and seccomp mode. A container that does not run is an
// errdefs.ErrFailedPrecondition.
func (e *Engine) XRay(ctx context.Context, ref string) (xray.Report, error) {
	c, err := e.Inspect(ctx, ref)
	if err != nil {
		return xray.Report{}, err
	}
	// Without a history the layers stay unnamed; the rest still helps.
	hist, _ := e.images.History(ctx, c.Image)
	return xray.Inspect(ctx, xrayTarget(c), hist, xray.Options{Endpoints: e.nets.Endpoints, Table: e.nets.TableName()})
}

// xrayTarget is what the X-ray reads of container c.
func xrayTarget(c *Container) xray.Target {
	t := xray.Target{ID: c.ID, Name: c.Name, Pid: c.State.Pid, Running: c.State.Running,
		CgroupPath: CgroupPath(c.ID), NetworkMode: c.HostConfig.NetworkMode,
		SandboxKey: c.NetworkSettings.SandboxKey, Overlay: c.GraphDriver.Data, Mounts: c.Mounts}
	for name, s := range c.NetworkSettings.Networks {
		if s != nil {
			t.Networks = append(t.Networks, xray.NetSetting{Network: name, NetworkID: s.NetworkID,
				IP: s.IPAddress, Gateway: s.Gateway, MAC: s.MacAddress, Prefix: s.IPPrefixLen})
		}
	}
	keys := make([]string, 0, len(c.NetworkSettings.Ports))
	for k := range c.NetworkSettings.Ports {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, b := range c.NetworkSettings.Ports[k] {
			t.Ports = append(t.Ports, k+" -> "+b.HostIP+":"+b.HostPort)
		}
	}
	return t
}
