// Package api is the engine's API as Go interfaces: what every front end —
// the CLI verbs, the TUI, the Docker Engine API server (engine/server) and
// the remote client (engine/client) — may ask of an engine, split by resource
// as moby's backends are. The in-process engine (*engine.Engine) is one
// implementation; a client over the Docker Engine API is the second. The
// request and report types are the engine's own (package engine and the
// aliases in engine/apitypes.go); this package holds no implementation.
package api

import (
	"context"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/api/types/system"

	"berth/engine"
	"berth/engine/events"
	"berth/engine/logfile"
	"berth/engine/xray"
	"berth/images"
	"berth/images/audit"
	"berth/images/build"
	"berth/stats"
)

// Containers creates, runs, changes and reads containers.
type Containers interface {
	Create(ctx context.Context, o engine.CreateOptions) (*engine.Container, error)
	Start(ctx context.Context, ref string, o engine.StartOptions) error
	// Stop sends the stop signal (o's, else the container's), waits o's
	// timeout (nil: the container's) and kills; Restart stops and starts.
	Stop(ctx context.Context, ref string, o engine.StopOptions) error
	Restart(ctx context.Context, ref string, o engine.StopOptions) error
	Kill(ctx context.Context, ref, signal string) error
	Pause(ctx context.Context, ref string) error
	Unpause(ctx context.Context, ref string) error
	Remove(ctx context.Context, ref string, o engine.RemoveOptions) error
	Rename(ctx context.Context, ref, name string) error
	Update(ctx context.Context, ref string, o engine.UpdateOptions) error
	// Wait blocks until the container is not running and returns its exit code.
	Wait(ctx context.Context, ref string) (int, error)
	// ListContainers returns the containers o selects (Docker's ps
	// filters), newest first.
	ListContainers(ctx context.Context, o engine.ContainerListOptions) ([]*engine.Container, error)
	Inspect(ctx context.Context, ref string) (*engine.Container, error)
	Size(ctx context.Context, c *engine.Container) (engine.ContainerSize, error)
	// Logs streams the container's log entries; the error channel closes
	// when the stream ends.
	Logs(ctx context.Context, ref string, o logfile.ReadOptions) (<-chan logfile.Entry, <-chan error, error)
	// Attach pumps streams to and from a running container until it exits
	// (its exit code) or the client detaches (engine.ErrDetached).
	Attach(ctx context.Context, ref string, o engine.AttachOptions, streams engine.IO) (int, error)
	// AwaitStart records, until release, that a client waits to attach to
	// the container's next start, which then holds its process for the
	// client wherever it is made; started closes once it can be attached.
	AwaitStart(ctx context.Context, ref string) (started <-chan struct{}, release func(), err error)
	// Exec runs a process in a running container and returns its exit code.
	Exec(ctx context.Context, ref string, o engine.ExecOptions, streams engine.IO) (int, error)
	Top(ctx context.Context, ref string) ([]stats.Process, error)
	Stats(ctx context.Context, refs []string, o engine.StatsOptions) (<-chan []engine.StatsEntry, <-chan error, error)
	XRay(ctx context.Context, ref string) (xray.Report, error)
	CopyTo(ctx context.Context, ref, p string, r io.Reader) error
	CopyFrom(ctx context.Context, ref, p string, follow bool, w io.Writer) (os.FileInfo, error)
	Commit(ctx context.Context, ref string, o engine.CommitOptions) (*images.Image, error)
	Diff(ctx context.Context, ref string) ([]images.Change, error)
	Export(ctx context.Context, ref string, w io.Writer) error
	// containers API:
	// WaitFor blocks until cond holds (Docker's wait conditions) and
	// returns the exit code of the container's last run.
	WaitFor(ctx context.Context, ref string, cond engine.WaitCondition) (int, error)
	// StatPath describes a path inside the container without reading it.
	StatPath(ctx context.Context, ref, p string) (engine.PathStat, error)
	// ExtractArchive untars r into the existing directory dir of the container.
	ExtractArchive(ctx context.Context, ref, dir string, r io.Reader, o engine.ExtractOptions) error
	// PruneContainers removes the stopped containers that match f (the
	// zero PruneFilters: every stopped one).
	PruneContainers(ctx context.Context, f engine.PruneFilters) (engine.PruneReport, error)
	// streams:
	// Resize sets a running container's terminal size outside an Attach.
	Resize(ctx context.Context, ref string, width, height uint16) error
	// exec instances (Docker's exec create, start, inspect and resize), kept
	// where every process of the engine sees them:
	// ExecCreate records an exec instance of a running container.
	ExecCreate(ctx context.Context, ref string, cfg engine.ExecConfig) (string, error)
	// ExecStart runs an instance once and returns its exit code.
	ExecStart(ctx context.Context, ref string, o engine.ExecStartOptions, streams engine.IO) (int, error)
	// ExecInspect reads an instance: running, exit code, configuration.
	ExecInspect(ctx context.Context, ref string) (*engine.ExecInstance, error)
	// ExecResize sets a running terminal exec's size.
	ExecResize(ctx context.Context, ref string, ws engine.WinSize) error
}

// Images keeps, moves and removes images.
type Images interface {
	ListImages(ctx context.Context, o images.ListOptions) ([]images.Image, error)
	InspectImage(ctx context.Context, ref string) (*images.Image, error)
	ImageHistory(ctx context.Context, ref string) ([]images.HistoryEntry, error)
	ImageUsers(ctx context.Context, imageID string) ([]string, error)
	PullImage(ctx context.Context, ref string, o images.PullOptions) (*images.Image, error)
	PushImage(ctx context.Context, ref string, o images.PushOptions) (string, int64, error)
	TagImage(ctx context.Context, src, target string) error
	RemoveImage(ctx context.Context, ref string, force bool) ([]images.DeleteResponse, error)
	PruneImages(ctx context.Context, all bool) ([]images.DeleteResponse, int64, error)
	SaveImages(ctx context.Context, w io.Writer, refs []string) error
	LoadImages(ctx context.Context, r io.Reader, progress func(string)) ([]string, error)
	ImportImage(ctx context.Context, r io.Reader, ref string, changes ...string) (*images.Image, error)
	BootstrapImage(ctx context.Context, name string, progress func(string)) (*images.Image, error)
	// images and builds (server):
	ImageDescriptor(ctx context.Context, ref string) (*images.Image, v1.Descriptor, error)
	// ImportImageURL imports the filesystem tar at an http(s) URL, fetched
	// on the engine's host.
	ImportImageURL(ctx context.Context, src, ref string, changes ...string) (*images.Image, error)
	// s19-api:
	// PruneImagesWith is PruneImages narrowed by until and label filters.
	PruneImagesWith(ctx context.Context, all bool, f engine.PruneFilters) ([]images.DeleteResponse, int64, error)
	// h-api:
	// ImportImageWith is ImportImage with a commit message (docker import -m).
	ImportImageWith(ctx context.Context, r io.Reader, o images.ImportOptions) (*images.Image, error)
	// ImportImageURLWith is ImportImageURL with a commit message.
	ImportImageURLWith(ctx context.Context, src string, o images.ImportOptions) (*images.Image, error)
	// h-sweep:
	// PullAllTags pulls every tag the registry lists for a repository
	// (docker pull --all-tags; the API's pull without a tag).
	PullAllTags(ctx context.Context, repo string, o images.PullOptions) ([]*images.Image, error)
}

// Builds turns Dockerfiles into images and keeps their cache.
type Builds interface {
	Build(ctx context.Context, o build.Options, progress func(build.Event)) (*images.Image, error)
	BuildCache(ctx context.Context) ([]images.CacheEntry, error)
	PruneBuildCache(ctx context.Context, all bool) ([]string, int64, error)
	AuditImage(ctx context.Context, ref string) (*images.Image, []audit.Finding, error)
	CheckDockerfile(src []byte, name, contextDir string) ([]audit.Finding, error)
	// images and builds (server):
	BuildFromTar(ctx context.Context, r io.Reader, dockerfile string, o build.Options, progress func(build.Event)) (*images.Image, error)
	// s19-api:
	// PruneBuildCacheWith is PruneBuildCache narrowed by until and label filters.
	PruneBuildCacheWith(ctx context.Context, all bool, f engine.PruneFilters) ([]string, int64, error)
}

// Networks creates networks and wires containers to them.
type Networks interface {
	// ListNetworks returns the networks that pass Docker's network list
	// filters (driver, id, label, name, scope, type, dangling; none: all).
	ListNetworks(ctx context.Context, filters map[string][]string) ([]engine.Network, error)
	InspectNetwork(ctx context.Context, ref string) (*engine.Network, []engine.NetworkEndpoint, error)
	CreateNetwork(ctx context.Context, o engine.NetworkCreateOptions) (*engine.Network, error)
	RemoveNetwork(ctx context.Context, ref string) error
	Connect(ctx context.Context, netRef, ref string, want engine.EndpointSettings) error
	Disconnect(ctx context.Context, netRef, ref string) error
	// PruneNetworks removes the unused user-defined networks that pass
	// Docker's network prune filters (until, label, label!; none: all).
	PruneNetworks(ctx context.Context, filters map[string][]string) ([]string, error)
	// RemoveAllNetworks removes every network, the predefined ones too, with
	// their bridges and rules (berth system reset); containers must be gone.
	RemoveAllNetworks(ctx context.Context) error
}

// Volumes keeps named and anonymous volumes.
type Volumes interface {
	ListVolumes(ctx context.Context, filters map[string][]string) ([]engine.Volume, error)
	InspectVolume(ctx context.Context, name string) (*engine.Volume, error)
	VolumeSize(ctx context.Context, name string) (int64, bool)
	CreateVolume(ctx context.Context, o engine.VolumeCreateOptions) (*engine.Volume, error)
	RemoveVolume(ctx context.Context, name string, force bool) error
	// PruneVolumes removes the unused volumes that pass Docker's volume
	// prune filters: anonymous ones unless all=true, chosen by label and
	// label!. It returns the names removed and the bytes freed.
	PruneVolumes(ctx context.Context, filters map[string][]string) ([]string, uint64, error)
}

// System answers for the engine as a whole: facts, events, disk use, checks.
type System interface {
	Version(ctx context.Context) (*system.VersionResponse, error)
	Info(ctx context.Context) (*system.Info, error)
	DiskUsage(ctx context.Context) (*engine.DiskUsage, error)
	SystemPrune(ctx context.Context, o engine.SystemPruneOptions) (*engine.SystemPruneReport, error)
	// Subscribe streams events that match f from now (or f's since) until
	// ctx ends; the error channel says why a stream ended early.
	Subscribe(ctx context.Context, f events.Filter) (<-chan events.Event, <-chan error)
	ReadEvents(ctx context.Context, f events.Filter) ([]events.Event, error)
	HostUsage(ctx context.Context) (stats.HostSample, error)
	Check(ctx context.Context, repair bool) (*engine.CheckReport, error)
	// RegistryLogin checks credentials against a registry, saving nothing.
	RegistryLogin(ctx context.Context, server, username, password string) error
	Warnings() []string
}

// Engine is the whole API.
type Engine interface {
	Containers
	Images
	Builds
	Networks
	Volumes
	System
	Close() error
}

// The in-process engine implements the whole API.
var _ Engine = (*engine.Engine)(nil)
