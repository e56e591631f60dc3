// Package monitor is the per-container monitor: a small process, detached from
// whichever berth started it, that is the parent of the container's init. It
// creates and starts the container with libcontainer, copies its output to the
// json-file log and to attached clients, waits for it, records the exit code,
// applies the restart policy and, at the end, unmounts the root filesystem.
//
// The engine and the monitor share no memory: the engine writes a Config file and
// reads the State file that the monitor rewrites (atomically) on every change.
// The monitor reads the Config's restart policy again at each exit, so that
// berth update --restart reaches a running container.
// The monitor links only libcontainer, the log writer and the events log, so that
// one idle monitor costs about a megabyte.
package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"berth/engine/health"
)

// Container statuses, with Docker's names.
const (
	StatusCreated    = "created"
	StatusRunning    = "running"
	StatusPaused     = "paused"
	StatusRestarting = "restarting"
	StatusExited     = "exited"
	StatusDead       = "dead"
)

// RestartPolicy is docker run's --restart.
type RestartPolicy struct {
	Name              string `json:"Name"` // "no", "always", "unless-stopped", "on-failure"
	MaximumRetryCount int    `json:"MaximumRetryCount"`
}

// LogOptions size the json-file log, as --log-opt max-size / max-file do.
type LogOptions struct {
	MaxSize  int64 `json:"MaxSize"`
	MaxFiles int   `json:"MaxFiles"`
}

// Config is everything a monitor needs; the engine writes it as JSON.
type Config struct {
	ID         string            `json:"ID"`
	Name       string            `json:"Name"`
	Image      string            `json:"Image"`
	Labels     map[string]string `json:"Labels,omitempty"`
	StateRoot  string            `json:"StateRoot"`  // libcontainer's state root
	SpecPath   string            `json:"SpecPath"`   // the OCI runtime spec
	LogPath    string            `json:"LogPath"`    // json-file log
	Log        LogOptions        `json:"Log"`        // rotation
	EventsPath string            `json:"EventsPath"` // engine events log
	StatePath  string            `json:"StatePath"`  // where State is written
	SocketPath string            `json:"SocketPath"` // attach socket
	StopPath   string            `json:"StopPath"`   // exists when the user stopped it: no restart
	PausePath  string            `json:"PausePath"`  // exists while paused (removed at exit)
	Rootfs     string            `json:"Rootfs"`     // unmounted at the final exit
	// ShmPath is a shareable container's /dev/shm (--ipc shareable), a tmpfs
	// on the host unmounted at the final exit; "" for the others.
	ShmPath    string        `json:"ShmPath,omitempty"`
	Restart    RestartPolicy `json:"Restart"`
	TTY        bool          `json:"Tty"`
	OpenStdin  bool          `json:"OpenStdin"`
	StdinOnce  bool          `json:"StdinOnce"`
	WaitAttach bool          `json:"WaitAttach"` // hold the process until a client sends Ready
	Proxies    []Proxy       `json:"Proxies,omitempty"`
	// RemoveCmd, when set (--rm on a detached container), is run detached once
	// the container has exited for good: it removes the container.
	RemoveCmd []string `json:"RemoveCmd,omitempty"`
	// RemoveClaim is the claim file that decides between the monitor and a
	// waiter which of them removes an --rm container (see autoremove.go).
	RemoveClaim string `json:"RemoveClaim,omitempty"`
	DNS         *DNS   `json:"DNS,omitempty"`
	// LockPath is the container's lock file (the engine's flock): the monitor
	// takes it to start the container again under its restart policy, so that
	// a stop never races a restart.
	LockPath string `json:"LockPath,omitempty"`
	// Health, when set, is the container's health check, which the monitor
	// runs while the container runs (see health.go); HealthPath is the file
	// where it publishes the container's health (see health.FileName).
	Health     *health.Check `json:"Health,omitempty"`
	HealthPath string        `json:"HealthPath,omitempty"`
	// Networks are the networks the container is on while it runs: the
	// monitor reports joining them before each start and leaving them after
	// each exit (Docker's network connect and disconnect events). The engine
	// rewrites them when a running container is connected or disconnected.
	Networks []NetworkRef `json:"Networks,omitempty"`

	path string // the file ReadConfig read, re-read for the restart policy
}

// Proxy is one userland port proxy the monitor runs while the container runs
// (for 127.0.0.1, which DNAT cannot reach).
type Proxy struct {
	Proto  string `json:"Proto"`  // tcp or udp
	Listen string `json:"Listen"` // host address:port
	Target string `json:"Target"` // container address:port
}

// DNS is the embedded DNS server the monitor runs inside the container's
// network namespace (user-defined networks).
type DNS struct {
	NetNS     string   `json:"NetNS"`
	Files     []string `json:"Files"`     // names files of the container's networks
	Upstreams []string `json:"Upstreams"` // host resolvers for other names
}

// State is what the monitor reports about its container.
type State struct {
	Status       string    `json:"Status"`
	Pid          int       `json:"Pid"`
	MonitorPid   int       `json:"MonitorPid"`
	MonitorStart uint64    `json:"MonitorStart"` // start time of the monitor (/proc/pid/stat field 22)
	StartedAt    time.Time `json:"StartedAt"`
	FinishedAt   time.Time `json:"FinishedAt"`
	ExitCode     int       `json:"ExitCode"`
	OOMKilled    bool      `json:"OOMKilled"`
	Error        string    `json:"Error,omitempty"`
	RestartCount int       `json:"RestartCount"`
}

// NetworkRef names a network in its events.
type NetworkRef struct {
	ID     string `json:"ID"`
	Name   string `json:"Name"`
	Driver string `json:"Driver"`
}

// ReadConfig loads a monitor Config.
func ReadConfig(path string) (*Config, error) {
	var c Config
	if err := readJSON(path, &c); err != nil {
		return nil, err
	}
	c.path = path
	return &c, nil
}

// restartPolicy is the restart policy as the config file says now: berth
// update --restart rewrites it while the container runs, and the monitor
// applies the new policy to the next exit.
func (c *Config) restartPolicy() RestartPolicy {
	if c.path == "" {
		return c.Restart
	}
	cur, err := ReadConfig(c.path)
	if err != nil {
		return c.Restart
	}
	return cur.Restart
}

// networks are the container's networks as the config file says now.
func (c *Config) networks() []NetworkRef {
	if c.path == "" {
		return c.Networks
	}
	cur, err := ReadConfig(c.path)
	if err != nil {
		return c.Networks
	}
	return cur.Networks
}

// ReadState loads a State file; a missing file is returned as os.ErrNotExist.
func ReadState(path string) (*State, error) {
	var s State
	if err := readJSON(path, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// WriteJSON writes v to path atomically (temp file + rename).
func WriteJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", filepath.Base(path), err)
	}
	return nil
}

// ProcStart returns the start time (clock ticks since boot) of pid, or 0 when
// the process does not exist. A pid with a different start time was reused.
func ProcStart(pid int) uint64 {
	start, _ := procStat(pid)
	return start
}

// procStat returns the start time of pid (0 when it does not exist) and its
// state letter (R, S, D, Z for a zombie …).
func procStat(pid int) (uint64, string) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, ""
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v, f[0]
}

// Alive reports whether the monitor that wrote s still runs. A monitor that
// was killed stays a zombie until its parent (the host's init, as monitors
// are detached) reaps it, which may take a while: it does not run any more.
func (s *State) Alive() bool {
	if s.MonitorPid <= 0 || s.MonitorStart == 0 {
		return false
	}
	start, state := procStat(s.MonitorPid)
	return start == s.MonitorStart && state != "Z" && state != "X"
}

// ShouldRestart applies the restart policy to an exit.
func (p RestartPolicy) ShouldRestart(exitCode, restarts int, stoppedByUser bool) bool {
	if stoppedByUser {
		return false
	}
	switch p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return exitCode != 0 && (p.MaximumRetryCount <= 0 || restarts < p.MaximumRetryCount)
	}
	return false
}
