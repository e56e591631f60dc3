// Package tui is berth's terminal UI: the Bubble Tea program that `berth`
// opens without arguments. It is the router: the root model owns the layout,
// the global keys, the styles and the streams (engine events, one stats
// sampler, the focused container's logs), runs every engine call in a
// tea.Cmd and hands results to the views, which own their state and
// rendering.
//
// The UI talks to the engine through the Engine interface, the part of the
// engine's API (engine/api) it needs: the in-process engine and the remote
// client (engine/client) both satisfy it.
//
// Concurrency: Update and View never block. Streams are commands that wait
// for one batch and are re-issued by Update; each carries a generation or a
// key so that results for a selection that has moved on are dropped.
package tui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/engine/api"
	"berth/engine/events"
	"berth/engine/logfile"
	"berth/engine/xray"
)

// Engine is what the UI needs of a container engine: a part of api.Engine.
type Engine interface {
	// ListContainers returns the containers o selects, newest first.
	ListContainers(ctx context.Context, o engine.ContainerListOptions) ([]*engine.Container, error)
	// Create makes a container from an image without starting it.
	Create(ctx context.Context, o engine.CreateOptions) (*engine.Container, error)
	// Start starts a created or exited container.
	Start(ctx context.Context, ref string, o engine.StartOptions) error
	// Stop stops a container (its stop signal, then SIGKILL after timeout).
	Stop(ctx context.Context, ref string, o engine.StopOptions) error
	// Restart stops and starts a container.
	Restart(ctx context.Context, ref string, o engine.StopOptions) error
	// Kill sends a signal (a name like "SIGTERM" or a number).
	Kill(ctx context.Context, ref, signal string) error
	// Pause freezes a container; Unpause thaws it.
	Pause(ctx context.Context, ref string) error
	// Unpause thaws a paused container.
	Unpause(ctx context.Context, ref string) error
	// Remove deletes a container.
	Remove(ctx context.Context, ref string, o engine.RemoveOptions) error
	// PruneContainers removes the containers that are not running and
	// match f (the zero filters: all of them).
	PruneContainers(ctx context.Context, f engine.PruneFilters) (engine.PruneReport, error)
	// Rename gives a container a new name.
	Rename(ctx context.Context, ref, name string) error
	// Logs streams a container's log.
	Logs(ctx context.Context, ref string, o logfile.ReadOptions) (<-chan logfile.Entry, <-chan error, error)
	// ImageUsers lists the containers made from an image.
	ImageUsers(ctx context.Context, imageID string) ([]string, error)
	// XRay reports what a running container is made of on its host.
	XRay(ctx context.Context, ref string) (xray.Report, error)
	// Stats streams the stats of the running containers (no refs: all of
	// them, following those that start later).
	Stats(ctx context.Context, refs []string, o engine.StatsOptions) (<-chan []engine.StatsEntry, <-chan error, error)
	// Top lists the processes of a running container.
	Top(ctx context.Context, ref string) ([]engine.Process, error)
	// HostUsage reads the host's CPU counters and memory.
	HostUsage(ctx context.Context) (engine.HostSample, error)
	// Subscribe streams the engine's events, for live updates.
	Subscribe(ctx context.Context, f events.Filter) (<-chan events.Event, <-chan error)
	// Attach connects streams to a running container until it exits or
	// the client detaches.
	Attach(ctx context.Context, ref string, o engine.AttachOptions, s engine.IO) (int, error)
	// Exec runs a process in a running container on streams.
	Exec(ctx context.Context, ref string, o engine.ExecOptions, s engine.IO) (int, error)
	// Build builds an image from a Dockerfile, calling progress (from its
	// own goroutines) with each step's events; cancelling ctx stops it and
	// removes the running step's container and mounts before it returns.
	Build(ctx context.Context, o engine.BuildOptions, progress func(engine.BuildEvent)) (*engine.Image, error)
}

// ImageStore is what the UI needs of images; the engine's image API
// provides it (see imagesOf).
type ImageStore interface {
	// List returns images, newest first.
	List(ctx context.Context, opts engine.ImageListOptions) ([]engine.Image, error)
	// Pull fetches an image from a registry, sending per-layer progress.
	Pull(ctx context.Context, ref string, opts engine.PullOptions) (*engine.Image, error)
	// History lists the steps that made an image.
	History(ctx context.Context, ref string) ([]engine.HistoryEntry, error)
	// Remove untags or deletes an image; one a container was made from is
	// refused unless force.
	Remove(ctx context.Context, ref string, force bool) ([]engine.ImageDeleteResponse, error)
}

// Options configure the UI.
type Options struct {
	// Images gives the images (nil: the engine's, when it has an image API;
	// else the Images panel stays empty).
	Images ImageStore
	// Networks is the network manager (nil: the engine's, when it has one,
	// changed through the engine so that each change is an event; else the
	// Networks panel stays empty).
	Networks NetworkManager
	// Volumes is the volume store (nil: the engine's, when it has one,
	// changed through the engine so that each change is an event; else the
	// Volumes panel stays empty).
	Volumes VolumeStore
	// XRay x-rays a running container (nil: the engine's XRay).
	XRay func(ctx context.Context, c *engine.Container) (xray.Report, error)
	// CLI runs the berth verbs typed after `:` (nil: none can run).
	CLI CLI
	// Now is the clock (nil: time.Now); tests fix it.
	Now func() time.Time
	// NoColor draws with attributes only (NO_COLOR).
	NoColor bool
}

// Run opens the UI on the terminal and returns when the user quits. The
// containers keep running.
func Run(ctx context.Context, eng Engine, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(ctx, eng, opts)
	p := tea.NewProgram(m, tea.WithContext(ctx))
	if _, err := p.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}

// Every implementation of the engine's API serves the UI, its image, network
// and volume panels, and its audits.
var (
	_ Engine       = api.Engine(nil)
	_ imageEngine  = api.Engine(nil)
	_ netEngine    = api.Engine(nil)
	_ volumer      = api.Engine(nil)
	_ imageAuditor = api.Engine(nil)
)
