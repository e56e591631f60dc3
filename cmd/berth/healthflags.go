package main

import (
	"time"

	"github.com/spf13/pflag"

	"berth/engine/health"
)

// healthFlags are run's and create's --health-* flags and --no-healthcheck.
type healthFlags struct {
	cmd                                           string
	interval, timeout, startPeriod, startInterval time.Duration
	retries                                       int
	none                                          bool
}

func (f *healthFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.cmd, "health-cmd", "", "command to run to check health (run by /bin/sh -c in the container)")
	fs.DurationVar(&f.interval, "health-interval", 0, "time between running the check (ms|s|m|h) (default 30s)")
	fs.DurationVar(&f.timeout, "health-timeout", 0, "maximum time to allow one check to run (ms|s|m|h) (default 30s)")
	fs.IntVar(&f.retries, "health-retries", 0, "consecutive failures needed to report unhealthy (default 3)")
	fs.DurationVar(&f.startPeriod, "health-start-period", 0, "start period for the container to initialize before failures count (ms|s|m|h) (default 0s)")
	fs.DurationVar(&f.startInterval, "health-start-interval", 0, "time between running the check during the start period (ms|s|m|h) (default 5s)")
	fs.BoolVar(&f.none, "no-healthcheck", false, "disable any container-specified HEALTHCHECK")
}

// config turns the flags into the container's Healthcheck as Docker's CLI
// does: nil when none was given (the image's applies), {"NONE"} for
// --no-healthcheck, else the given fields (the image fills the others).
func (f *healthFlags) config() (*health.Config, error) {
	have := f.cmd != "" || f.interval != 0 || f.timeout != 0 || f.startPeriod != 0 || f.retries != 0 || f.startInterval != 0
	if f.none {
		if have {
			return nil, invalid("--no-healthcheck conflicts with --health-* options")
		}
		return &health.Config{Test: []string{"NONE"}}, nil
	}
	if !have {
		return nil, nil
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"interval", f.interval}, {"timeout", f.timeout}, {"start-period", f.startPeriod}, {"start-interval", f.startInterval}} {
		if d.v < 0 {
			return nil, invalid("--health-%s cannot be negative", d.flag)
		}
	}
	if f.retries < 0 {
		return nil, invalid("--health-retries cannot be negative")
	}
	c := &health.Config{Interval: f.interval, Timeout: f.timeout, StartPeriod: f.startPeriod,
		StartInterval: f.startInterval, Retries: f.retries}
	if f.cmd != "" {
		c.Test = []string{"CMD-SHELL", f.cmd}
	}
	return c, nil
}
