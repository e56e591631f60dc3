package engine

import (
	"io"
	"time"

	"berth/engine/health"
	"berth/engine/monitor"
	"berth/engine/spec"
	"berth/volumes"
)

// Config is a container's configuration, with the field names of Docker's
// container inspect "Config".
type Config struct {
	Hostname     string              `json:"Hostname"`
	Domainname   string              `json:"Domainname"`
	User         string              `json:"User"`
	AttachStdin  bool                `json:"AttachStdin"`
	AttachStdout bool                `json:"AttachStdout"`
	AttachStderr bool                `json:"AttachStderr"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Tty          bool                `json:"Tty"`
	OpenStdin    bool                `json:"OpenStdin"`
	StdinOnce    bool                `json:"StdinOnce"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Image        string              `json:"Image"`
	Volumes      map[string]struct{} `json:"Volumes"`
	WorkingDir   string              `json:"WorkingDir"`
	Entrypoint   []string            `json:"Entrypoint"`
	Labels       map[string]string   `json:"Labels"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	StopTimeout  *int                `json:"StopTimeout,omitempty"`
	// Healthcheck is the container's HEALTHCHECK, the image's with the
	// user's --health-* settings laid over it (see health.Merge).
	Healthcheck *health.Config `json:"Healthcheck,omitempty"`
	// Shell runs a CMD-SHELL health check (the image's SHELL; /bin/sh -c when empty).
	Shell []string `json:"Shell,omitempty"`
}

// LogConfig is the log driver and its options (json-file only).
type LogConfig struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config"`
}

// HostConfig is how a container sits on the host, with Docker's field names.
type HostConfig struct {
	Binds          []string              `json:"Binds"`
	LogConfig      LogConfig             `json:"LogConfig"`
	NetworkMode    string                `json:"NetworkMode"`
	RestartPolicy  monitor.RestartPolicy `json:"RestartPolicy"`
	AutoRemove     bool                  `json:"AutoRemove"`
	CapAdd         []string              `json:"CapAdd"`
	CapDrop        []string              `json:"CapDrop"`
	Privileged     bool                  `json:"Privileged"`
	ReadonlyRootfs bool                  `json:"ReadonlyRootfs"`
	Init           *bool                 `json:"Init"`
	PortBindings   PortMap               `json:"PortBindings"`
	Mounts         []MountSpec           `json:"Mounts,omitempty"`
	Tmpfs          map[string]string     `json:"Tmpfs,omitempty"`
	VolumesFrom    []string              `json:"VolumesFrom,omitempty"`
	PublishAll     bool                  `json:"PublishAllPorts"`
	DNS            []string              `json:"Dns"`
	// DNSSearch and DNSOptions are the search and options lines of the
	// container's /etc/resolv.conf (--dns-search, --dns-option).
	DNSSearch  []string `json:"DnsSearch"`
	DNSOptions []string `json:"DnsOptions"`
	ExtraHosts []string `json:"ExtraHosts"`
	// ConsoleSize is a TTY's first size, rows and columns (docker run -t
	// sends the terminal's), so that the program starts at the right size.
	ConsoleSize [2]uint `json:"ConsoleSize"`
	// Links are Docker's legacy links, "name" or "name:alias": the alias
	// resolves to the linked container's address (through /etc/hosts).
	Links []string `json:"Links"`
	// SecurityOpt are the --security-opt values; a seccomp profile is kept as
	// its JSON text ("seccomp={...}"), as Docker keeps it.
	SecurityOpt []string `json:"SecurityOpt"`
	// ShmSize is the size of /dev/shm in bytes (64 MiB when not given).
	ShmSize int64 `json:"ShmSize"`
	// Sysctls are the namespaced sysctls set in the container (--sysctl).
	Sysctls map[string]string `json:"Sysctls,omitempty"`
	// OomScoreAdj is the oom_score_adj of the container's processes.
	OomScoreAdj int `json:"OomScoreAdj"`
	spec.Resources
	// GroupAdd are groups (GIDs, or names in the container's /etc/group)
	// added to the process's supplementary groups (--group-add).
	GroupAdd []string `json:"GroupAdd,omitempty"`
	// PidMode, IpcMode and UTSMode share the host's namespace ("host") or
	// another container's ("container:NAME"; not UTS) instead of the
	// container's own (see nsmodes.go).
	PidMode string `json:"PidMode,omitempty"`
	IpcMode string `json:"IpcMode,omitempty"`
	UTSMode string `json:"UTSMode,omitempty"`
	// Devices are the host's device nodes given to the container
	// (--device), DeviceCgroupRules more devices it may use or make
	// (--device-cgroup-rule "c 1:3 mr").
	Devices           []spec.DeviceMapping `json:"Devices,omitempty"`
	DeviceCgroupRules []string             `json:"DeviceCgroupRules,omitempty"`
}

// MountSpec is one --mount, -v or --tmpfs, as asked (Docker's HostConfig.Mounts).
type MountSpec struct {
	Type        string `json:"Type"` // volume, bind or tmpfs
	Source      string `json:"Source,omitempty"`
	Target      string `json:"Target"`
	ReadOnly    bool   `json:"ReadOnly,omitempty"`
	Propagation string `json:"Propagation,omitempty"`
	NoCopy      bool   `json:"NoCopy,omitempty"`
	// VolumeOptions are the local driver's options a volume this mount
	// creates is made with (--mount volume-opt=type=tmpfs).
	VolumeOptions map[string]string `json:"VolumeOptions,omitempty"`
	TmpfsSize     int64             `json:"TmpfsSize,omitempty"`
	TmpfsMode     uint32            `json:"TmpfsMode,omitempty"`
	// FromShort says it came from -v (a missing bind source is then created, as Docker does).
	FromShort bool `json:"FromShort,omitempty"`
	// Mode is -v's option list as given ("ro", "rw,z"), shown by inspect.
	Mode string `json:"Mode,omitempty"`
}

// MountPoint is one mount as inspect shows it (Docker's "Mounts"); the
// volumes package owns the type.
type MountPoint = volumes.MountPoint

// PortBinding is the host side of one published port.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// PortMap maps a container port ("80/tcp") to its host bindings.
type PortMap map[string][]PortBinding

// EndpointSettings is a container's place on one network (Docker's names).
// At create it carries what was asked (IPAddress for --ip, MacAddress,
// Aliases); while it runs, what was given. A container that does not run
// holds no endpoint (as with dockerd): its address fields are empty.
type EndpointSettings struct {
	// IPAMConfig is the static address asked for (--ip), nil for none.
	IPAMConfig  *EndpointIPAMConfig `json:"IPAMConfig"`
	Aliases     []string            `json:"Aliases"`
	NetworkID   string              `json:"NetworkID"`
	EndpointID  string              `json:"EndpointID"`
	Gateway     string              `json:"Gateway"`
	IPAddress   string              `json:"IPAddress"`
	IPPrefixLen int                 `json:"IPPrefixLen"`
	MacAddress  string              `json:"MacAddress"`
	DNSNames    []string            `json:"DNSNames"`
}

// EndpointIPAMConfig is the address a container asked for on a network.
type EndpointIPAMConfig struct {
	IPv4Address string `json:"IPv4Address,omitempty"`
}

// NetworkSettings is a container's networking as inspect shows it.
type NetworkSettings struct {
	SandboxKey string                       `json:"SandboxKey"`
	Ports      PortMap                      `json:"Ports"`
	Networks   map[string]*EndpointSettings `json:"Networks"`
}

// State is a container's state, with the field names of Docker's inspect "State".
type State struct {
	Status     string `json:"Status"`
	Running    bool   `json:"Running"`
	Paused     bool   `json:"Paused"`
	Restarting bool   `json:"Restarting"`
	OOMKilled  bool   `json:"OOMKilled"`
	Dead       bool   `json:"Dead"`
	Pid        int    `json:"Pid"`
	ExitCode   int    `json:"ExitCode"`
	Error      string `json:"Error"`
	StartedAt  string `json:"StartedAt"`
	FinishedAt string `json:"FinishedAt"`
	// Health is the container's health, once a container with a health
	// check has started (nil otherwise), as its monitor published it.
	Health *health.State `json:"Health,omitempty"`
}

// GraphDriver names the storage driver and the container's overlay directories.
type GraphDriver struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

// Container is what inspect shows of a container (Docker's field names).
type Container struct {
	ID             string      `json:"Id"`
	Created        time.Time   `json:"Created"`
	Path           string      `json:"Path"`
	Args           []string    `json:"Args"`
	State          State       `json:"State"`
	Image          string      `json:"Image"`
	ResolvConfPath string      `json:"ResolvConfPath"`
	HostnamePath   string      `json:"HostnamePath"`
	HostsPath      string      `json:"HostsPath"`
	LogPath        string      `json:"LogPath"`
	Name           string      `json:"Name"`
	RestartCount   int         `json:"RestartCount"`
	Driver         string      `json:"Driver"`
	Platform       string      `json:"Platform"`
	HostConfig     HostConfig  `json:"HostConfig"`
	GraphDriver    GraphDriver `json:"GraphDriver"`
	Config         Config      `json:"Config"`
	// Mounts are the container's volumes, binds and tmpfs mounts.
	Mounts []MountPoint `json:"Mounts"`
	// NetworkSettings are the container's networks and published ports.
	NetworkSettings NetworkSettings `json:"NetworkSettings"`
	// ImageRef is the reference the container was created from ("busybox").
	ImageRef string `json:"-"`
}

// StartedTime is when the container last started (zero if never), read from
// State so that a Container decoded from JSON (a remote engine) has it too.
func (c *Container) StartedTime() time.Time { return parseTime(c.State.StartedAt) }

// FinishedTime is when the container last exited (zero if never).
func (c *Container) FinishedTime() time.Time { return parseTime(c.State.FinishedAt) }

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// record is what the engine stores of a container in the database.
type record struct {
	Config     Config     `json:"Config"`
	HostConfig HostConfig `json:"HostConfig"`
	ImageRef   string     `json:"ImageRef"`
	Path       string     `json:"Path"`
	Args       []string   `json:"Args"`
	Lowers     []string   `json:"Lowers"` // overlay lowerdirs, relative to the image store root
	// Networks are the networks to join (asked) or joined (given), by name.
	Networks map[string]*EndpointSettings `json:"Networks,omitempty"`
	// Ports are the published ports as given at the last start.
	Ports PortMap `json:"Ports,omitempty"`
	// NetNS is the named network namespace the container joins, if any (kept
	// once it stopped, as dockerd keeps the SandboxKey; the namespace is gone).
	NetNS string `json:"NetNS,omitempty"`
	// Asked is what each network's endpoint is asked to be at every start
	// (--ip, --mac-address), by network name; nil in records made before
	// endpoints were released at each stop (see asked).
	Asked map[string]endpointAsk `json:"Asked,omitempty"`
	// Mounts are the container's mounts, resolved at create.
	Mounts []storedMount `json:"Mounts,omitempty"`
	// Removal is set while the container is being removed.
	Removal *removal `json:"Removal,omitempty"`
}

// storedMount is a MountPoint as the record keeps it, with the fields that
// inspect does not show.
type storedMount struct {
	MountPoint
	Anon    bool   `json:"Anonymous,omitempty"`
	NoCp    bool   `json:"NoCopy,omitempty"`
	TmpSize int64  `json:"TmpfsSize,omitempty"`
	TmpMode uint32 `json:"TmpfsMode,omitempty"`
}

func storeMounts(mps []MountPoint) []storedMount {
	out := make([]storedMount, len(mps))
	for i, mp := range mps {
		out[i] = storedMount{MountPoint: mp, Anon: mp.Anonymous, NoCp: mp.NoCopy, TmpSize: mp.TmpfsSize, TmpMode: mp.TmpfsMode}
	}
	return out
}

func loadMounts(sms []storedMount) []MountPoint {
	out := make([]MountPoint, len(sms))
	for i, sm := range sms {
		mp := sm.MountPoint
		mp.Anonymous, mp.NoCopy, mp.TmpfsSize, mp.TmpfsMode = sm.Anon, sm.NoCp, sm.TmpSize, sm.TmpMode
		out[i] = mp
	}
	return out
}

// IO is the standard streams of an attached or exec'd process. Resize, when
// not nil, carries terminal sizes for a TTY.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Resize <-chan WinSize
}

// WinSize is a terminal size.
type WinSize struct{ Width, Height uint16 }
