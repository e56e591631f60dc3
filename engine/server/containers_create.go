package server

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"berth/engine"
	"berth/engine/health"
	"berth/engine/monitor"
	"berth/engine/opts"
	"berth/engine/spec"
)

// createContainer is POST /containers/create?name=: the request's Config,
// HostConfig and NetworkingConfig become the engine's CreateOptions. A set
// field berth cannot honour is refused (400, naming it) before anything is
// made.
func (s *Server) createContainer(w http.ResponseWriter, r *http.Request) error {
	var req container.CreateRequest
	if err := readJSON(r, &req); err != nil {
		// The config's fields sit at the top of the body, not under "Config".
		return badRequest("%s", strings.Replace(err.Error(), `field "Config.`, `field "`, 1))
	}
	if req.Config == nil {
		req.Config = &container.Config{}
	}
	o, err := createOptions(r.URL.Query().Get("name"), &req)
	if err != nil {
		return err
	}
	warnings := []string{}
	if o.HostConfig.NetworkMode == "host" && (len(o.HostConfig.PortBindings) > 0 || o.HostConfig.PublishAll) {
		warnings = append(warnings, "Published ports are discarded when using host network mode") // dockerd's words
	}
	c, err := s.eng.Create(r.Context(), o)
	if err != nil {
		if !errdefs.IsNotFound(err) || o.Config.Image == "" {
			return err
		}
		if _, ierr := s.eng.InspectImage(r.Context(), o.Config.Image); errdefs.IsNotFound(ierr) {
			return notFound("No such image: %s", o.Config.Image) // dockerd's words, which clients look for
		}
		return err
	}
	return writeJSON(w, http.StatusCreated, container.CreateResponse{ID: c.ID, Warnings: warnings})
}

// createOptions converts a create request, the networks to join besides
// the primary one included (the engine's Create joins them).
func createOptions(name string, req *container.CreateRequest) (engine.CreateOptions, error) {
	o := engine.CreateOptions{Name: strings.TrimPrefix(name, "/")}
	if err := configOptions(req.Config, &o); err != nil {
		return o, err
	}
	h := req.HostConfig
	if h == nil {
		h = &container.HostConfig{}
	}
	if err := hostOptions(h, &o.HostConfig); err != nil {
		return o, err
	}
	extra, err := networkOptions(req.NetworkingConfig, &o)
	if len(extra) > 0 {
		o.ExtraNetworks = extra
	}
	return o, err
}

// configOptions converts the container's Config.
func configOptions(c *container.Config, o *engine.CreateOptions) error {
	if err := unsupported("Config", []setField{
		{"OnBuild", len(c.OnBuild) > 0},
		{"NetworkDisabled", c.NetworkDisabled},
	}); err != nil {
		return err
	}
	out := &o.Config
	*out = engine.Config{Hostname: c.Hostname, Domainname: c.Domainname, User: c.User,
		AttachStdin: c.AttachStdin, AttachStdout: c.AttachStdout, AttachStderr: c.AttachStderr,
		Tty: c.Tty, OpenStdin: c.OpenStdin, StdinOnce: c.StdinOnce, Env: c.Env, Cmd: c.Cmd, Image: c.Image,
		Volumes: c.Volumes, WorkingDir: c.WorkingDir, Labels: c.Labels, StopSignal: c.StopSignal,
		StopTimeout: c.StopTimeout, Shell: c.Shell}
	if c.Entrypoint != nil {
		o.EntrypointSet = true
		out.Entrypoint = c.Entrypoint
		if len(c.Entrypoint) == 0 {
			out.Entrypoint = []string{""}
		}
	}
	if len(c.ExposedPorts) > 0 {
		out.ExposedPorts = map[string]struct{}{}
		for p := range c.ExposedPorts {
			out.ExposedPorts[p.String()] = struct{}{}
		}
	}
	if hc := c.Healthcheck; hc != nil {
		out.Healthcheck = &health.Config{Test: hc.Test, Interval: hc.Interval, Timeout: hc.Timeout,
			StartPeriod: hc.StartPeriod, StartInterval: hc.StartInterval, Retries: hc.Retries}
	}
	for _, kv := range c.Env {
		if k, _, _ := strings.Cut(kv, "="); k == "" {
			return badRequest("Config.Env holds %q, which has no variable name", kv)
		}
	}
	return nil
}

// hostOptions converts the HostConfig.
func hostOptions(h *container.HostConfig, out *engine.HostConfig) error {
	if err := unsupportedHost(h); err != nil {
		return err
	}
	// Devices are a create's only (update refuses them, as dockerd).
	devices, rules := h.Devices, h.DeviceCgroupRules
	h.Devices, h.DeviceCgroupRules = nil, nil
	err := resourceOptions(&h.Resources, &out.Resources)
	h.Devices, h.DeviceCgroupRules = devices, rules
	if err != nil {
		return err
	}
	out.Devices, out.DeviceCgroupRules = deviceMappings(devices), rules
	out.NetworkMode = string(h.NetworkMode)
	if out.NetworkMode == "default" {
		out.NetworkMode = ""
	}
	out.RestartPolicy = monitor.RestartPolicy{Name: string(h.RestartPolicy.Name), MaximumRetryCount: h.RestartPolicy.MaximumRetryCount}
	if out.RestartPolicy.Name == "" {
		out.RestartPolicy.Name = "no"
	}
	out.AutoRemove, out.Privileged, out.ReadonlyRootfs = h.AutoRemove, h.Privileged, h.ReadonlyRootfs
	out.CapAdd, out.CapDrop, out.Init = h.CapAdd, h.CapDrop, h.Init
	out.GroupAdd = h.GroupAdd
	out.PidMode, out.IpcMode, out.UTSMode = string(h.PidMode), string(h.IpcMode), string(h.UTSMode)
	out.PublishAll, out.VolumesFrom = h.PublishAllPorts, h.VolumesFrom
	out.SecurityOpt = h.SecurityOpt
	if h.MaskedPaths != nil || h.ReadonlyPaths != nil {
		out.SecurityOpt = append(out.SecurityOpt, "systempaths=unconfined")
	}
	out.LogConfig = engine.LogConfig{Type: h.LogConfig.Type, Config: h.LogConfig.Config}
	if out.LogConfig.Config == nil {
		out.LogConfig.Config = map[string]string{}
	}
	for _, d := range h.DNS {
		out.DNS = append(out.DNS, d.String())
	}
	for _, eh := range h.ExtraHosts {
		if _, _, err := engine.ParseExtraHost(eh); err != nil {
			return badRequest("HostConfig.ExtraHosts holds %q; want host:ip (or host:%s)", eh, engine.HostGateway)
		}
	}
	out.ExtraHosts, out.Links, out.ConsoleSize = h.ExtraHosts, h.Links, h.ConsoleSize
	out.DNSSearch, out.DNSOptions = h.DNSSearch, h.DNSOptions
	out.ShmSize, out.Sysctls, out.OomScoreAdj = h.ShmSize, h.Sysctls, h.OomScoreAdj
	out.PortBindings = portBindings(h.PortBindings)
	return mountOptions(h, out)
}

// deviceMappings are HostConfig.Devices with dockerd's defaults: the same
// path inside, and rwm.
func deviceMappings(devices []container.DeviceMapping) []spec.DeviceMapping {
	var out []spec.DeviceMapping
	for _, d := range devices {
		m := spec.DeviceMapping{PathOnHost: d.PathOnHost, PathInContainer: d.PathInContainer, CgroupPermissions: d.CgroupPermissions}
		if m.PathInContainer == "" {
			m.PathInContainer = m.PathOnHost
		}
		if m.CgroupPermissions == "" {
			m.CgroupPermissions = "rwm"
		}
		out = append(out, m)
	}
	return out
}

// portBindings are HostConfig.PortBindings in the engine's form; a port
// with no binding keeps an empty list.
func portBindings(in network.PortMap) engine.PortMap {
	out := engine.PortMap{}
	for p, bs := range in {
		key := p.String()
		out[key] = []engine.PortBinding{}
		for _, b := range bs {
			pb := engine.PortBinding{HostPort: b.HostPort}
			if b.HostIP.IsValid() {
				pb.HostIP = b.HostIP.String()
			}
			out[key] = append(out[key], pb)
		}
	}
	return out
}

// mountOptions converts Binds, Tmpfs and Mounts with the parsers the CLI's
// -v and --tmpfs use.
func mountOptions(h *container.HostConfig, out *engine.HostConfig) error {
	var tmpfs []string
	for _, dst := range slices.Sorted(maps.Keys(h.Tmpfs)) {
		spec := dst
		if o := h.Tmpfs[dst]; o != "" {
			spec += ":" + o
		}
		tmpfs = append(tmpfs, spec)
	}
	if err := opts.Mounts(out, h.Binds, nil, tmpfs); err != nil {
		return err
	}
	out.Binds = append([]string(nil), h.Binds...) // inspect shows them as asked, modes included
	for i := range out.Mounts {
		if out.Mounts[i].Type == "tmpfs" {
			out.Mounts[i].FromShort = true // shown in HostConfig.Tmpfs, as asked
		}
	}
	if len(h.Tmpfs) > 0 {
		out.Tmpfs = h.Tmpfs
	}
	for i, m := range h.Mounts {
		ms, err := mountSpec(fmt.Sprintf("HostConfig.Mounts[%d]", i), m)
		if err != nil {
			return err
		}
		out.Mounts = append(out.Mounts, ms)
	}
	return nil
}

// resourceOptions converts the limits berth applies and refuses the others
// (create and update share it).
func resourceOptions(r *container.Resources, out *spec.Resources) error {
	if err := unsupportedResources(r); err != nil {
		return err
	}
	out.Memory, out.MemorySwap, out.NanoCPUs = r.Memory, r.MemorySwap, r.NanoCPUs
	out.CPUShares, out.CpusetCpus, out.PidsLimit = r.CPUShares, r.CpusetCpus, r.PidsLimit
	out.MemoryReservation, out.CPUPeriod, out.CPUQuota = r.MemoryReservation, r.CPUPeriod, r.CPUQuota
	for _, u := range r.Ulimits {
		if u != nil {
			out.Ulimits = append(out.Ulimits, spec.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
		}
	}
	return nil
}

// networkOptions takes the primary network's endpoint settings into o and
// returns the other networks'.
func networkOptions(nc *network.NetworkingConfig, o *engine.CreateOptions) (map[string]engine.EndpointSettings, error) {
	if nc == nil || len(nc.EndpointsConfig) == 0 {
		return nil, nil
	}
	mode := o.HostConfig.NetworkMode
	if mode == "" && len(nc.EndpointsConfig) == 1 {
		for name := range nc.EndpointsConfig {
			mode, o.HostConfig.NetworkMode = name, name
		}
	}
	if mode == "" {
		mode = "bridge"
	}
	extra := map[string]engine.EndpointSettings{}
	for name, ep := range nc.EndpointsConfig {
		es, err := endpointOptions(name, ep)
		if err != nil {
			return nil, err
		}
		if ep != nil { // links given per network name containers alike
			for _, l := range ep.Links {
				if !slices.Contains(o.HostConfig.Links, l) {
					o.HostConfig.Links = append(o.HostConfig.Links, l)
				}
			}
		}
		if name == mode || defaultNetwork(name) && defaultNetwork(mode) {
			o.Network = es
		} else {
			extra[name] = es
		}
	}
	return extra, nil
}

// endpointOptions converts one network's endpoint settings.
func endpointOptions(name string, ep *network.EndpointSettings) (engine.EndpointSettings, error) {
	var es engine.EndpointSettings
	if ep == nil {
		return es, nil
	}
	field := "NetworkingConfig.EndpointsConfig[" + name + "]"
	ipam := ep.IPAMConfig
	if err := unsupported(field, []setField{
		{"DriverOpts", len(ep.DriverOpts) > 0},
		{"GwPriority", ep.GwPriority != 0},
		{"IPAMConfig.IPv6Address", ipam != nil && ipam.IPv6Address.IsValid()},
		{"IPAMConfig.LinkLocalIPs", ipam != nil && len(ipam.LinkLocalIPs) > 0},
	}); err != nil {
		return es, err
	}
	es.Aliases = ep.Aliases
	if ipam != nil && ipam.IPv4Address.IsValid() {
		es.IPAddress = ipam.IPv4Address.String()
	}
	if len(ep.MacAddress) > 0 {
		es.MacAddress = ep.MacAddress.String()
	}
	return es, nil
}

// defaultNetwork says whether a network name means the default bridge.
func defaultNetwork(name string) bool {
	return name == "" || name == "default" || name == "bridge"
}
