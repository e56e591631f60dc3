// Package health holds what berth knows of container health checks, with
// Docker's names and rules (moby's daemon/health.go): the HEALTHCHECK
// settings and how the user's lay over the image's, the status a run of
// results gives (starting, healthy, unhealthy), the interval until the next
// check, and the file in which a container's monitor publishes the status.
//
// It is a leaf package: the per-container monitor runs the checks and writes
// the file, every other berth process reads it (see Write), and neither
// needs more of the other than this.
package health

import (
	"fmt"
	"time"

	"github.com/containerd/errdefs"
)

// Docker's defaults and limits (moby daemon/health.go).
const (
	DefaultInterval      = 30 * time.Second
	DefaultTimeout       = 30 * time.Second
	DefaultStartInterval = 5 * time.Second
	DefaultRetries       = 3
	// MaxOutput is how much of a check's output is kept; more is cut and
	// marked with "...".
	MaxOutput = 4096
	// MaxLog is how many results are kept.
	MaxLog = 5
	// MinimumDuration is the smallest interval, timeout, start period or
	// start interval Docker accepts (0 means the default).
	MinimumDuration = time.Millisecond
)

// Health statuses, as Docker names them.
const (
	None      = "none" // no health check (ps --filter health=none)
	Starting  = "starting"
	Healthy   = "healthy"
	Unhealthy = "unhealthy"
)

// Config is a HEALTHCHECK: the image config's and the container config's
// "Healthcheck", field for field. Test is {} (inherit), {"NONE"},
// {"CMD", args...} or {"CMD-SHELL", command}; zero durations and retries
// inherit (from the image) or take Docker's defaults.
type Config struct {
	Test          []string      `json:",omitempty"`
	Interval      time.Duration `json:",omitempty"`
	Timeout       time.Duration `json:",omitempty"`
	StartPeriod   time.Duration `json:",omitempty"`
	StartInterval time.Duration `json:",omitempty"`
	Retries       int           `json:",omitempty"`
}

// Merge lays the container's settings over the image's as Docker's create
// does: no user settings take the image's; otherwise each zero field of the
// user's (an empty Test included) takes the image's value.
func Merge(user, image *Config) *Config {
	if user == nil {
		if image == nil {
			return nil
		}
		c := *image
		c.Test = append([]string(nil), image.Test...)
		return &c
	}
	c := *user
	if image == nil {
		return &c
	}
	if len(c.Test) == 0 {
		c.Test = append([]string(nil), image.Test...)
	}
	if c.Interval == 0 {
		c.Interval = image.Interval
	}
	if c.Timeout == 0 {
		c.Timeout = image.Timeout
	}
	if c.StartPeriod == 0 {
		c.StartPeriod = image.StartPeriod
	}
	if c.StartInterval == 0 {
		c.StartInterval = image.StartInterval
	}
	if c.Retries == 0 {
		c.Retries = image.Retries
	}
	return &c
}

// Validate checks the settings as Docker's daemon does at create. Like
// Docker it leaves Test alone: a test it cannot run (an unknown type, CMD
// without a command) only means that no check runs.
func (c *Config) Validate() error {
	if c == nil {
		return nil
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Interval", c.Interval}, {"Timeout", c.Timeout}, {"StartPeriod", c.StartPeriod}, {"StartInterval", c.StartInterval}} {
		if d.v != 0 && d.v < MinimumDuration {
			return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s in Healthcheck cannot be less than %s", d.name, MinimumDuration))
		}
	}
	if c.Retries < 0 {
		return errdefs.ErrInvalidArgument.WithMessage("Retries in Healthcheck cannot be negative")
	}
	return nil
}

// Check is a health check ready to run: the command and the settings with
// Docker's defaults filled in. The engine gives it to the monitor.
type Check struct {
	Args          []string      `json:"Args"`
	Interval      time.Duration `json:"Interval"`
	Timeout       time.Duration `json:"Timeout"`
	StartPeriod   time.Duration `json:"StartPeriod"`
	StartInterval time.Duration `json:"StartInterval"`
	Retries       int           `json:"Retries"`
}

// Check returns the check c describes, its CMD-SHELL form run by shell
// (the container's SHELL, else /bin/sh -c), or nil when c checks nothing
// (no settings, no test, or NONE).
func (c *Config) Check(shell []string) *Check {
	if c == nil || len(c.Test) < 2 {
		return nil
	}
	var args []string
	switch c.Test[0] {
	case "CMD":
		args = append(args, c.Test[1:]...)
	case "CMD-SHELL":
		if len(shell) == 0 {
			shell = []string{"/bin/sh", "-c"}
		}
		args = append(append(args, shell...), c.Test[1:]...)
	default:
		return nil
	}
	retries := c.Retries
	if retries <= 0 {
		retries = DefaultRetries
	}
	return &Check{Args: args, Interval: orDefault(c.Interval, DefaultInterval),
		Timeout: orDefault(c.Timeout, DefaultTimeout), StartPeriod: c.StartPeriod,
		StartInterval: orDefault(c.StartInterval, DefaultStartInterval), Retries: retries}
}

func orDefault(v, d time.Duration) time.Duration {
	if v <= 0 {
		return d
	}
	return v
}
