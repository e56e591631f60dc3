package tui

import (
	"errors"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
)

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
