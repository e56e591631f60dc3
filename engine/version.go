package engine

import (
	"context"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/moby/moby/api/types/system"

	"berth/engine/runner"
)

// Build stamps, set at link time by the Makefile (-ldflags "-X ..."). A plain
// go build leaves them as they are here and BuildInfo falls back to what the
// Go toolchain recorded.
var (
	buildVersion = "dev"
	buildCommit  = ""
	buildTime    = "" // RFC 3339, the commit's time
)

// APIVersion is the Docker Engine API version whose types berth's API speaks
// (those of github.com/moby/moby/api).
const APIVersion = "1.56"

// Build describes this berth binary: what berth version reports for both the
// client and, since the engine runs in process, the engine.
type Build struct {
	Version   string
	GitCommit string
	BuildTime string // RFC 3339, "" if unknown
	GoVersion string
	Os, Arch  string
}

// BuildInfo returns the stamps of this binary. The git commit and time come
// from the Makefile's -ldflags, else from the toolchain's VCS stamping
// (vcs.revision, vcs.time), else stay empty.
func BuildInfo() Build {
	b := Build{Version: buildVersion, GitCommit: buildCommit, BuildTime: buildTime,
		GoVersion: runtime.Version(), Os: runtime.GOOS, Arch: runtime.GOARCH}
	if b.GitCommit != "" {
		return b
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.GitCommit = s.Value[:min(7, len(s.Value))]
			case "vcs.time":
				b.BuildTime = s.Value
			}
		}
	}
	return b
}

// Version reports the engine's version as Docker's GET /version does: the
// engine's build and, as components, the engine and the runc libcontainer
// it links.
func (e *Engine) Version(ctx context.Context) (*system.VersionResponse, error) {
	b := BuildInfo()
	kernel := uname().release
	v := &system.VersionResponse{
		Platform: system.PlatformInfo{Name: "berth"},
		Version:  b.Version, APIVersion: APIVersion, Os: b.Os, Arch: b.Arch,
		GitCommit: b.GitCommit, GoVersion: b.GoVersion, KernelVersion: kernel, BuildTime: b.BuildTime,
		Components: []system.ComponentVersion{{
			Name: "Engine", Version: b.Version,
			Details: map[string]string{
				"ApiVersion": APIVersion, "GitCommit": b.GitCommit, "GoVersion": b.GoVersion,
				"Os": b.Os, "Arch": b.Arch, "BuildTime": b.BuildTime, "KernelVersion": kernel,
				"Experimental": strconv.FormatBool(false),
			},
		}},
	}
	if rv := runner.LibcontainerVersion(); rv != "" {
		v.Components = append(v.Components, system.ComponentVersion{Name: "runc", Version: rv})
	}
	return v, ctx.Err()
}
