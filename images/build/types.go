package build

import (
	"context"
	"io"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"berth/images"
)

// Options describe one build, as `docker build`'s flags do.
type Options struct {
	// ContextDir is the build context; "" builds without one (Dockerfile from stdin).
	ContextDir string
	// Dockerfile is the Dockerfile's text; DockerfileName names it in errors.
	Dockerfile     []byte
	DockerfileName string
	// Tags name the result (-t).
	Tags []string
	// BuildArgs are --build-arg values.
	BuildArgs map[string]string
	// Target is the stage to build (default: the last).
	Target string
	// NoCache builds every step again.
	NoCache bool
	// Labels are added to the result's config (--label).
	Labels map[string]string
	// Secrets are the --secret values by id, for RUN --mount=type=secret.
	// They reach a RUN's mount only: no layer, history, config or cache key.
	Secrets map[string][]byte
	// Pull pulls every FROM image from its registry, even one stored (--pull).
	Pull bool
	// Platform is --platform: "" or this machine's platform (others are refused).
	Platform string
	// Outputs receive the final filesystem besides the image (-o).
	Outputs []Output
	// IgnoreFile, when set, is the Dockerfile's own ignore file
	// (<Dockerfile>.dockerignore beside it, as BuildKit reads), used instead
	// of the context's .dockerignore.
	IgnoreFile string
	// Network is --network, the network of RUN steps without RUN --network:
	// "" or "default" (the bridge), "none" or "host".
	Network string
}

// RunSpec is one RUN step for a Runner.
type RunSpec struct {
	// Image is the image the step runs on.
	Image *images.Image
	// Args is the process (shell form already wrapped in the shell).
	Args []string
	// Env, User and WorkingDir come from the stage's config (build args in use added to Env).
	Env        []string
	User       string
	WorkingDir string
	// Mounts are the step's --mount filesystems, ready on the host.
	Mounts []RunMount
	// Network is RUN --network: "" (default, the bridge), "none" or "host".
	Network string
	// Output receives the process's stdout and stderr.
	Output io.Writer
	// Started, when set, is told the ID of the step's container once it
	// exists.
	Started func(containerID string)
}

// Runner runs what a build needs of containers. The engine implements it.
type Runner interface {
	// Run runs spec as a container; when the process exits 0 it hands the
	// container's overlay upper dir to commit before removing the container.
	// A non-zero exit is an *ExitError. The container, its mounts and cgroup
	// are gone when Run returns, whatever happened.
	Run(ctx context.Context, spec RunSpec, commit func(upperDir string) error) error
	// Mount mounts img's filesystem read-write over a fresh upper dir, hands
	// its root and upper dir to fn, then unmounts and removes both. img nil
	// is an empty filesystem.
	Mount(ctx context.Context, img *images.Image, fn func(root, upperDir string) error) error
}

// ExitError is a RUN process that exited non-zero.
type ExitError struct {
	Code int
	// Args is the process's command line (/bin/sh -c … for a shell form).
	Args []string
}

// Error says how the process ended.
func (e *ExitError) Error() string { return "exit code: " + strconv.Itoa(e.Code) }

// EventKind says what an Event reports.
type EventKind int

const (
	// StepStarted: a step began (Instruction, Step, Total, Stage).
	StepStarted EventKind = iota
	// StepOutput: a line of a RUN step's output (Line).
	StepOutput
	// StepCached: the step was found in the cache.
	StepCached
	// StepDone: the step finished (Duration).
	StepDone
	// StepError: the step failed (Err).
	StepError
	// Warning: something the user should know (Line).
	Warning
	// StageStarted: a stage's FROM line was resolved (Stage, Instruction,
	// Image: the base's ID, "" for scratch; Total: the instructions of the
	// stages up to the target, FROM lines counted, as the classic builder
	// numbers its steps).
	StageStarted
	// StepContainer: a RUN step's container was made (Container).
	StepContainer
)

// Event is one piece of a build's progress.
type Event struct {
	Kind EventKind
	// ID numbers the step across the build (1, 2, ...).
	ID int
	// Stage is the stage's name (or "stage-N"); Step/Total count its instructions.
	Stage       string
	Step, Total int
	// Instruction is the step's source text; Line its Dockerfile line.
	Instruction string
	Line        int
	// Output is a line of output (StepOutput, Warning).
	Output   string
	Duration time.Duration
	Err      error
	// Image is the stage's image after the step (StepDone, StepCached; ""
	// while a stage from scratch has no filesystem yet) or its base
	// (StageStarted).
	Image string
	// Container is a RUN step's container (StepContainer).
	Container string
}

// stageState is what a stage has built so far.
type stageState struct {
	index  int // the stage's place in the Dockerfile
	name   string
	img    *images.Image // nil: scratch with nothing committed yet
	cfg    v1.Config
	ext    images.ConfigExt   // what the config holds beyond v1.Config
	author string             // the image's author (MAINTAINER)
	args   map[string]*string // ARGs declared in this stage, in scope
	order  []string           // their declaration order
	// declared lists the stage's ARG declarations in order, a name
	// declared twice twice (a RUN's history line lists them so).
	declared []string
	argRows  []argRow // the ARGs' history rows, added when the stage ends
	cmdSet   bool     // CMD given in this stage (ENTRYPOINT keeps it)
}
