// Package engine is berth's container engine as a Go API: it creates, starts,
// stops, inspects and removes containers, runs processes in them and reports
// their logs and events. It runs inside whichever berth process calls it (the
// CLI, the TUI, later an API server); several may share one data root at once.
// Containers outlive those processes: each has a detached monitor (see package
// monitor). Errors are classed with github.com/containerd/errdefs (not found,
// already exists, invalid argument, conflict) so that every front end can map
// them; the API prints nothing.
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"

	"berth/engine/events"
	"berth/engine/fault"
	"berth/engine/store"
	"berth/images"
	"berth/netmgr"
	"berth/volumes"
)

// Options locate an engine's data and helper binaries.
type Options struct {
	// Root holds all persistent state (default /var/lib/berth).
	Root string
	// RunRoot holds runtime state: libcontainer state and sockets
	// (default /run/berth, or Root/run when Root is not the default).
	RunRoot string
	// MonitorPath is the berth-monitor binary (default: beside this executable).
	MonitorPath string
	// InitPath is the static berth-init binary used by --init (default: beside this executable).
	InitPath string
	// BerthPath is the berth binary a monitor runs to remove a detached --rm
	// container (default: berth beside the monitor, if it exists).
	BerthPath string
	// EventsMaxSize rotates the events log (events.log → events.log.1) when
	// it would grow past this many bytes; one rotated file is kept
	// (0: events.DefaultMaxSize, 8 MiB; < 0: never). Monitors rotate at the
	// default size.
	EventsMaxSize int64
	// Fault arms a fault point for the kill-anywhere test: "<point>" or
	// "<point>:<n>", as BERTH_FAULT takes it (see package fault). Empty: none.
	Fault string
}

// DefaultRoot is the data root when none is given.
const DefaultRoot = "/var/lib/berth"

// Engine is one process's handle on a data root.
type Engine struct {
	root, runRoot string
	monitorPath   string
	initPath      string
	berthPath     string
	db            *store.Store
	images        *images.Store
	nets          *netmgr.Manager
	vols          *volumes.Store
	events        *events.Log
	host          hostInfo
	warnings      []string // what the recovery at open could not fix
	fault         fault.Func
	spares        spares // a monitor started ahead of the next start (spare.go)
	trash         trash  // removed containers' directories being deleted (trash.go)
}

// New opens (creating if needed) the engine at opts.Root and runs the network
// recovery (see Warnings); containers whose monitor died are noticed when read.
func New(opts Options) (*Engine, error) {
	e, err := newPaths(opts)
	if err != nil {
		return nil, err
	}
	if e.fault, err = fault.Parse(opts.Fault); err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	for _, d := range []string{e.root, e.containersDir(), e.buildMountsDir(), e.runRoot, e.stateRoot(), e.sockDir()} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, fmt.Errorf("data root: %w", err)
		}
	}
	if err := e.openStores(opts); err != nil {
		return nil, err
	}
	e.host = probeHost()
	e.recoverAll()
	return e, nil
}

// newPaths is an engine with its data root, runtime root and helper binaries
// (berth-monitor and berth-init beside the running executable by default)
// resolved from opts.
func newPaths(opts Options) (*Engine, error) {
	if opts.Root == "" {
		opts.Root = DefaultRoot
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid data root %q: %v", opts.Root, err))
	}
	if opts.RunRoot == "" {
		opts.RunRoot = "/run/berth"
		if root != DefaultRoot {
			opts.RunRoot = filepath.Join(root, "run")
		}
	}
	e := &Engine{root: root, runRoot: opts.RunRoot, monitorPath: opts.MonitorPath, initPath: opts.InitPath, berthPath: opts.BerthPath}
	if e.monitorPath == "" || e.initPath == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find berth-monitor: %w", err)
		}
		if e.monitorPath == "" {
			e.monitorPath = filepath.Join(filepath.Dir(exe), "berth-monitor")
		}
		if e.initPath == "" {
			e.initPath = filepath.Join(filepath.Dir(exe), "berth-init")
		}
	}
	if e.berthPath == "" {
		if p := filepath.Join(filepath.Dir(e.monitorPath), "berth"); fileExists(p) {
			e.berthPath = p
		}
	}
	return e, nil
}

// openStores opens the container store, the event log, and the image,
// volume and network stores, each completing or rolling back what a process
// killed halfway through one of their operations left. On failure the
// container store is closed again.
func (e *Engine) openStores(opts Options) error {
	var err error
	if e.db, err = store.Open(filepath.Join(e.root, "berth.db")); err != nil {
		return err
	}
	e.events = events.OpenWith(e.eventsPath(), events.Options{MaxSize: opts.EventsMaxSize})
	if e.images, err = images.Open(filepath.Join(e.root, "images"), e.db.DB()); err != nil {
		e.db.Close()
		return fmt.Errorf("image store: %w", err)
	}
	e.images.SetEventSink(e.emitImage)
	e.images.SetFault(e.fault)
	// An image commit or removal killed halfway left blobs no record uses.
	if err := e.images.Recover(context.Background()); err != nil {
		e.warnings = append(e.warnings, "image store recovery: "+err.Error())
	}
	if e.vols, err = volumes.Open(filepath.Join(e.root, "volumes"), e.db.DB()); err != nil {
		e.db.Close()
		return fmt.Errorf("volume store: %w", err)
	}
	e.vols.SetFault(e.fault)
	// A volume create or removal killed halfway left a directory or data aside.
	if err := e.vols.Recover(context.Background()); err != nil {
		e.warnings = append(e.warnings, "volume recovery: "+err.Error())
	}
	if e.nets, err = netmgr.OpenWith(e.db.DB(), filepath.Join(e.runRoot, "net"), netmgr.Options{Name: netName(e.root), Fault: e.fault}); err != nil {
		e.db.Close()
		return fmt.Errorf("network manager: %w", err)
	}
	return nil
}

// recoverAll completes or rolls back, when the engine opens, what berth
// processes killed halfway through an operation left behind.
func (e *Engine) recoverAll() {
	ctx := context.Background()
	// A berth process killed halfway through a network setup or removal may
	// have left a namespace, veth, rule or lease: clear what no live
	// operation or container owns (about 1 ms).
	e.recoverNetwork(ctx)
	// A berth process killed in the middle of a removal left the container
	// marked: finish the removal (nothing to do in the common case).
	e.completeRemovals(ctx)
	// A container that ended with no berth process around (or under one
	// killed in its release) still holds its network endpoints: free them.
	e.recoverEndpoints(ctx)
	// A berth process killed in the middle of a create or start left files,
	// references or a mount that nothing owns: roll them back.
	e.recoverKilled(ctx)
	// A build killed while it had a filesystem mounted for a COPY left it.
	e.sweepBuildMounts()
	// What a process that died left in the trash goes in the background.
	e.emptyTrash()
}

// Close releases the engine's database. Containers keep running.
func (e *Engine) Close() error {
	e.closeSpares()
	e.waitTrash()
	e.nets.Close()
	return e.db.Close()
}

// Root is the engine's data root.
func (e *Engine) Root() string { return e.root }

// Images is the engine's image store.
func (e *Engine) Images() *images.Store { return e.images }

// Subscribe streams the events that match f: those since f.Since (none
// before the call when Since is zero), then new ones as any berth process
// records them, until ctx ends or f.Until passes. Both channels close at the
// end; the error channel carries at most one error.
func (e *Engine) Subscribe(ctx context.Context, f events.Filter) (<-chan events.Event, <-chan error) {
	return e.events.Subscribe(ctx, f)
}

// ReadEvents returns the recorded events that match f, oldest first.
func (e *Engine) ReadEvents(ctx context.Context, f events.Filter) ([]events.Event, error) {
	return e.events.Read(ctx, f)
}

func (e *Engine) containersDir() string         { return filepath.Join(e.root, "containers") }
func (e *Engine) containerDir(id string) string { return filepath.Join(e.containersDir(), id) }
func (e *Engine) stateRoot() string             { return filepath.Join(e.runRoot, "libcontainer") }
func (e *Engine) sockDir() string               { return filepath.Join(e.runRoot, "s") }
func (e *Engine) sockPath(id string) string     { return filepath.Join(e.sockDir(), id[:12]+".sock") }
func (e *Engine) rootfs(id string) string       { return filepath.Join(e.containerDir(id), "fs", "merged") }
func (e *Engine) statePath(id string) string    { return filepath.Join(e.containerDir(id), "state.json") }
func (e *Engine) logPath(id string) string      { return filepath.Join(e.containerDir(id), id+"-json.log") }

// CgroupPath is the absolute cgroup path of container id (in every hierarchy).
func CgroupPath(id string) string { return "/berth/" + id }

func (e *Engine) eventsPath() string { return filepath.Join(e.root, "events.log") }

// netName names the kernel objects of a data root's networks (bridges,
// nftables table): "berth" for the default root, a short hash of the path for
// others, so that engines on different roots (tests, side by side) never share
// a bridge or a table.
func netName(root string) string {
	if root == DefaultRoot {
		return "berth"
	}
	sum := sha256.Sum256([]byte(root))
	return "b" + hex.EncodeToString(sum[:])[:5]
}

// at is a named fault point (see package fault): with BERTH_FAULT set to it,
// the process is killed there.
func (e *Engine) at(point string) { e.fault.At(point) }

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// APISocket is the default path of the Docker Engine API socket `berth serve`
// listens on: in the engine's runtime directory (/run/berth for the default
// data root, ROOT/run for another).
func (e *Engine) APISocket() string { return filepath.Join(e.runRoot, "docker.sock") }
