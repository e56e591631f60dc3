package build

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"berth/images"
)

// defaultShell is the shell of shell-form RUN, CMD and ENTRYPOINT.
func defaultShell() []string { return []string{"/bin/sh", "-c"} }

// defaultPath is the PATH a RUN gets when the image sets none (as Docker).
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// plan turns one expanded instruction into what its step does. ARG changes
// the stage's state only and has no plan.
func (bd *build) plan(ctx context.Context, s *stageState, cmd instructions.Command) (*plan, error) {
	switch c := cmd.(type) {
	case *instructions.ArgCommand: // its history row waits for the stage's end (argrows.go)
		s.argRows = append(s.argRows, argRow{at: historyLen(s.img), text: "ARG " + bd.declareArgs(s, c), created: time.Now().UTC()})
		return nil, nil
	case *instructions.RunCommand:
		return bd.planRun(ctx, s, c)
	case *instructions.CopyCommand:
		return bd.planCopy(ctx, s, c)
	case *instructions.AddCommand:
		return bd.planAdd(ctx, s, c)
	case *instructions.WorkdirCommand:
		return planWorkdir(s, c), nil
	case *instructions.CmdCommand:
		args := commandLine(s, c.ShellDependantCmdLine)
		s.cmdSet = true
		return &plan{createdBy: fmt.Sprintf("CMD %q", args), config: func(cfg *v1.Config) { cfg.Cmd = args }}, nil
	case *instructions.EntrypointCommand:
		args := commandLine(s, c.ShellDependantCmdLine)
		keepCmd := s.cmdSet
		return &plan{createdBy: fmt.Sprintf("ENTRYPOINT %q", args), config: func(cfg *v1.Config) {
			cfg.Entrypoint = args
			if !keepCmd { // an ENTRYPOINT resets the CMD the base image set
				cfg.Cmd = nil
			}
		}}, nil
	case *instructions.OnbuildCommand:
		// BuildKit writes no history entry for ONBUILD (the cache key still
		// has the line).
		return &plan{createdBy: "ONBUILD " + c.Expression, noHistory: true, config: func(cfg *v1.Config) {
			cfg.OnBuild = append(cfg.OnBuild, c.Expression)
		}}, nil
	}
	return planMeta(cmd)
}

// planMeta plans the instructions that change the config only.
func planMeta(cmd instructions.Command) (*plan, error) {
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		return &plan{createdBy: "ENV " + kvString(c.Env), config: func(cfg *v1.Config) {
			for _, kv := range c.Env {
				cfg.Env = setEnv(cfg.Env, kv.Key, kv.Value)
			}
		}}, nil
	case *instructions.LabelCommand:
		return &plan{createdBy: "LABEL " + kvString(c.Labels), config: func(cfg *v1.Config) {
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			for _, kv := range c.Labels {
				cfg.Labels[kv.Key] = kv.Value
			}
		}}, nil
	case *instructions.ExposeCommand:
		ports, err := exposedPorts(c.Ports)
		if err != nil {
			return nil, err
		}
		// BuildKit's line prints the step's port set as a Go map:
		// "EXPOSE map[443/udp:{} 80/tcp:{}]".
		return &plan{createdBy: fmt.Sprintf("EXPOSE %v", ports), config: func(cfg *v1.Config) {
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts = map[string]struct{}{}
			}
			for p := range ports {
				cfg.ExposedPorts[p] = struct{}{}
			}
		}}, nil
	case *instructions.VolumeCommand:
		return &plan{createdBy: fmt.Sprintf("VOLUME %v", c.Volumes), config: func(cfg *v1.Config) {
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			for _, v := range c.Volumes {
				cfg.Volumes[v] = struct{}{}
			}
		}}, nil
	case *instructions.UserCommand:
		return &plan{createdBy: "USER " + c.User, config: func(cfg *v1.Config) { cfg.User = c.User }}, nil
	case *instructions.StopSignalCommand:
		if _, err := images.ParseSignal(c.Signal); err != nil {
			return nil, err
		}
		return &plan{createdBy: "STOPSIGNAL " + c.Signal, config: func(cfg *v1.Config) { cfg.StopSignal = c.Signal }}, nil
	case *instructions.ShellCommand:
		return &plan{createdBy: fmt.Sprintf("SHELL %v", c.Shell), config: func(cfg *v1.Config) { cfg.Shell = c.Shell }}, nil
	case *instructions.MaintainerCommand:
		return &plan{createdBy: "MAINTAINER " + c.Maintainer, author: c.Maintainer}, nil
	case *instructions.HealthCheckCommand:
		return planHealthcheck(c), nil
	}
	return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("instruction %s is not supported", strings.ToUpper(cmd.Name())))
}

// planHealthcheck sets the image's health check (it is not run here).
func planHealthcheck(c *instructions.HealthCheckCommand) *plan {
	h := c.Health
	hc := &v1.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
	extra := fmt.Sprintf("%v/%v/%v/%d", h.Interval, h.Timeout, h.StartPeriod, h.Retries)
	if h.StartInterval != 0 {
		extra += fmt.Sprintf("/%v", h.StartInterval)
	}
	return &plan{createdBy: healthHistory(h), extra: extra,
		config: func(cfg *v1.Config) { cfg.Healthcheck = hc },
		// The whole check is replaced: no --start-interval clears the base's.
		ext: func(x *images.ConfigExt) { x.HealthStartInterval = h.StartInterval }}
}

// healthHistory is BuildKit's history line of a HEALTHCHECK, as dockerd
// 20.10's writes it: its HealthConfig printed with %q, e.g.
// `HEALTHCHECK &{["CMD-SHELL" "true"] "5s" "0s" "0s" '\x03'}` (the retries
// a quoted rune). A start interval, which 20.10 lacks, comes before the
// retries, where newer Docker's HealthConfig has it.
func healthHistory(h *dockerspec.HealthcheckConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HEALTHCHECK &{%q %q %q %q", h.Test, h.Interval.String(), h.Timeout.String(), h.StartPeriod.String())
	if h.StartInterval != 0 {
		fmt.Fprintf(&b, " %q", h.StartInterval.String())
	}
	r := rune(h.Retries)
	if h.Retries < 0 || h.Retries > utf8.MaxRune {
		r = utf8.RuneError
	}
	b.WriteString(" " + strconv.QuoteRune(r) + "}")
	return b.String()
}

// declareArgs puts a stage's ARGs in scope: the --build-arg value, else the
// default, else (a bare ARG) the meta ARG's value. It returns the ARG's
// history text as BuildKit writes it: "K=value", or a bare "K", for each.
func (bd *build) declareArgs(s *stageState, c *instructions.ArgCommand) string {
	var hist []string
	for _, kv := range c.Args {
		def := kv.Value
		if def == nil {
			if v, ok := bd.meta[kv.Key]; ok {
				def = v
			}
		}
		if _, seen := s.args[kv.Key]; !seen {
			s.order = append(s.order, kv.Key)
		}
		v := bd.argValue(kv.Key, def)
		s.args[kv.Key], s.declared = v, append(s.declared, kv.Key)
		if v != nil {
			hist = append(hist, kv.Key+"="+*v)
		} else {
			hist = append(hist, kv.Key)
		}
	}
	return strings.Join(hist, " ")
}

// planRun plans a RUN: its process, environment and history line.
func (bd *build) planRun(ctx context.Context, s *stageState, c *instructions.RunCommand) (*plan, error) {
	for _, f := range c.FlagsUsed {
		if f != "mount" && f != "network" {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("RUN --%s is not supported yet", f))
		}
	}
	cmdline, script, err := heredocRun(c)
	if err != nil {
		return nil, err
	}
	args := commandLine(s, instructions.ShellDependantCmdLine{CmdLine: cmdline, PrependShell: c.PrependShell})
	prefix := s.argsInUse()
	env := s.env()
	if !hasEnvKey(env, "PATH") {
		env = append(env, defaultPath)
	}
	mounts, extra, err := bd.planRunMounts(ctx, s, c)
	if err != nil {
		return nil, err
	}
	if script != nil {
		mounts = append(mounts, script)
		extra += "\x00script " + hashInline([]instructions.SourceContent{{Data: string(script.inline)}})
	}
	network := instructions.GetNetwork(c)
	if network == instructions.NetworkDefault {
		network = bd.opts.Network // --network
	}
	if network == instructions.NetworkDefault {
		network = ""
	}
	if network != "" {
		extra += "\x00network " + network
	}
	return &plan{createdBy: "RUN " + prefix + strings.Join(args, " ") + " # buildkit", extra: extra, mounts: mounts,
		run: &RunSpec{Args: args, Env: env, User: s.cfg.User, WorkingDir: s.cfg.WorkingDir, Network: network}}, nil
}

// commandLine is a RUN, CMD or ENTRYPOINT's argv: exec form as written, shell
// form wrapped in the stage's shell.
func commandLine(s *stageState, c instructions.ShellDependantCmdLine) []string {
	if !c.PrependShell {
		return append([]string{}, c.CmdLine...)
	}
	sh := s.cfg.Shell
	if len(sh) == 0 {
		sh = defaultShell()
	}
	return append(append([]string{}, sh...), strings.Join(c.CmdLine, " "))
}

// planWorkdir sets the working directory (relative to the previous one) and
// makes it when missing, owned by the USER, as BuildKit does.
func planWorkdir(s *stageState, c *instructions.WorkdirCommand) *plan {
	dir := c.Path
	if !path.IsAbs(dir) {
		dir = path.Join("/", s.cfg.WorkingDir, dir)
	}
	dir, usr := path.Clean(dir), s.cfg.User
	return &plan{createdBy: "WORKDIR " + dir,
		config: func(cfg *v1.Config) { cfg.WorkingDir = dir },
		mount:  func(_ context.Context, root string) (bool, error) { return makeWorkdir(root, dir, usr) }}
}

func kvString(kvs instructions.KeyValuePairs) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = kv.Key + "=" + kv.Value
	}
	return strings.Join(parts, " ")
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

// exposedPorts normalises EXPOSE's ports ("80", "53/udp", "8000-8002").
func exposedPorts(list []string) (map[string]struct{}, error) {
	out := map[string]struct{}{}
	for _, p := range list {
		port, proto, _ := strings.Cut(p, "/")
		if proto == "" {
			proto = "tcp"
		}
		lo, hi, isRange := strings.Cut(port, "-")
		var a, b int
		if _, err := fmt.Sscanf(lo, "%d", &a); err != nil || a < 1 || a > 65535 {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid port %q", p))
		}
		b = a
		if isRange {
			if _, err := fmt.Sscanf(hi, "%d", &b); err != nil || b < a || b > 65535 {
				return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid port range %q", p))
			}
		}
		for n := a; n <= b; n++ {
			out[fmt.Sprintf("%d/%s", n, strings.ToLower(proto))] = struct{}{}
		}
	}
	return out, nil
}
