package engine

import "testing"

func TestParseOSRelease(t *testing.T) {
	tests := []struct{ in, name, version string }{
		{"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n", "Debian GNU/Linux 12 (bookworm)", "12"},
		{"NAME=Alpine\nVERSION_ID=3.20.1\n", "Alpine", "3.20.1"},
		{"# comment\nPRETTY_NAME='Fedora Linux 40'\nVERSION_ID=40", "Fedora Linux 40", "40"},
		{"PRETTY_NAME=\"say \\\"hi\\\"\"", `say "hi"`, ""},
		{"", "Linux", ""},
		{"garbage without equals\n=\n", "Linux", ""},
	}
	for _, tt := range tests {
		name, version := parseOSRelease([]byte(tt.in))
		if name != tt.name || version != tt.version {
			t.Errorf("%q: %q %q, want %q %q", tt.in, name, version, tt.name, tt.version)
		}
	}
}

func TestParseMemTotal(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"MemTotal:       24684548 kB\nMemFree: 1 kB\n", 24684548 * 1024},
		{"MemFree: 1 kB\nMemTotal: 1000\n", 1000},
		{"MemTotal:\n", 0},
		{"MemTotal: lots kB\n", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := parseMemTotal([]byte(tt.in)); got != tt.want {
			t.Errorf("%q: %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestEngineIDIsStablePerRoot(t *testing.T) {
	a, b := engineID("/var/lib/berth"), engineID("/tmp/other")
	if a != engineID("/var/lib/berth") || a == b || len(a) != 36 || a[8] != '-' {
		t.Errorf("engine IDs %q %q", a, b)
	}
}

func TestCountStates(t *testing.T) {
	var cs []*Container
	for _, s := range []string{"running", "paused", "created", "exited", "restarting", "dead", "running"} {
		cs = append(cs, &Container{State: State{Status: s}})
	}
	if r, p, s := countStates(cs); r != 2 || p != 1 || s != 4 {
		t.Errorf("countStates: %d %d %d", r, p, s)
	}
}
