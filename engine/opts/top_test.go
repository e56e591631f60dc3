package opts

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
)

func headers(cols []psColumn) string {
	hs := make([]string, len(cols))
	for i, c := range cols {
		hs[i] = c.header
	}
	return strings.Join(hs, " ")
}

func TestParsePSOptions(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string // headers, or the error text
	}{
		{"", "UID PID PPID C STIME TTY TIME CMD"},
		{"-ef", "UID PID PPID C STIME TTY TIME CMD"},
		{"-e", "PID TTY TIME CMD"},
		{"-A", "PID TTY TIME CMD"},
		{"aux", "USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND"},
		{"ax", "PID TTY STAT TIME COMMAND"},
		{"-o pid,comm", "PID COMMAND"},
		{"-opid,user", "PID USER"},
		{"-eo pid,ppid,pcpu,rss,args", "PID PPID %CPU RSS COMMAND"},
		{"o pid=P,state", "P S"},
		{"-o pid -o user", "PID USER"},
		{"-l", `unsupported ps option "l"`},
		{"-o", "needs a column list"},
		{"-o pid,bogus", `unsupported ps column "bogus"`},
		{"axf", `unsupported ps option "f"`},
	} {
		cols, err := ParsePSOptions(strings.Fields(tc.args))
		got := headers(cols)
		if err != nil {
			got = err.Error()
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("%q: error not an invalid argument: %v", tc.args, err)
			}
		}
		if !strings.Contains(got, tc.want) || (err == nil && got != tc.want) {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestTopColumnValues(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.Local)
	p := engine.Process{PID: 4242, NSPID: 1, PPID: 4200, User: "nobody", UID: 65534, CPUPercent: 12.34,
		CPUTime: 3*time.Hour + 2*time.Minute + 1*time.Second, RSS: 2 << 20, VSZ: 8 << 20,
		Started: now.Add(-26 * time.Hour), Command: "/bin/sleep 1000", State: "S", Stat: "Ss+"}
	env := topEnv{now: now, memTotal: 16 << 20}
	cols, err := ParsePSOptions(strings.Fields("-o pid,nspid,ppid,user,uid,comm,args,c,%cpu,%mem,vsz,rss,s,stat,time,etime,stime,tty"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cols {
		got = append(got, c.value(p, env))
	}
	want := []string{"4242", "1", "4200", "nobody", "65534", "sleep", "/bin/sleep 1000", "12", "12.3", "12.5",
		"8192", "2048", "S", "Ss+", "03:02:01", "1-02:00:00", "Nov22", "?"}
	if !slices.Equal(got, want) {
		t.Errorf("values\n got  %q\n want %q", got, want)
	}
	if s := bsdTime(p.CPUTime); s != "182:01" {
		t.Errorf("bsd time %q", s)
	}
	if s := comm("[kworker]"); s != "kworker" {
		t.Errorf("comm of a kernel-style name: %q", s)
	}
}

// FuzzParsePSOptions: any option string parses to columns with headers or
// fails with an invalid-argument error; it never panics.
func FuzzParsePSOptions(f *testing.F) {
	for _, s := range []string{"", "-ef", "aux", "-o pid,comm", "-eo pid=X,user", "o", "-o", "-", "-l", "x o pid,,", "-o =", "-o pid=a=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cols, err := ParsePSOptions(strings.Split(s, " "))
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if len(cols) == 0 {
			t.Fatalf("%q: no columns", s)
		}
		for _, c := range cols {
			_ = c.value(engine.Process{}, topEnv{})
		}
	})
}
