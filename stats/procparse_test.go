package stats

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{"two cpus", "cpu  100 0 50 1000 5 0 2 1 0 0\ncpu0 50 0 25 500 2 0 1 0 0 0\ncpu1 50 0 25 500 3 0 1 1 0 0\nintr 1 2\nbtime 1700000000\n",
			procStat{systemNS: 1157 * 1e7, onlineCPUs: 2, bootTime: 1700000000}, false},
		{"old kernel seven fields", "cpu 1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n", procStat{systemNS: 28 * 1e7, onlineCPUs: 1}, false},
		{"no cpu line", "intr 1\nbtime 5\n", procStat{}, true},
		{"short cpu line", "cpu 1 2 3\n", procStat{}, true},
		{"bad number", "cpu 1 2 x 4 5 6 7\n", procStat{}, true},
		{"bad btime", "cpu 1 2 3 4 5 6 7\nbtime x\n", procStat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseProcStat = %+v, %v; want %+v, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := parseProcStat(data); err != nil || ps.onlineCPUs < 1 || ps.systemNS == 0 || ps.bootTime == 0 {
		t.Fatalf("host /proc/stat parsed as %+v, %v", ps, err)
	}
}

func TestParseMemTotal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    uint64
		wantErr bool
	}{
		{"kB", "MemTotal:       24684084 kB\nMemFree: 1 kB\n", 24684084 * 1024, false},
		{"not first", "Foo: 1\nMemTotal: 2 kB\n", 2048, false},
		{"missing", "MemFree: 1 kB\n", 0, true},
		{"bad", "MemTotal: x kB\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMemTotal([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseMemTotal = %d, %v; want %d, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseBlkioV1(t *testing.T) {
	tests := []struct {
		name            string
		in              string
		wantRead, wantW uint64
		wantErr         bool
	}{
		{"empty cgroup", "Total 0\n", 0, 0, false},
		{"two devices", "8:0 Read 100\n8:0 Write 20\n8:0 Sync 120\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 120\n8:16 Read 5\n8:16 Write 1\nTotal 126\n", 105, 21, false},
		{"no value", "8:0 Read\n", 0, 0, true},
		{"bad value", "8:0 Read x\n", 0, 0, true},
		{"no device", "Read 5 6\n", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w, err := parseBlkioV1([]byte(tt.in))
			if (err != nil) != tt.wantErr || r != tt.wantRead || w != tt.wantW {
				t.Fatalf("parseBlkioV1 = %d, %d, %v; want %d, %d, err %v", r, w, err, tt.wantRead, tt.wantW, tt.wantErr)
			}
		})
	}
}

func TestParsePIDStat(t *testing.T) {
	line := func(comm string) string {
		return "42 (" + comm + ") S 7 42 42 0 -1 4194304 132 0 0 0 150 50 0 0 20 0 1 0 41299 2990080 392 18446744073709551615 0 0\n"
	}
	want := pidStat{comm: "sleep", state: "S", ppid: 7, pgrp: 42, session: 42, tpgid: -1, threads: 1, utime: 150, stime: 50, startTicks: 41299, vsize: 2990080, rssPages: 392}
	tests := []struct {
		name    string
		in      string
		want    pidStat
		wantErr error
	}{
		{"plain", line("sleep"), want, nil},
		{"comm with spaces and parens", line("a) b (c"), func() pidStat { w := want; w.comm = "a) b (c"; return w }(), nil},
		{"empty (exited)", "", pidStat{}, errProcessGone},
		{"truncated", "42 (x) S 7 42\n", pidStat{}, errors.New("any")},
		{"no comm", "42 x S 7\n", pidStat{}, errors.New("any")},
		{"bad ppid", "42 (x) S y 42 42 0 -1 4194304 132 0 0 0 150 50 0 0 20 0 1 0 41299 2990080 392\n", pidStat{}, errors.New("any")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePIDStat([]byte(tt.in))
			if (err != nil) != (tt.wantErr != nil) || got != tt.want {
				t.Fatalf("parsePIDStat = %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
			if tt.wantErr == errProcessGone && !errors.Is(err, errProcessGone) {
				t.Fatalf("err = %v, want errProcessGone", err)
			}
		})
	}
}

func TestParsePIDStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    pidStatus
		wantErr bool
	}{
		{"host process", "Name:\tsh\nUid:\t0\t0\t0\t0\nNSpid:\t99\n", pidStatus{uid: 0, nsPID: 99}, false},
		{"container process", "Name:\tsh\nUid:\t1000\t33\t33\t33\nNSpid:\t4242\t1\n", pidStatus{uid: 33, nsPID: 1}, false},
		{"nested", "Uid:\t0\t0\t0\t0\nNSpid:\t4242\t17\t3\n", pidStatus{nsPID: 3}, false},
		{"old kernel without NSpid", "Uid:\t5\t5\t5\t5\n", pidStatus{uid: 5}, false},
		{"no Uid", "Name:\tsh\n", pidStatus{}, true},
		{"empty", "", pidStatus{}, true},
		{"bad Uid", "Uid:\tx\ty\n", pidStatus{}, true},
		{"bad NSpid", "Uid:\t0\t0\t0\t0\nNSpid:\t1\tz\n", pidStatus{}, true},
		{"locked pages", "Uid:\t0\t0\t0\t0\nVmLck:\t     8 kB\n", pidStatus{locked: true}, false},
		{"no locked pages", "Uid:\t0\t0\t0\t0\nVmLck:\t     0 kB\n", pidStatus{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePIDStatus([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parsePIDStatus = %+v, %v; want %+v, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParsePIDList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []int
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"three", "1\n20\n300\n", []int{1, 20, 300}, false},
		{"zero", "0\n", nil, true},
		{"text", "x\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePIDList([]byte(tt.in))
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parsePIDList = %v, %v; want %v, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParsePasswd(t *testing.T) {
	in := "root:x:0:0:root:/root:/bin/sh\n# comment:x:5\nbad line\nwww-data:x:33:33::/var/www:/bin/false\nshadow:x:33:1::/:/bin/false\nnouid:x:abc:1::/:\n"
	want := map[int]string{0: "root", 33: "www-data"}
	if got := parsePasswd([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Fatalf("parsePasswd = %v, want %v", got, want)
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct{ cmdline, comm, want string }{
		{"sh\x00-c\x00while :; do :; done\x00", "sh", "sh -c while :; do :; done"},
		{"", "kworker", "[kworker]"},
		{"nginx: master process\x00", "nginx", "nginx: master process"},
	}
	for _, tt := range tests {
		if got := commandLine([]byte(tt.cmdline), tt.comm); got != tt.want {
			t.Errorf("commandLine(%q) = %q, want %q", tt.cmdline, got, tt.want)
		}
	}
}

func TestParseCgroupValue(t *testing.T) {
	stat := "cache 159744\nrss 114688\ninactive_file 8192\ntotal_inactive_file 9000\n"
	tests := []struct {
		name, in, key string
		want          uint64
		wantErr       bool
	}{
		{"single value", "700416\n", "", 700416, false},
		{"max", "max\n", "", 0, false},
		{"bad single", "lots\n", "", 0, true},
		{"key", stat, "total_inactive_file", 9000, false},
		{"key is not a prefix match", stat, "inactive", 0, false},
		{"oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill", 3, false},
		{"bad keyed value", "oom_kill x\n", "oom_kill", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCgroupValue([]byte(tt.in), tt.key)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseCgroupValue = %d, %v; want %d, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestBSDStat checks ps's STAT flags in procps's order against what ps
// prints for such processes (docker top runs ps on the host).
func TestBSDStat(t *testing.T) {
	for _, tt := range []struct {
		name   string
		st     pidStat
		locked bool
		want   string
	}{
		{"tty init in its foreground", pidStat{state: "S", session: 42, pgrp: 42, tpgid: 42, threads: 1}, false, "Ss+"},
		{"init without a tty", pidStat{state: "S", session: 42, pgrp: 42, tpgid: -1, threads: 1}, false, "Ss"},
		{"child in the background", pidStat{state: "R", session: 7, pgrp: 50, tpgid: 42, threads: 1}, false, "R"},
		{"threaded daemon", pidStat{state: "S", session: 42, pgrp: 42, tpgid: -1, threads: 4}, false, "Ssl"},
		{"niced", pidStat{state: "S", session: 1, pgrp: 9, tpgid: -1, nice: 5, threads: 1}, false, "SN"},
		{"high priority, locked", pidStat{state: "S", session: 42, pgrp: 42, tpgid: -1, nice: -5, threads: 2}, true, "S<Lsl"},
		{"zombie", pidStat{state: "Z", session: 1, pgrp: 1, tpgid: -1, threads: 1}, false, "Z"},
	} {
		if got := bsdStat(42, tt.st, tt.locked); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
