package engine

import (
	"berth/images"
	"berth/images/audit"
	"berth/images/build"
	"berth/netmgr"
	"berth/stats"
	"berth/volumes"
)

// The types below are those of the engine's API that its leaf packages
// define: front ends (the TUI, the CLI) name them through the engine, so
// that they depend on the engine's API alone (see docs/engine-api.md).
type (
	// Image is a stored image.
	Image = images.Image
	// ImageListOptions select the images ListImages returns.
	ImageListOptions = images.ListOptions
	// HistoryEntry is one step that made an image.
	HistoryEntry = images.HistoryEntry
	// ImageDeleteResponse is one untag or delete of RemoveImage/PruneImages.
	ImageDeleteResponse = images.DeleteResponse
	// PullOptions configure PullImage.
	PullOptions = images.PullOptions
	// PullProgress is one progress report of a pull.
	PullProgress = images.Progress
	// Network is a network.
	Network = netmgr.Network
	// NetworkEndpoint is a container's place on a network.
	NetworkEndpoint = netmgr.Endpoint
	// NetworkCreateOptions configure CreateNetwork.
	NetworkCreateOptions = netmgr.CreateOptions
	// Volume is a named or anonymous volume.
	Volume = volumes.Volume
	// StatsSample is one reading of a container's resource use.
	StatsSample = stats.Sample
	// StatsRing keeps the last samples of a container.
	StatsRing = stats.Ring
	// Process is one process of a container (Top).
	Process = stats.Process
	// HostSample is one reading of the host's CPU counters and memory.
	HostSample = stats.HostSample
)

// VolumeDriverLocal is the only volume driver, Docker's "local".
const VolumeDriverLocal = volumes.DriverLocal

// ValidateImageReference reports whether ref is a valid image reference.
func ValidateImageReference(ref string) error {
	_, err := images.ParseReference(ref)
	return err
}

// PredefinedNetwork reports whether name is one of the networks every
// engine has (bridge, host, none).
func PredefinedNetwork(name string) bool { return netmgr.Predefined(name) }

// NewStatsRing makes a ring that keeps the last n samples.
func NewStatsRing(n int) *StatsRing { return stats.NewRing(n) }

// HostCPUPercent is the host's CPU use between two samples (100 = all cores).
func HostCPUPercent(prev, cur HostSample) float64 { return stats.HostCPUPercent(prev, cur) }

// ValidateVolumeName reports whether name can name a volume.
func ValidateVolumeName(name string) error { return volumes.ValidateName(name) }

// BuildEvent is one piece of a build's progress; its Kind is one of the
// BuildStep… and BuildWarning kinds.
type BuildEvent = build.Event

// The kinds of a BuildEvent.
const (
	BuildStepStarted = build.StepStarted
	BuildStepOutput  = build.StepOutput
	BuildStepCached  = build.StepCached
	BuildStepDone    = build.StepDone
	BuildStepError   = build.StepError
	BuildWarning     = build.Warning
	// images and builds (server):
	BuildStageStarted  = build.StageStarted
	BuildStepContainer = build.StepContainer
)

// AuditFinding is one pitfall found in an image or a Dockerfile.
type AuditFinding = audit.Finding

// AuditWarning is the level of a finding that fails `build --check`.
const AuditWarning = audit.Warning

// AuditWarnings counts the findings of warning level.
func AuditWarnings(fs []AuditFinding) int { return audit.Warnings(fs) }
