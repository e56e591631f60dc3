package opts

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"berth/engine"
	"berth/testdata/fuzzcheck"
)

// FuzzParseRestart: an accepted --restart policy prints back to itself.
func FuzzParseRestart(f *testing.F) {
	for _, s := range []string{"no", "always", "unless-stopped", "on-failure", "on-failure:5", "on-failure:x", "always:3", ":", "",
		"on-failure:-1", "on-failure:99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseRestart(s)
		if err != nil {
			fuzzcheck.Check(t, err, s)
			return
		}
		if p.Name == "" || p.MaximumRetryCount < 0 {
			t.Fatalf("%q accepted as %+v", s, p)
		}
		text := p.Name
		if p.MaximumRetryCount != 0 || strings.Contains(s, ":") {
			text += ":" + strconv.Itoa(p.MaximumRetryCount)
		}
		q, err := ParseRestart(text)
		if err != nil || q != p {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, p, text, q, err)
		}
	})
}

// FuzzParseLimits: --memory and --cpus as both front ends read them. Empty
// is no limit (0); what is accepted is never negative, and a non-zero
// --cpus prints back to itself.
func FuzzParseLimits(f *testing.F) {
	f.Add("64m", "0.5")
	f.Add("1e99", "1e99")
	f.Add("", "1e-10")
	f.Add("0", "0")
	f.Fuzz(func(t *testing.T, mem, cpus string) {
		if m, err := ParseMemory(mem); err != nil {
			fuzzcheck.Check(t, err, mem)
		} else if m < 0 || (mem == "" && m != 0) {
			t.Errorf("memory %q = %d", mem, m)
		}
		if m, err := ParseMemoryReservation(mem); err != nil {
			fuzzcheck.Check(t, err, mem)
		} else if m < 0 || (mem == "" && m != 0) {
			t.Errorf("memory reservation %q = %d", mem, m)
		}
		n, err := ParseCPUs(cpus)
		if err != nil {
			fuzzcheck.Check(t, err, cpus)
			return
		}
		if n < 0 || (cpus == "" && n != 0) {
			t.Errorf("cpus %q = %d", cpus, n)
		}
		if back, err := ParseCPUs(fmt.Sprintf("%d.%09d", n/1e9, n%1e9)); err != nil || back != n {
			t.Fatalf("--cpus %q = %d, back %d, %v", cpus, n, back, err)
		}
	})
}

// FuzzParseValues covers the one-value parsers: --memory-swap, a --label
// and an -e value.
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"0", "10", "-1", "1.5", "128m", "1g", "a=b", "=b", "A B=1", "A", ""} {
		f.Add(s)
	}
	lookup := func(k string) (string, bool) { return "v" + k, k == "A" }
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseMemorySwap(s); err != nil {
			fuzzcheck.Check(t, err, s)
		} else if n < -1 || (n == -1) != (s == "-1") {
			t.Fatalf("--memory-swap %q = %d", s, n)
		}
		if ls, err := ParseLabels([]string{s}); err != nil {
			fuzzcheck.Check(t, err, s)
		} else if k, v, _ := strings.Cut(s, "="); ls[k] != v || len(ls) != 1 {
			t.Fatalf("label %q = %q", s, ls)
		}
		if kv, err := EnvValue(s, lookup); err != nil {
			fuzzcheck.Check(t, err, s)
		} else if strings.Contains(s, "=") && kv != s || s == "A" && kv != "A=vA" {
			t.Fatalf("-e %q = %q", s, kv)
		}
	})
}

// FuzzParseSplitPortsVolumes: -p and -v values split at blanks (as the run
// form takes them) parse with plain errors, and what is accepted is whole:
// one mount per word, absolute targets, ports in range.
func FuzzParseSplitPortsVolumes(f *testing.F) {
	for _, s := range []string{"8080:80 127.0.0.1:5353:53/udp", "data:/d /srv:/www:ro /scratch", "70000:80", "a:b:c:d", "'", ":/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := strings.Fields(s)
		if pm, err := ParsePorts(words); err != nil {
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
		var h engine.HostConfig
		if err := Mounts(&h, words, nil, nil); err != nil {
			fuzzcheck.Check(t, err, s)
			return
		}
		if len(h.Mounts) != len(words) {
			t.Fatalf("%q: %d mounts", s, len(h.Mounts))
		}
		for _, m := range h.Mounts {
			if !strings.HasPrefix(m.Target, "/") || !m.FromShort {
				t.Fatalf("%q: mount %+v", s, m)
			}
		}
	})
}
