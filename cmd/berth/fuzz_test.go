package main

import (
	"bytes"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/spf13/pflag"

	"berth/engine"
	"berth/testdata/fuzzcheck"
)

// FuzzRunFlags parses create/run arguments (split at spaces) and turns them
// into CreateOptions, as `berth run` does: every value parser of the flags
// (-p, -v, --mount, --tmpfs, --restart, --memory, --ulimit, -e, --label,
// --add-host, --dns, --log-opt, --security-opt …) meets the same input.
// Errors are one plain sentence; accepted options hold what was asked.
func FuzzRunFlags(f *testing.F) {
	for _, s := range []string{
		"busybox true",
		"-p 8080:80 -p 127.0.0.1::53/udp -v data:/d:ro -v /srv:/www --tmpfs /t:size=64m,mode=1777 busybox",
		"--mount type=bind,src=/tmp,dst=/x,readonly --mount type=volume,dst=/v busybox",
		"--restart on-failure:3 -m 32m --memory-swap -1 --cpus 0.5 --ulimit nofile=1024:2048 busybox",
		"-e A=1 -e B --label a=b --label c --add-host db:10.0.0.2 --dns 1.1.1.1 busybox",
		"--log-opt max-size=10m --log-opt max-file=3 --security-opt no-new-privileges busybox",
		"--restart always:1 busybox", "-l =x busybox", "--add-host :1.2.3.4 busybox", "--dns x busybox",
		"-m -1 busybox", "--ulimit nofile=2:1 busybox", "--log-opt x busybox", "-e =x busybox",
		"--security-opt seccomp=unconfined busybox", "--tmpfs relative busybox", "-v :: busybox",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, " ")
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var rf runFlags
		rf.register(fs)
		if err := fs.Parse(args); err != nil {
			return // pflag's own errors
		}
		if len(rf.envFile) > 0 || readsProfile(rf.securityOpt) {
			return // these read host files
		}
		rest := fs.Args()
		if len(rest) == 0 {
			rest = []string{"busybox"}
		}
		o, err := rf.options(fs, rest)
		if err != nil {
			fuzzcheck.Check(t, err, args...)
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("%q: %v is not an invalid-argument error", line, err)
			}
			return
		}
		checkRunOptions(t, line, &rf, o)
	})
}

// readsProfile says whether a --security-opt names a seccomp profile file.
func readsProfile(opts []string) bool {
	for _, o := range opts {
		if strings.HasPrefix(o, "seccomp") {
			return true
		}
	}
	return false
}

// checkRunOptions asserts that accepted flags are all in the options.
func checkRunOptions(t *testing.T, line string, rf *runFlags, o engine.CreateOptions) {
	t.Helper()
	h := &o.HostConfig
	for _, l := range rf.labels {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			t.Fatalf("%q: label %q with an empty key accepted", line, l)
		}
		if _, ok := o.Config.Labels[k]; !ok {
			t.Fatalf("%q: label %q lost", line, l)
		} else if rf.labels[len(rf.labels)-1] == l && o.Config.Labels[k] != v {
			t.Fatalf("%q: label %q = %q", line, k, o.Config.Labels[k])
		}
	}
	if h.Resources.Memory < 0 || (h.Resources.MemorySwap < 0 && h.Resources.MemorySwap != -1) {
		t.Fatalf("%q: memory %d swap %d", line, h.Resources.Memory, h.Resources.MemorySwap)
	}
	if n := len(rf.volumesArg) + len(rf.mounts) + len(rf.tmpfs); len(h.Mounts) != n {
		t.Fatalf("%q: %d mounts for %d flags", line, len(h.Mounts), n)
	}
	for _, m := range h.Mounts {
		if !strings.HasPrefix(m.Target, "/") {
			t.Fatalf("%q: mount target %q is not absolute", line, m.Target)
		}
	}
	for _, ah := range h.ExtraHosts {
		name, ip, _ := strings.Cut(ah, ":")
		if _, err := netip.ParseAddr(ip); name == "" || err != nil {
			t.Fatalf("%q: --add-host %q accepted", line, ah)
		}
	}
	for _, d := range h.DNS {
		if _, err := netip.ParseAddr(d); err != nil {
			t.Fatalf("%q: --dns %q accepted", line, d)
		}
	}
	if len(h.Ulimits) != len(rf.ulimits) {
		t.Fatalf("%q: %d ulimits for %d flags", line, len(h.Ulimits), len(rf.ulimits))
	}
	for _, kv := range o.Config.Env {
		if k, _, _ := strings.Cut(kv, "="); k == "" || strings.ContainsAny(k, " \t") {
			t.Fatalf("%q: environment entry %q accepted", line, kv)
		}
	}
}

// FuzzParseValues covers the single-value parsers of the CLI: --tail and a
// cp argument (engine/opts fuzzes the flag values run shares with the TUI).
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"0", "10", "-1", "all", "007", "c:/p", "./c:p", "/a:b", "c/x:p", "-", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseTail(s); err != nil {
			fuzzcheck.Check(t, err, s)
		} else if n < 0 || strconv.Itoa(n) != s {
			t.Fatalf("--tail %q = %d", s, n)
		}
		if c, p, ok := splitCpArg(s); ok {
			if c+":"+p != s || strings.Contains(c, "/") || strings.HasPrefix(s, ".") {
				t.Fatalf("cp %q = %q %q", s, c, p)
			}
		} else if p != s || c != "" {
			t.Fatalf("cp %q = %q %q, local", s, c, p)
		}
	})
}

// FuzzParseFormat parses --format values and runs accepted ones on a row, as
// ps, images and inspect do: errors are plain, and nothing panics or
// exhausts memory (pad and truncate take numbers from the user).
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"{{.Names}}", "table {{.ID}}\\t{{.Names}}", "json", "{{json .}}", "{{.Nope}}", "{{",
		"{{pad .Names 2 3}}", "{{truncate .ID 4}}", "{{join .Ports \",\"}}", "{{upper (index .Labels \"a\")}}",
		"{{pad .Names -1 0}}", "{{truncate .ID -1}}", "{{pad .Names 9999999999999 0}}", "{{split .Names \"\"}}"} {
		f.Add(s)
	}
	type row struct {
		ID, Names string
		Ports     []string
		Labels    map[string]string
		Size      int64
	}
	item := row{ID: "0123456789ab", Names: "web", Ports: []string{"80/tcp"}, Labels: map[string]string{"a": "b"}, Size: 1 << 40}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, _, err := parseFormat(s)
		if err != nil {
			fuzzcheck.Check(t, err, s)
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if strings.Contains(s, "range") || strings.Contains(s, "template") {
			return // loops and recursion are the user's own program
		}
		// Execution errors are text/template's own wording (Go type names
		// included, as docker's): one line, and never a panic or runtime fault.
		var b bytes.Buffer
		fuzzcheck.CheckNoCrash(t, execTemplate(tmpl, &b, item), s)
		fuzzcheck.CheckNoCrash(t, checkStatsFormat(s), s)
	})
}
