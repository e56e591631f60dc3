package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	moby "github.com/moby/moby/client"

	"berth/engine"
	"berth/engine/inspect"
)

// Create makes a container as POST /containers/create does.
func (c *Client) Create(ctx context.Context, o engine.CreateOptions) (*engine.Container, error) {
	cfg, hc := createBody(o)
	req := moby.ContainerCreateOptions{Name: o.Name, Config: cfg, HostConfig: hc,
		NetworkingConfig: networkingConfig(o)}
	res, err := c.api.ContainerCreate(ctx, req)
	if err != nil {
		return nil, wire(err, "create the container")
	}
	return c.Inspect(ctx, res.ID)
}

// createBody is the create request's Config and HostConfig: the engine's
// shapes as inspect shows them, with -v mounts given back as Binds (so the
// server reads them with -v's rules) and a cleared entrypoint as [""].
func createBody(o engine.CreateOptions) (*container.Config, *container.HostConfig) {
	view := inspect.ContainerOf(&engine.Container{Config: o.Config, HostConfig: o.HostConfig})
	cfg, hc := view.Config, view.HostConfig
	switch {
	case o.EntrypointSet && len(o.Config.Entrypoint) == 0:
		cfg.Entrypoint = []string{""}
	case !o.EntrypointSet && len(o.Config.Entrypoint) == 0:
		cfg.Entrypoint = nil // the image's
	}
	hc.Binds = nil
	// Inspect shows the paths the spec masks, which follow from Privileged
	// and SecurityOpt; sent, they would ask for exactly those.
	hc.MaskedPaths, hc.ReadonlyPaths = nil, nil
	for _, m := range o.HostConfig.Mounts {
		switch {
		case m.FromShort && m.Type == "tmpfs":
			if hc.Tmpfs == nil {
				hc.Tmpfs = map[string]string{}
			}
			if _, ok := hc.Tmpfs[m.Target]; !ok {
				hc.Tmpfs[m.Target] = ""
			}
		case m.FromShort:
			hc.Binds = append(hc.Binds, shortBind(m))
		}
	}
	return cfg, hc
}

// shortBind writes a -v mount back as its -v text.
func shortBind(m engine.MountSpec) string {
	s := m.Target
	if m.Source != "" {
		s = m.Source + ":" + m.Target
	}
	if m.Mode != "" {
		return s + ":" + m.Mode // the options as given
	}
	var opts []string
	if m.ReadOnly {
		opts = append(opts, "ro")
	}
	if m.NoCopy {
		opts = append(opts, "nocopy")
	}
	if m.Propagation != "" {
		opts = append(opts, m.Propagation)
	}
	for i, o := range opts {
		if i == 0 {
			s += ":" + o
		} else {
			s += "," + o
		}
	}
	return s
}

// networkingConfig carries --ip, --mac-address and --network-alias for the
// container's primary network, and the networks it joins besides.
func networkingConfig(o engine.CreateOptions) *network.NetworkingConfig {
	want := o.Network
	if want.IPAddress == "" && want.MacAddress == "" && len(want.Aliases) == 0 && len(o.ExtraNetworks) == 0 {
		return nil
	}
	name := o.HostConfig.NetworkMode
	if name == "" || name == "default" {
		name = "bridge"
	}
	eps := map[string]*network.EndpointSettings{name: endpointSettings(want)}
	for n, ep := range o.ExtraNetworks {
		eps[n] = endpointSettings(ep)
	}
	return &network.NetworkingConfig{EndpointsConfig: eps}
}

// endpointSettings is one network's asked-for aliases, address and MAC.
func endpointSettings(want engine.EndpointSettings) *network.EndpointSettings {
	ep := &network.EndpointSettings{Aliases: want.Aliases}
	if ip, err := netip.ParseAddr(want.IPAddress); err == nil {
		ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: ip}
	}
	if mac, err := net.ParseMAC(want.MacAddress); err == nil {
		ep.MacAddress = network.HardwareAddr(mac)
	}
	return ep
}

// Start starts a container; starting a running one is no error (the server's
// 304), as with the in-process engine. With WaitAttach the start is made by
// the next Attach, once its streams are connected, so that it misses no
// output (an attached run over the API attaches before it starts).
func (c *Client) Start(ctx context.Context, ref string, o engine.StartOptions) error {
	if o.WaitAttach {
		return c.startOnAttach(ctx, ref)
	}
	_, err := c.api.ContainerStart(ctx, ref, moby.ContainerStartOptions{})
	return wire(err, "start the container")
}

// Stop stops a container with o's signal (empty: its own), killing it
// after o's timeout (nil: its own).
func (c *Client) Stop(ctx context.Context, ref string, o engine.StopOptions) error {
	_, err := c.api.ContainerStop(ctx, ref, moby.ContainerStopOptions{Signal: o.Signal, Timeout: seconds(o.Timeout)})
	return wire(err, "stop the container")
}

// Restart restarts a container, stopping it with o's signal and timeout.
func (c *Client) Restart(ctx context.Context, ref string, o engine.StopOptions) error {
	_, err := c.api.ContainerRestart(ctx, ref, moby.ContainerRestartOptions{Signal: o.Signal, Timeout: seconds(o.Timeout)})
	return wire(err, "restart the container")
}

func seconds(d *time.Duration) *int {
	if d == nil {
		return nil
	}
	s := int(d.Round(time.Second) / time.Second)
	return &s
}

// Kill sends a signal to a container's process.
func (c *Client) Kill(ctx context.Context, ref, signal string) error {
	_, err := c.api.ContainerKill(ctx, ref, moby.ContainerKillOptions{Signal: signal})
	return wire(err, "kill the container")
}

// Pause freezes a container.
func (c *Client) Pause(ctx context.Context, ref string) error {
	_, err := c.api.ContainerPause(ctx, ref, moby.ContainerPauseOptions{})
	return wire(err, "pause the container")
}

// Unpause thaws a container.
func (c *Client) Unpause(ctx context.Context, ref string) error {
	_, err := c.api.ContainerUnpause(ctx, ref, moby.ContainerUnpauseOptions{})
	return wire(err, "unpause the container")
}

// Remove removes a container.
func (c *Client) Remove(ctx context.Context, ref string, o engine.RemoveOptions) error {
	_, err := c.api.ContainerRemove(ctx, ref, moby.ContainerRemoveOptions{Force: o.Force, RemoveVolumes: o.Volumes})
	return wire(err, "remove the container")
}

// Rename gives a container a new name.
func (c *Client) Rename(ctx context.Context, ref, name string) error {
	_, err := c.api.ContainerRename(ctx, ref, moby.ContainerRenameOptions{NewName: name})
	return wire(err, "rename the container")
}

// Update changes a container's resources and restart policy.
func (c *Client) Update(ctx context.Context, ref string, o engine.UpdateOptions) error {
	res := &container.Resources{}
	set := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&res.Memory, o.Memory)
	set(&res.MemorySwap, o.MemorySwap)
	set(&res.NanoCPUs, o.NanoCPUs)
	set(&res.CPUShares, o.CPUShares)
	set(&res.MemoryReservation, o.MemoryReservation)
	set(&res.CPUPeriod, o.CPUPeriod)
	set(&res.CPUQuota, o.CPUQuota)
	if o.CpusetCpus != nil {
		res.CpusetCpus = *o.CpusetCpus
	}
	res.PidsLimit = o.PidsLimit
	req := moby.ContainerUpdateOptions{Resources: res}
	if o.Restart != nil {
		req.RestartPolicy = &container.RestartPolicy{Name: container.RestartPolicyMode(o.Restart.Name),
			MaximumRetryCount: o.Restart.MaximumRetryCount}
	}
	_, err := c.api.ContainerUpdate(ctx, ref, req)
	return wire(err, "update the container")
}

// Wait blocks until the container is not running and returns its exit code.
func (c *Client) Wait(ctx context.Context, ref string) (int, error) {
	return c.wait(ctx, ref, container.WaitConditionNotRunning)
}

// wait waits for a container's condition and returns its exit code.
func (c *Client) wait(ctx context.Context, ref string, cond container.WaitCondition) (int, error) {
	w := c.api.ContainerWait(ctx, ref, moby.ContainerWaitOptions{Condition: cond})
	select {
	case r := <-w.Result:
		if r.Error != nil && r.Error.Message != "" {
			return -1, fmt.Errorf("wait for container %s: %s", ref, r.Error.Message)
		}
		return int(r.StatusCode), nil
	case err := <-w.Error:
		return -1, wire(err, "wait for the container")
	}
}

// ListContainers returns the containers o selects (the server applies the
// filters), each as Inspect shows it; one removed while listing is left out.
func (c *Client) ListContainers(ctx context.Context, o engine.ContainerListOptions) ([]*engine.Container, error) {
	res, err := c.api.ContainerList(ctx, moby.ContainerListOptions{All: o.All, Limit: o.Limit, Filters: filtersOf(o.Filters)})
	if err != nil {
		return nil, wire(err, "list containers")
	}
	out := make([]*engine.Container, 0, len(res.Items))
	for _, s := range res.Items {
		ctr, err := c.Inspect(ctx, s.ID)
		if errdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ctr)
	}
	return out, nil
}

// Inspect returns a container by ID, ID prefix or name.
func (c *Client) Inspect(ctx context.Context, ref string) (*engine.Container, error) {
	res, err := c.api.ContainerInspect(ctx, ref, moby.ContainerInspectOptions{})
	if err != nil {
		return nil, wire(err, "inspect the container")
	}
	return containerOf(res)
}

// containerOf decodes inspect's answer into the engine's Container, whose
// fields carry Docker's names; mount options that inspect nests are laid
// back onto the engine's flat MountSpec.
func containerOf(res moby.ContainerInspectResult) (*engine.Container, error) {
	var ctr engine.Container
	if err := json.Unmarshal(res.Raw, &ctr); err != nil {
		return nil, fmt.Errorf("decode the container's inspect: %w", err)
	}
	ctr.ImageRef = ctr.Config.Image
	if hc := res.Container.HostConfig; hc != nil {
		for i, m := range hc.Mounts {
			if i >= len(ctr.HostConfig.Mounts) {
				break
			}
			ms := &ctr.HostConfig.Mounts[i]
			if m.BindOptions != nil {
				ms.Propagation = string(m.BindOptions.Propagation)
			}
			if m.VolumeOptions != nil {
				ms.NoCopy = m.VolumeOptions.NoCopy
			}
			if m.TmpfsOptions != nil {
				ms.TmpfsSize, ms.TmpfsMode = m.TmpfsOptions.SizeBytes, uint32(m.TmpfsOptions.Mode.Perm())
			}
		}
	}
	return &ctr, nil
}

// Size measures a container's writes and its whole root filesystem.
func (c *Client) Size(ctx context.Context, ctr *engine.Container) (engine.ContainerSize, error) {
	res, err := c.api.ContainerInspect(ctx, ctr.ID, moby.ContainerInspectOptions{Size: true})
	if err != nil {
		return engine.ContainerSize{}, wire(err, "measure the container")
	}
	var sz engine.ContainerSize
	if res.Container.SizeRw != nil {
		sz.SizeRw = *res.Container.SizeRw
	}
	if res.Container.SizeRootFs != nil {
		sz.SizeRootFs = *res.Container.SizeRootFs
	}
	return sz, nil
}

// atoi reads a number of a wire table, 0 when it is not one.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
