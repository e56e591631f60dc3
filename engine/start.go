package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/engine/logfile"
	"berth/engine/monitor"
	"berth/engine/spec"
	"berth/engine/store"
)

// ErrCommandNotFound is returned when a container's command does not exist in
// the container (docker run exits 127 for it).
var ErrCommandNotFound = errors.New("executable file not found")

// ErrCommandNotExecutable is returned when a container's command is not
// executable (docker run exits 126 for it).
var ErrCommandNotExecutable = errors.New("permission denied")

// StartOptions tune Start.
type StartOptions struct {
	// WaitAttach holds the process until a client attaches (see Attach), so
	// that an attached run misses no output.
	WaitAttach bool
	// Listening, if not nil, is called once the container's monitor takes
	// attaching clients, while the start goes on (not at all if it fails
	// before). A client attached from then on is in place before the
	// process runs: with WaitAttach, attaching there rather than after Start
	// returns lets the process run as soon as it is started, without a round
	// trip through the caller.
	Listening func()
}

// Start starts a created or exited container; starting a running one does nothing.
func (e *Engine) Start(ctx context.Context, ref string, o StartOptions) error {
	row, unlock, err := e.lockRow(ctx, ref)
	if err != nil {
		return err
	}
	err = e.startLocked(ctx, row, o)
	unlock()
	if err != nil {
		e.removeUnstarted(ctx, row.ID)
	}
	return err
}

// removeUnstarted removes an AutoRemove (--rm) container whose start failed,
// as Docker does: its client waits for it to be removed (docker run --rm
// waits on the "removed" condition), and nothing else ever would.
func (e *Engine) removeUnstarted(ctx context.Context, id string) {
	c, err := e.Inspect(context.WithoutCancel(ctx), id)
	if err != nil || !c.HostConfig.AutoRemove || c.State.Running || c.State.Restarting {
		return
	}
	_ = e.Remove(context.WithoutCancel(ctx), id, RemoveOptions{Force: true, Volumes: true})
}

// startLocked is Start for a container whose lock the caller holds.
func (e *Engine) startLocked(ctx context.Context, row store.Row, o StartOptions) error {
	c, st, err := e.loadLocked(row)
	if err != nil {
		return err
	}
	if st.Alive() && !c.State.Running {
		if st.Status == monitor.StatusCreated {
			return nil // being started: its monitor waits for the attaching client
		}
		// Its monitor is finishing (it will not restart it: see monitor.finish).
		if !waitMonitor(ctx, st, 30*time.Second) {
			return fmt.Errorf("cannot start container %s: its monitor (pid %d) does not end", c.Name[1:], st.MonitorPid)
		}
		if c, _, err = e.loadLocked(row); err != nil {
			return err
		}
	}
	rec, err := decodeRecord(row.Data)
	if err != nil {
		return fmt.Errorf("container %s: %w", row.ID, err)
	}
	if rec.Removal != nil {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("container %s is marked for removal and cannot be started", c.Name[1:]))
	}
	if c.State.Paused {
		return errdefs.ErrConflict.WithMessage(fmt.Sprintf("cannot start a paused container %s, try unpause instead", c.Name[1:]))
	}
	if c.State.Running {
		return nil
	}
	// What an earlier run left of its endpoints (it ended with no berth
	// process around) goes first: the start makes them anew.
	if err := e.releaseEndpoints(ctx, c, rec); err != nil {
		return err
	}
	e.at("start.released")
	// A client that waits to attach (AwaitStart, maybe in another process:
	// docker over dial-stdio) gets the process held for it.
	o.WaitAttach = o.WaitAttach || e.attachWaiting(c.ID)
	return e.start(ctx, c, rec, o)
}

func (e *Engine) start(ctx context.Context, c *Container, rec *record, o StartOptions) (err error) {
	e.warmSpare(false) // its start-up overlaps the mounts and the spec below
	rootfs := e.rootfs(c.ID)
	// A build step's container runs once and goes with the step: its upper
	// dir needs no sync: it goes into a layer, or away, when the step ends.
	if err := e.mountRootfs(c.ID, rec.Lowers, c.Config.Labels[buildLabel] != ""); err != nil {
		return err
	}
	e.at("start.rootfs-mounted")
	defer func() {
		if err != nil {
			_ = unix.Unmount(rootfs, unix.MNT_DETACH)
			if shm := e.shareableShm(c); shm != "" {
				_ = unix.Unmount(shm, unix.MNT_DETACH)
			}
		}
	}()
	nw, err := e.setupNetwork(ctx, c, rec)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && nw.nsPath != "" && !strings.HasPrefix(c.HostConfig.NetworkMode, "container:") {
			e.teardownNetwork(context.WithoutCancel(ctx), c.ID, rec)
		}
	}()
	if err := e.writeNetFiles(c.ID, nw); err != nil {
		return err
	}
	s, err := e.buildSpec(ctx, c, rootfs, nw)
	if err != nil {
		return err
	}
	dir := e.containerDir(c.ID)
	specPath := filepath.Join(dir, "spec.json")
	if err := monitor.WriteJSON(specPath, s); err != nil {
		return err
	}
	cfg := e.monitorConfig(c, o, rootfs, specPath, nw)
	cfgPath := filepath.Join(dir, "monitor.json")
	if err := monitor.WriteJSON(cfgPath, cfg); err != nil {
		return err
	}
	if err := e.saveRecord(ctx, c.ID, rec); err != nil {
		return err
	}
	e.at("start.record-saved")
	os.Remove(cfg.StopPath)
	return e.spawnMonitor(cfgPath, filepath.Join(dir, "monitor.log"), s.Process.Args[0], o.Listening)
}

func (e *Engine) monitorConfig(c *Container, o StartOptions, rootfs, specPath string, nw *netSetup) *monitor.Config {
	dir := e.containerDir(c.ID)
	lo, _ := logfile.ParseOpts(c.HostConfig.LogConfig.Config)
	return &monitor.Config{
		ID: c.ID, Name: c.Name[1:], Image: c.ImageRef, Labels: c.Config.Labels,
		StateRoot: e.stateRoot(), SpecPath: specPath, LogPath: e.logPath(c.ID),
		Log:        monitor.LogOptions{MaxSize: lo.MaxSize, MaxFiles: lo.MaxFiles},
		EventsPath: e.eventsPath(), StatePath: e.statePath(c.ID), SocketPath: e.sockPath(c.ID),
		StopPath: filepath.Join(dir, "stopped"), PausePath: filepath.Join(dir, "paused"), LockPath: e.lockPath(c.ID),
		Rootfs: rootfs, Restart: c.HostConfig.RestartPolicy, ShmPath: e.shareableShm(c),
		TTY: c.Config.Tty, OpenStdin: c.Config.OpenStdin, StdinOnce: c.Config.StdinOnce,
		WaitAttach: o.WaitAttach, Proxies: nw.proxies, DNS: nw.dns,
		// A --rm container is removed by its monitor once it ends, also when
		// started attached: the client may detach or be killed before the end.
		// A waiter for its removal takes the removal over (RemoveClaim).
		RemoveCmd: e.removeCmd(c.ID, c.HostConfig.AutoRemove), RemoveClaim: e.removeClaim(c.ID, c.HostConfig.AutoRemove),
		Health: c.Config.Healthcheck.Check(c.Config.Shell), HealthPath: e.healthPath(c.ID),
		Networks: nw.networks,
	}
}

// removeCmd is the command a monitor runs to remove its --rm container.
func (e *Engine) removeCmd(id string, auto bool) []string {
	if !auto || e.berthPath == "" {
		return nil
	}
	return []string{e.berthPath, "--root", e.root, "rm", "-f", "-v", id}
}

// removeClaim is the file that decides whether the monitor or a waiter
// removes an --rm container (see monitor/autoremove.go).
func (e *Engine) removeClaim(id string, auto bool) string {
	if !auto {
		return ""
	}
	return filepath.Join(e.containerDir(id), "autoremove")
}

// writeNetFiles writes the container's /etc/hosts and /etc/resolv.conf.
func (e *Engine) writeNetFiles(id string, nw *netSetup) error {
	dir := e.containerDir(id)
	for name, content := range map[string]string{"hosts": nw.hosts, "resolv.conf": nw.resolv} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("container %s: %w", name, err)
		}
	}
	return nil
}

// saveRecord stores a changed record (networks joined, ports given).
func (e *Engine) saveRecord(ctx context.Context, id string, rec *record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode container: %w", err)
	}
	return e.db.Update(ctx, id, data)
}

// mountRootfs mounts the container's overlay: the image's snapshots as lower
// layers (short relative names, resolved against the image store, so that 100+
// layers fit one mount), the container's own upper and work dirs.
func (e *Engine) mountRootfs(id string, lowers []string, volatile bool) error {
	dir := e.containerDir(id)
	target := e.rootfs(id)
	_ = unix.Unmount(target, unix.MNT_DETACH) // a stale mount from a crash
	if err := e.mountOverlay(target, lowers, filepath.Join(dir, "fs/upper"), filepath.Join(dir, "fs/work"), volatile); err != nil {
		return fmt.Errorf("mount root filesystem of %s: %w", id, err)
	}
	return nil
}

// mountOverlay mounts an overlay at target with lowerdirs relative to the
// image store: they are short names, so that 100+ layers fit one mount's
// options, resolved against a working directory changed for one thread only
// (CLONE_FS), which then dies with it. A volatile overlay (Linux 5.10+; a
// kernel without it mounts a plain one) never syncs its upper filesystem:
// not at its unmount, which otherwise writes back the whole filesystem the
// upper dir is on, nor at each copy-up. It is for an upper dir mounted once
// and thrown away (or taken into a layer) after it: the kernel refuses to
// mount it again.
func (e *Engine) mountOverlay(target string, lowers []string, upper, work string, volatile bool) error {
	data := "lowerdir=" + strings.Join(lowers, ":") + ",upperdir=" + upper + ",workdir=" + work
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its changed directory
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			errc <- err
			return
		}
		if err := unix.Chdir(e.images.Root()); err != nil {
			errc <- err
			return
		}
		if volatile && unix.Mount("overlay", target, "overlay", 0, data+",volatile") == nil {
			errc <- nil
			return
		}
		errc <- unix.Mount("overlay", target, "overlay", 0, data)
	}()
	return <-errc
}

// buildSpec resolves the user, the working directory and the command inside
// the mounted rootfs, then builds the OCI spec.
func (e *Engine) buildSpec(ctx context.Context, c *Container, rootfs string, nw *netSetup) (*specs.Spec, error) {
	u, err := resolveUserGroups(rootfs, c.Config.User, c.HostConfig.GroupAdd)
	if err != nil {
		return nil, err
	}
	env := dropUnset(c.Config.Env)
	if !hasEnv(env, "PATH") {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	if !hasEnv(env, "HOSTNAME") {
		env = append([]string{"HOSTNAME=" + c.Config.Hostname}, env...)
	}
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+u.Home)
	}
	if c.Config.Tty && !hasEnv(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	// The command is looked up by the container's init, inside the container
	// with its mounts in place (a command may live on a volume); a start that
	// fails there is reported as a commandError.
	args := append([]string{c.Path}, c.Args...)
	h := e.host.spec(e.containerDir(c.ID))
	h.NetNSPath, h.ShareHostNet = nw.nsPath, nw.hostNet
	if c.HostConfig.Privileged {
		if h.Devices, err = hostDevices(); err != nil {
			return nil, err
		}
	}
	var mounts []specs.Mount
	if c.HostConfig.Init != nil && *c.HostConfig.Init {
		if _, err := os.Stat(e.initPath); err != nil {
			return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("--init: %s missing (build it with make build)", e.initPath))
		}
		mounts = append(mounts, specs.Mount{Destination: monitor.InitPath, Type: "bind", Source: e.initPath, Options: []string{"bind", "ro"}})
		args = append([]string{monitor.InitPath, "--"}, args...)
	}
	if err := ensureWorkdir(rootfs, c.Config.WorkingDir, u); err != nil {
		return nil, err
	}
	if err := e.mountVolumes(ctx, c.Mounts); err != nil {
		return nil, err
	}
	share, err := e.sharedNamespaces(ctx, c)
	if err != nil {
		return nil, err
	}
	devs, rules, err := givenDevices(&c.HostConfig)
	if err != nil {
		return nil, err
	}
	vm, err := mountSpecs(rootfs, c.Mounts)
	if err != nil {
		return nil, err
	}
	mounts = append(mounts, vm...)
	return spec.Build(spec.Options{
		ID: c.ID, Hostname: c.Config.Hostname, Domainname: c.Config.Domainname, Rootfs: rootfs, Args: args, Env: env,
		Cwd: c.Config.WorkingDir, UID: uint32(u.Uid), GID: uint32(u.Gid), ExtraGIDs: toU32(u.Sgids),
		Terminal: c.Config.Tty, ConsoleSize: c.HostConfig.ConsoleSize, ReadOnly: c.HostConfig.ReadonlyRootfs, Privileged: c.HostConfig.Privileged,
		CapAdd: c.HostConfig.CapAdd, CapDrop: c.HostConfig.CapDrop, Resources: c.HostConfig.Resources,
		Mounts: mounts, CgroupsPath: CgroupPath(c.ID), SecurityOpt: c.HostConfig.SecurityOpt,
		ShmSize: c.HostConfig.ShmSize, Sysctls: c.HostConfig.Sysctls, OOMScoreAdj: c.HostConfig.OomScoreAdj, Share: share,
		Devices: devs, DeviceRules: rules,
	}, h)
}

// commandError is a start that failed because the container's command could
// not be run; it unwraps to ErrCommandNotFound or ErrCommandNotExecutable.
type commandError struct {
	msg   string
	class error
}

func (e *commandError) Error() string { return e.msg }
func (e *commandError) Unwrap() error { return e.class }

// startCommandError is a commandError of a container's start: a bad
// parameter of the container (its command), which the API answers with 400
// as dockerd does.
type startCommandError struct{ *commandError }

// InvalidParameter marks the error as containerd errdefs' invalid argument.
func (startCommandError) InvalidParameter() {}

func (e startCommandError) Unwrap() error { return e.commandError }

// startError is the error of a start the monitor reported as failed with
// msg; cmd is the container's command.
func startError(msg, cmd string) error {
	code, text, ok := monitor.CommandFailure(msg, cmd)
	switch {
	case ok && code == monitor.ExitNotFound:
		return startCommandError{&commandError{text, ErrCommandNotFound}}
	case ok:
		return startCommandError{&commandError{text, ErrCommandNotExecutable}}
	}
	return fmt.Errorf("start container: %s", msg)
}

// monitorExitWait bounds how long a failed start waits for its monitor to
// finish tearing down (it normally takes milliseconds).
const monitorExitWait = 30 * time.Second

// spawnMonitor starts a detached monitor (or hands the config to a spare)
// and waits for its word that the container is created (or why it is not);
// cmd is the container's command; listening, if not nil, is called when the
// monitor says it takes attaching clients.
func (e *Engine) spawnMonitor(cfgPath, logPath, command string, listening func()) error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("monitor pipe: %w", err)
	}
	defer r.Close()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		w.Close()
		return fmt.Errorf("monitor log: %w", err)
	}
	defer logf.Close()
	exited, err := e.launchMonitor(cfgPath, logf, w)
	w.Close()
	defer e.replaceSpare() // after the monitor's word (see takeSpare)
	if err != nil {
		return err
	}
	e.at("start.monitor-spawned")
	br := bufio.NewReader(r)
	line, err := br.ReadString('\n')
	line = strings.TrimSpace(line)
	if line == monitor.ReadyListening {
		if listening != nil {
			listening()
		}
		line, err = br.ReadString('\n')
		line = strings.TrimSpace(line)
	}
	if line == "ok" {
		return nil
	}
	// A failed start: the monitor is tearing down (unmounting, removing its
	// cgroup). Let it finish while the caller still holds the container's
	// lock, so that no later operation (rm) finds it half-gone.
	select {
	case <-exited:
	case <-time.After(monitorExitWait):
	}
	if line == "" {
		b, _ := os.ReadFile(logPath)
		line = fmt.Sprintf("monitor exited early (%v): %s", err, lastLine(string(b)))
	}
	return startError(line, command)
}

// launchMonitor makes a monitor of the config at cfgPath, with its output in
// logf and its word on the first start on ready: the spare if there is one
// that takes it, else a new process. The channel closes when it has ended.
func (e *Engine) launchMonitor(cfgPath string, logf, ready *os.File) (<-chan struct{}, error) {
	if s := e.takeSpare(); s != nil {
		if err := s.handOver(cfgPath, logf, ready); err == nil {
			return s.exited, nil
		}
		// The spare died before its handover: start one the plain way.
	}
	cmd := exec.Command(e.monitorPath, cfgPath)
	cmd.Env = monitorEnv("BERTH_READY_FD=3")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{ready}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start monitor %s: %w", e.monitorPath, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }() // reap it if it ends while this process lives
	return exited, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
