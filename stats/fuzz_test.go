package stats

import (
	"os"
	"testing"
)

// seedFile adds a file of this host or of testdata as a fuzz seed when present.
func seedFile(f *testing.F, path string) {
	if data, err := os.ReadFile(path); err == nil {
		f.Add(data)
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("cpu  100 0 50 1000 5 0 2 1 0 0\ncpu0 50 0 25 500 2 0 1 0 0 0\nbtime 1700000000\n"))
	f.Add([]byte("cpu 1 2 3\n"))
	f.Add([]byte("btime x\ncpu 1 2 3 4 5 6 7\n"))
	seedFile(f, "testdata/proc/stat")
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := parseProcStat(data)
		if err != nil && ps != (procStat{}) {
			t.Fatalf("error %v with non-zero result %+v", err, ps)
		}
	})
}

func FuzzParseMemTotal(f *testing.F) {
	f.Add([]byte("MemTotal:       24684084 kB\n"))
	f.Add([]byte("MemTotal: 1\n"))
	seedFile(f, "testdata/proc/meminfo")
	f.Fuzz(func(t *testing.T, data []byte) {
		if v, err := parseMemTotal(data); err != nil && v != 0 {
			t.Fatalf("error %v with value %d", err, v)
		}
	})
}

func FuzzParseBlkioV1(f *testing.F) {
	f.Add([]byte("8:0 Read 100\n8:0 Write 20\n8:0 Total 120\nTotal 120\n"))
	f.Add([]byte("Total 0\n"))
	f.Add([]byte("8:0 Read\n"))
	seedFile(f, "testdata/cgroup1/blkio/berth/rec1/blkio.throttle.io_service_bytes_recursive")
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, w, err := parseBlkioV1(data); err != nil && (r != 0 || w != 0) {
			t.Fatalf("error %v with values %d %d", err, r, w)
		}
	})
}

func FuzzParsePIDStat(f *testing.F) {
	f.Add([]byte("42 (a) b (c) S 7 42 42 0 -1 4194304 132 0 0 0 150 50 0 0 20 0 1 0 41299 2990080 392 0\n"))
	f.Add([]byte("42 (x) S 7\n"))
	f.Add([]byte(")("))
	seedFile(f, "testdata/proc/1201/stat")
	seedFile(f, "/proc/self/stat")
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parsePIDStat(data)
		if err != nil && st != (pidStat{}) {
			t.Fatalf("error %v with non-zero result %+v", err, st)
		}
	})
}

func FuzzParsePIDStatus(f *testing.F) {
	f.Add([]byte("Name:\tsh\nUid:\t1000\t33\t33\t33\nNSpid:\t4242\t1\n"))
	f.Add([]byte("Uid:\n"))
	f.Add([]byte("NSpid:\t\nUid:\t0\t0"))
	seedFile(f, "testdata/proc/1201/status")
	seedFile(f, "/proc/self/status")
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parsePIDStatus(data)
		if err != nil && st != (pidStatus{}) {
			t.Fatalf("error %v with non-zero result %+v", err, st)
		}
	})
}

func FuzzParsePIDList(f *testing.F) {
	f.Add([]byte("1\n20\n300\n"))
	f.Add([]byte("-1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pids, err := parsePIDList(data)
		for _, p := range pids {
			if p <= 0 {
				t.Fatalf("non-positive pid %d", p)
			}
		}
		if err != nil && pids != nil {
			t.Fatalf("error %v with pids %v", err, pids)
		}
	})
}

func FuzzParsePasswd(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/sh\n"))
	f.Add([]byte(":::\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for uid, name := range parsePasswd(data) {
			if name == "" {
				t.Fatalf("empty name for uid %d", uid)
			}
		}
	})
}

func FuzzParseCgroupValue(f *testing.F) {
	f.Add([]byte("700416\n"), "")
	f.Add([]byte("max\n"), "")
	f.Add([]byte("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), "oom_kill")
	if data, err := os.ReadFile("testdata/cgroup1/memory/berth/rec1/memory.stat"); err == nil {
		f.Add(data, "total_inactive_file")
	}
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		if v, err := parseCgroupValue(data, key); err != nil && v != 0 {
			t.Fatalf("error %v with value %d", err, v)
		}
	})
}
