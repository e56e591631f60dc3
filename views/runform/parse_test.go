package runform

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/errdefs"

	"berth/testdata/fuzzcheck"
)

func TestParsers(t *testing.T) {
	env, err := ParseEnv(`A=1,B=2 C="x y"`)
	if err != nil || !slices.Equal(env, []string{"A=1", "B=2", "C=x y"}) {
		t.Errorf("ParseEnv = %q, %v", env, err)
	}
	for _, bad := range []string{"A", "=1", `A="x`} {
		if _, err := ParseEnv(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseEnv(%q) = %v", bad, err)
		}
	}
	cases := []struct {
		in   string
		mem  int64
		fail bool
	}{{"", 0, false}, {"64m", 64 << 20, false}, {"1g", 1 << 30, false}, {"lots", 0, true}, {"-1", 0, true}}
	for _, c := range cases {
		if got, err := ParseMemory(c.in); got != c.mem || (err != nil) != c.fail {
			t.Errorf("ParseMemory(%q) = %d, %v", c.in, got, err)
		}
	}
	if n, err := ParseCPUs("0.5"); n != 5e8 || err != nil {
		t.Errorf("ParseCPUs(0.5) = %d, %v", n, err)
	}
	for _, bad := range []string{"0", "-1", "x", "NaN", "1e-10"} {
		if _, err := ParseCPUs(bad); err == nil {
			t.Errorf("ParseCPUs(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"": "no", "always": "always", "on-failure:3": "on-failure"} {
		if p, err := ParseRestart(in); err != nil || p.Name != want {
			t.Errorf("ParseRestart(%q) = %+v, %v", in, p, err)
		}
	}
	for _, bad := range []string{"sometimes", "always:3", "on-failure:x", "on-failure:-1"} {
		if _, err := ParseRestart(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseRestart(%q) = %v", bad, err)
		}
	}
	if q := Quote("sleep 1"); q != "'sleep 1'" {
		t.Errorf("Quote = %s", q)
	}
}

func FuzzParseEnv(f *testing.F) {
	f.Add(`A=1,B=2 C="x y"`)
	f.Add("=")
	f.Fuzz(func(t *testing.T, s string) {
		env, err := ParseEnv(s)
		if err == nil {
			for _, e := range env {
				if e == "" || e[0] == '=' {
					t.Errorf("%q gave %q", s, env)
				}
			}
		}
	})
}

func FuzzParseRestart(f *testing.F) {
	f.Add("on-failure:3")
	f.Add("always")
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := ParseRestart(s); err == nil && p.Name == "" {
			t.Errorf("%q accepted with no name", s)
		}
	})
}

func FuzzParseLimits(f *testing.F) {
	f.Add("64m", "0.5")
	f.Add("1e99", "1e99")
	f.Add("", "1e-10")
	f.Fuzz(func(t *testing.T, mem, cpus string) {
		// Empty is no limit (0); anything else accepted is a real limit.
		if m, err := ParseMemory(mem); err == nil && (m < 0 || (m == 0) != (mem == "")) {
			t.Errorf("memory %q = %d", mem, m)
		}
		if n, err := ParseCPUs(cpus); err == nil && (n < 0 || (n == 0) != (cpus == "")) {
			t.Errorf("cpus %q = %d", cpus, n)
		}
	})
}

func TestParsePortsAndVolumes(t *testing.T) {
	pm, err := ParsePorts("8080:80 127.0.0.1:5353:53/udp")
	if err != nil || len(pm["80/tcp"]) != 1 || pm["80/tcp"][0].HostPort != "8080" || pm["53/udp"][0].HostIP != "127.0.0.1" {
		t.Errorf("ports: %+v %v", pm, err)
	}
	if _, err := ParsePorts("70000:80"); err == nil {
		t.Error("port 70000 accepted")
	}
	ms, err := ParseVolumes("data:/d /srv:/www:ro /scratch")
	if err != nil || len(ms) != 3 || ms[0].Type != "volume" || ms[1].Type != "bind" || !ms[1].ReadOnly || ms[2].Source != "" {
		t.Errorf("volumes: %+v %v", ms, err)
	}
	if _, err := ParseVolumes("data:relative"); err == nil {
		t.Error("relative target accepted")
	}
}

// FuzzParseSplitPortsVolumes: the run form's command line, ports and volumes
// fields take anything typed: errors are plain, and what is accepted is
// whole (one mount per word, absolute targets, ports in range).
func FuzzParseSplitPortsVolumes(f *testing.F) {
	for _, s := range []string{"8080:80 127.0.0.1:5353:53/udp", "data:/d /srv:/www:ro /scratch", `sh -c "echo hi"`, "70000:80", "a:b:c:d", "'", ":/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if args, err := SplitArgs(s); err != nil {
			fuzzcheck.Check(t, err, s)
		} else if len(strings.Join(args, "")) > len(s) {
			t.Fatalf("%q split into %q", s, args)
		}
		if pm, err := ParsePorts(s); err != nil {
			fuzzcheck.Check(t, err, s)
		} else {
			for key, bs := range pm {
				port, proto, _ := strings.Cut(string(key), "/")
				if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp") {
					t.Fatalf("%q: port key %q", s, key)
				}
				for _, b := range bs {
					if n, err := strconv.Atoi(b.HostPort); b.HostPort != "" && (err != nil || n < 0 || n > 65535) {
						t.Fatalf("%q: host port %q", s, b.HostPort)
					}
				}
			}
		}
		ms, err := ParseVolumes(s)
		if err != nil {
			fuzzcheck.Check(t, err, s)
			return
		}
		if len(ms) != len(strings.Fields(s)) {
			t.Fatalf("%q: %d mounts", s, len(ms))
		}
		for _, m := range ms {
			if !strings.HasPrefix(m.Target, "/") {
				t.Fatalf("%q: target %q", s, m.Target)
			}
		}
	})
}
