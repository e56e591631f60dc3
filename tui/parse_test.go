package tui

import (
	"errors"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
)

const procStat = "cpu  100 5 50 800 20 0 10 0 0 0\ncpu0 50 2 25 400 10 0 5 0 0 0\n"
const meminfo = "MemTotal:        8000000 kB\nMemFree:         1000000 kB\nMemAvailable:    6000000 kB\n"

func TestParseHost(t *testing.T) {
	h, err := parseHost([]byte(procStat), []byte(meminfo))
	if err != nil {
		t.Fatal(err)
	}
	if h.Total != 985 || h.Busy != 165 || h.MemTotal != 8000000*1024 || h.MemAvailable != 6000000*1024 {
		t.Errorf("parsed %+v", h)
	}
	next := HostSample{Busy: h.Busy + 50, Total: h.Total + 100}
	if got := CPUPercent(h, next); got != 50 {
		t.Errorf("cpu %% %v, want 50", got)
	}
	for _, bad := range [][2]string{{"", meminfo}, {"intr 1 2 3\n", meminfo}, {"cpu a b c d e\n", meminfo}, {procStat, "nothing"}} {
		if _, err := parseHost([]byte(bad[0]), []byte(bad[1])); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("parseHost(%q, %q) = %v, want invalid argument", bad[0], bad[1], err)
		}
	}
}

func FuzzParseHost(f *testing.F) {
	f.Add([]byte(procStat), []byte(meminfo))
	f.Add([]byte("cpu 1 2 3 4\n"), []byte("MemTotal: 1 kB"))
	f.Add([]byte("cpu 18446744073709551615 1 1 1 1 1 1 1\n"), []byte("MemTotal: 99999999999999999999 kB\n"))
	f.Fuzz(func(t *testing.T, stat, mem []byte) {
		h, err := parseHost(stat, mem)
		if err == nil && h.MemTotal == 0 {
			t.Errorf("accepted without MemTotal: %+v", h)
		}
	})
}

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		bad  bool
	}{
		{"ps -a", []string{"ps", "-a"}, false},
		{`run -d --name "my box" busybox sh -c 'echo hi; sleep 9'`, []string{"run", "-d", "--name", "my box", "busybox", "sh", "-c", "echo hi; sleep 9"}, false},
		{`logs a\ b ""`, []string{"logs", "a b", ""}, false},
		{"  ", nil, false},
		{`echo "open`, nil, true},
		{`trailing\`, nil, true},
	}
	for _, c := range cases {
		got, err := splitArgs(c.in)
		if c.bad {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("splitArgs(%q) error %v, want invalid argument", c.in, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{"ps -a", `run "a b" 'c d' e\ f`, `"`, `\`, "\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := splitArgs(s)
		if err != nil {
			return
		}
		for _, a := range args {
			if len(a) > len(s) {
				t.Errorf("word %q longer than the line %q", a, s)
			}
		}
	})
}

func TestInteractive(t *testing.T) {
	for args, want := range map[string]bool{
		"ps -a": false, "run -d busybox true": false, "run busybox sh": true, "exec -it x sh": true,
		"logs -f x": true, "attach x": true, "events": true, "stop x": false,
	} {
		a, _ := splitArgs(args)
		if got := interactive(a); got != want {
			t.Errorf("interactive(%q) = %v, want %v", args, got, want)
		}
	}
}
