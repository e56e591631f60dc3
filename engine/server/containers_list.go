package server

import (
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"berth/engine"
	"berth/engine/inspect"
)

// listContainers is GET /containers/json?all=&limit=&size=&filters=; the
// engine's ListContainers applies the filters.
func (s *Server) listContainers(w http.ResponseWriter, r *http.Request) error {
	args, err := filterArgs(r.URL.Query().Get("filters"))
	if err != nil {
		return err
	}
	for _, k := range []string{"since", "before"} { // the old parameters docker-py still sends, as filters
		if v := r.URL.Query().Get(k); v != "" && len(args[k]) == 0 {
			args[k] = []string{v}
		}
	}
	limit, err := intQuery(r, "limit", -1)
	if err != nil {
		return err
	}
	cs, err := s.eng.ListContainers(r.Context(), engine.ContainerListOptions{All: queryBool(r.URL.Query(), "all"), Limit: limit, Filters: args})
	if err != nil {
		return err
	}
	size := queryBool(r.URL.Query(), "size")
	now := time.Now()
	out := []container.Summary{}
	for _, c := range cs {
		sum := summaryOf(c, now)
		if size {
			if sz, err := s.eng.Size(r.Context(), c); err == nil {
				sum.SizeRw, sum.SizeRootFs = sz.SizeRw, sz.SizeRootFs
			}
		}
		out = append(out, sum)
	}
	return writeJSON(w, http.StatusOK, out)
}

// summaryOf is a container as docker ps lists it.
func summaryOf(c *engine.Container, now time.Time) container.Summary {
	in := inspect.ContainerOf(c)
	cmd := strings.TrimSpace(c.Path + " " + strings.Join(c.Args, " "))
	sum := container.Summary{
		ID: c.ID, Names: []string{c.Name}, Image: c.ImageRef, ImageID: c.Image, Command: cmd,
		Created: c.Created.Unix(), Ports: portSummaries(c), Labels: c.Config.Labels,
		State: container.ContainerState(c.State.Status), Status: c.StatusText(now),
		NetworkSettings: &container.NetworkSettingsSummary{Networks: in.NetworkSettings.Networks},
		Mounts:          in.Mounts,
	}
	if sum.Image == "" {
		sum.Image = c.Image
	}
	if sum.Labels == nil {
		sum.Labels = map[string]string{}
	}
	sum.HostConfig.NetworkMode = c.HostConfig.NetworkMode
	if h := c.State.Health; h != nil {
		sum.Health = &container.HealthSummary{Status: container.HealthStatus(h.Status), FailingStreak: h.FailingStreak}
	} else if c.Config.Healthcheck != nil {
		sum.Health = &container.HealthSummary{Status: container.NoHealthcheck}
	}
	if sum.Mounts == nil {
		sum.Mounts = []container.MountPoint{}
	}
	return sum
}

// portSummaries are the published ports of a running container and the
// exposed ports without a binding, as docker ps shows them.
func portSummaries(c *engine.Container) []container.PortSummary {
	out := []container.PortSummary{}
	seen := map[string]bool{}
	for key, bs := range c.NetworkSettings.Ports {
		p, err := network.ParsePort(key)
		if err != nil {
			continue
		}
		for _, b := range bs {
			seen[key] = true
			ps := container.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())}
			if ip, err := netip.ParseAddr(b.HostIP); err == nil {
				ps.IP = ip
			}
			if hp, err := strconv.ParseUint(b.HostPort, 10, 16); err == nil {
				ps.PublicPort = uint16(hp)
			}
			out = append(out, ps)
		}
	}
	for key := range c.Config.ExposedPorts {
		if seen[key] {
			continue
		}
		if p, err := network.ParsePort(key); err == nil {
			out = append(out, container.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PrivatePort != out[j].PrivatePort {
			return out[i].PrivatePort < out[j].PrivatePort
		}
		return out[i].IP.Less(out[j].IP)
	})
	return out
}
