// Package containers is the containers panel: a sortable, filterable table
// of containers with a coloured state dot, docker's status text, CPU %,
// memory, uptime and a CPU sparkline, a cursor and marks.
package containers

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"berth/engine"
)

// Row is one container as the table shows it.
type Row struct {
	// ID is the full container ID; Name has no leading slash.
	ID, Name string
	// Image is the reference the container was made from.
	Image string
	// State is running, paused, restarting, exited, created or dead.
	State string
	// ExitCode is the last exit code.
	ExitCode int
	// Pid is the init's host PID while running.
	Pid int
	// Created, Started and Finished are the container's times (zero if never).
	Created, Started, Finished time.Time
	// C is the container as the engine returned it.
	C *engine.Container
}

// Running reports whether the container is up (running or paused).
func (r Row) Running() bool { return r.C != nil && r.C.State.Running }

// FromContainer builds a Row from an engine container.
func FromContainer(c *engine.Container) Row {
	img := c.ImageRef
	if img == "" {
		img = c.Config.Image
	}
	if hex, ok := strings.CutPrefix(img, "sha256:"); ok && len(hex) > 12 {
		img = hex[:12] // the image by its ID (its tag moved on), short as docker ps shows it
	}
	return Row{
		ID: c.ID, Name: strings.TrimPrefix(c.Name, "/"), Image: img, State: c.State.Status,
		ExitCode: c.State.ExitCode, Pid: c.State.Pid, Created: c.Created,
		Started: parseTime(c.State.StartedAt), Finished: parseTime(c.State.FinishedAt), C: c,
	}
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// Health is the container's health status (starting, healthy, unhealthy)
// while it runs with a health check, else "".
func (r Row) Health() string {
	if r.C == nil || !r.C.State.Running || r.C.State.Health == nil {
		return ""
	}
	return r.C.State.Health.Status
}

// Uptime is a short running time ("42s", "3m", "5h", "2d"), "-" when down.
func (r Row) Uptime(now time.Time) string {
	if !r.Running() || r.Started.IsZero() {
		return "-"
	}
	return ShortDuration(now.Sub(r.Started))
}

// ShortDuration formats d in its largest whole unit.
func ShortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// PortLines lists the published ports of c as `berth port` prints them
// ("80/tcp -> 0.0.0.0:8080"), sorted by container port.
func PortLines(c *engine.Container) []string {
	var out []string
	for _, k := range portKeys(c) {
		for _, b := range c.NetworkSettings.Ports[k] {
			out = append(out, k+" -> "+b.HostIP+":"+b.HostPort)
		}
	}
	return out
}

// PortsCell is the compact PORTS cell of docker ps ("0.0.0.0:8080->80/tcp").
func PortsCell(c *engine.Container) string {
	var out []string
	for _, k := range portKeys(c) {
		for _, b := range c.NetworkSettings.Ports[k] {
			out = append(out, b.HostIP+":"+b.HostPort+"->"+k)
		}
	}
	return strings.Join(out, ", ")
}

func portKeys(c *engine.Container) []string {
	if c == nil {
		return nil
	}
	keys := make([]string, 0, len(c.NetworkSettings.Ports))
	for k := range c.NetworkSettings.Ports {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		pi, _ := strconv.Atoi(strings.SplitN(keys[i], "/", 2)[0])
		pj, _ := strconv.Atoi(strings.SplitN(keys[j], "/", 2)[0])
		if pi != pj {
			return pi < pj
		}
		return keys[i] < keys[j]
	})
	return keys
}
