package images

import (
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// applyHealthcheck applies a HEALTHCHECK change (as a Dockerfile writes it,
// flags included) to cfg and ext: the whole health check is replaced, its
// start interval with it.
func applyHealthcheck(cfg *v1.Config, ext *ConfigExt, change string) error {
	bad := func(why string) error {
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("change %q: %s", change, why))
	}
	if strings.ContainsAny(change, "\n\r") {
		return bad("a change is one line")
	}
	res, err := parser.Parse(strings.NewReader(change))
	if err != nil {
		return bad(err.Error())
	}
	if len(res.AST.Children) != 1 {
		return bad("want one HEALTHCHECK instruction")
	}
	inst, err := instructions.ParseInstruction(res.AST.Children[0])
	if err != nil {
		return bad(plainParseError(err))
	}
	hc, ok := inst.(*instructions.HealthCheckCommand)
	if !ok {
		return bad("want a HEALTHCHECK instruction")
	}
	h := hc.Health
	cfg.Healthcheck = &v1.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout,
		StartPeriod: h.StartPeriod, Retries: h.Retries}
	ext.HealthStartInterval = h.StartInterval
	return nil
}

// plainParseError is a Dockerfile parse error without the location the
// parser puts in front (a change has no lines to point at).
func plainParseError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "dockerfile parse error") {
		return msg[i+2:]
	}
	return msg
}
