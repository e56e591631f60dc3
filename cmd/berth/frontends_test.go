package main

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"berth/engine"
	"berth/views/runform"
)

// TestFrontEndsAgree: the values that `berth run` and the TUI's run form
// read differently before engine/opts now give the same container (or the
// same refusal) from both, and the answer is Docker's.
func TestFrontEndsAgree(t *testing.T) {
	t.Setenv("BERTH_FRONTENDS_TEST", "copied")
	cases := []struct {
		field, value string // the run form's field
		flag         string // the CLI's flag for it
		ok           bool
		check        func(h *engine.HostConfig, c *engine.Config) bool
	}{
		// The CLI kept -1 retries; Docker refuses a negative count.
		{"Restart", "on-failure:-1", "--restart", false, nil},
		// The CLI stored "", the form "no"; Docker stores "no".
		{"Restart", "", "--restart", true, func(h *engine.HostConfig, _ *engine.Config) bool { return h.RestartPolicy.Name == "no" }},
		// The form refused 0; in Docker -m 0 and --cpus 0 are no limit.
		{"Memory", "0", "--memory", true, func(h *engine.HostConfig, _ *engine.Config) bool { return h.Memory == 0 }},
		{"CPUs", "0", "--cpus", true, func(h *engine.HostConfig, _ *engine.Config) bool { return h.NanoCPUs == 0 }},
		// The CLI took a float and lost a nano-CPU; Docker's count is exact.
		{"CPUs", "1.001", "--cpus", true, func(h *engine.HostConfig, _ *engine.Config) bool { return h.NanoCPUs == 1001000000 }},
		// The CLI rounded this to 0 (no limit); Docker calls it too precise.
		{"CPUs", "1e-10", "--cpus", false, nil},
		// The form refused more than 1024; the engine checks the host's count.
		{"CPUs", "2048", "--cpus", true, func(h *engine.HostConfig, _ *engine.Config) bool { return h.NanoCPUs == 2048e9 }},
		// The form refused KEY alone; Docker copies KEY from its environment.
		{"Env", "BERTH_FRONTENDS_TEST", "-e", true, func(_ *engine.HostConfig, c *engine.Config) bool {
			return reflect.DeepEqual(c.Env, []string{"BERTH_FRONTENDS_TEST=copied"})
		}},
		// The form left Binds empty; Docker lists -v binds there.
		{"Volumes", "/srv:/www:ro", "-v", true, func(h *engine.HostConfig, _ *engine.Config) bool {
			return reflect.DeepEqual(h.Binds, []string{"/srv:/www:ro"}) && len(h.Mounts) == 1 && h.Mounts[0].ReadOnly && h.Mounts[0].FromShort
		}},
		// No ports: the form had nil, the CLI an empty map.
		{"Ports", "", "-p", true, func(h *engine.HostConfig, _ *engine.Config) bool {
			return h.PortBindings != nil && len(h.PortBindings) == 0
		}},
	}
	for _, tc := range cases {
		var args []string
		if tc.value != "" || tc.field == "Restart" {
			args = []string{tc.flag, tc.value}
		}
		cliOpts, cliErr := cliRunOptions(t, append(args, "busybox"))
		form, _ := runform.New("busybox")
		form.SetValue(tc.field, tc.value)
		res, bad := form.Submit()
		if (cliErr == nil) != tc.ok || (bad < 0) != tc.ok {
			t.Errorf("%s %q: CLI error %v, form's invalid field %d; want accepted %v", tc.flag, tc.value, cliErr, bad, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		for who, o := range map[string]engine.CreateOptions{"CLI": cliOpts, "form": res.Options} {
			if !tc.check(&o.HostConfig, &o.Config) {
				t.Errorf("%s %q from the %s: %+v %+v", tc.flag, tc.value, who, o.HostConfig, o.Config.Env)
			}
		}
	}
}

// cliRunOptions parses `berth run -d ARGS` as the run verb does.
func cliRunOptions(t *testing.T, args []string) (engine.CreateOptions, error) {
	t.Helper()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var rf runFlags
	rf.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	rf.detach = true
	return rf.options(fs, fs.Args())
}
