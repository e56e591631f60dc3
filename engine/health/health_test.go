package health

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMerge(t *testing.T) {
	img := &Config{Test: []string{"CMD", "true"}, Interval: time.Second, Timeout: 2 * time.Second,
		StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 5}
	tests := []struct {
		name       string
		user, want *Config
		image      *Config
	}{
		{"nothing", nil, nil, nil},
		{"image only", nil, img, img},
		{"user only", &Config{Test: []string{"CMD-SHELL", "x"}}, &Config{Test: []string{"CMD-SHELL", "x"}}, nil},
		{"user none disables", &Config{Test: []string{"NONE"}}, &Config{Test: []string{"NONE"}, Interval: time.Second,
			Timeout: 2 * time.Second, StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 5}, img},
		{"fields one by one", &Config{Retries: 1, Timeout: time.Minute}, &Config{Test: []string{"CMD", "true"}, Interval: time.Second,
			Timeout: time.Minute, StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 1}, img},
		{"user test kept", &Config{Test: []string{"CMD-SHELL", "y"}, Interval: time.Hour}, &Config{Test: []string{"CMD-SHELL", "y"},
			Interval: time.Hour, Timeout: 2 * time.Second, StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 5}, img},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Merge(tt.user, tt.image); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Merge = %+v, want %+v", got, tt.want)
			}
		})
	}
	got := Merge(nil, img)
	got.Test[1] = "changed"
	if img.Test[1] != "true" {
		t.Error("Merge shares the image's Test")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		c    *Config
		want string
	}{
		{nil, ""},
		{&Config{Test: []string{"CMD-SHELL", "x"}, Interval: time.Millisecond, Timeout: time.Second, Retries: 0}, ""},
		{&Config{Interval: time.Microsecond}, "Interval in Healthcheck cannot be less than 1ms"},
		{&Config{Timeout: 5}, "Timeout in Healthcheck cannot be less than 1ms"},
		{&Config{StartPeriod: time.Nanosecond}, "StartPeriod in Healthcheck cannot be less than 1ms"},
		{&Config{StartInterval: time.Nanosecond}, "StartInterval in Healthcheck cannot be less than 1ms"},
		{&Config{Retries: -1}, "Retries in Healthcheck cannot be negative"},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && err.Error() != tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.c, err, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		c     *Config
		shell []string
		want  *Check
	}{
		{"nil", nil, nil, nil},
		{"inherit", &Config{}, nil, nil},
		{"none", &Config{Test: []string{"NONE"}}, nil, nil},
		{"unknown type", &Config{Test: []string{"HTTP", "x"}}, nil, nil},
		{"cmd without command", &Config{Test: []string{"CMD"}}, nil, nil},
		{"cmd defaults", &Config{Test: []string{"CMD", "wget", "-q", "x"}}, nil,
			&Check{Args: []string{"wget", "-q", "x"}, Interval: DefaultInterval, Timeout: DefaultTimeout,
				StartInterval: DefaultStartInterval, Retries: DefaultRetries}},
		{"shell", &Config{Test: []string{"CMD-SHELL", "exit 1"}, Interval: time.Second, Retries: 7, StartPeriod: time.Minute}, nil,
			&Check{Args: []string{"/bin/sh", "-c", "exit 1"}, Interval: time.Second, Timeout: DefaultTimeout,
				StartPeriod: time.Minute, StartInterval: DefaultStartInterval, Retries: 7}},
		{"image shell", &Config{Test: []string{"CMD-SHELL", "exit 1"}}, []string{"/bin/bash", "-ec"},
			&Check{Args: []string{"/bin/bash", "-ec", "exit 1"}, Interval: DefaultInterval, Timeout: DefaultTimeout,
				StartInterval: DefaultStartInterval, Retries: DefaultRetries}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Check(tt.shell); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRecord(t *testing.T) {
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &Check{Retries: 2, StartPeriod: 10 * time.Second}
	at := func(sec int, code int) Result {
		return Result{Start: started.Add(time.Duration(sec) * time.Second), ExitCode: code}
	}
	steps := []struct {
		r       Result
		status  string
		streak  int
		changed bool
	}{
		{at(1, 1), Starting, 0, false},  // in the start period: not counted
		{at(2, 1), Starting, 0, false},  // still not
		{at(11, 1), Starting, 1, false}, // after it: counted
		{at(12, 0), Healthy, 0, true},
		{at(13, 1), Healthy, 1, false},
		{at(14, -1), Unhealthy, 2, true}, // a timeout is a failure too
		{at(15, 1), Unhealthy, 3, false},
		{at(16, 0), Healthy, 0, true},
	}
	s := &State{}
	s.Reset()
	for i, st := range steps {
		changed := s.Record(st.r, c, started)
		if s.Status != st.status || s.FailingStreak != st.streak || changed != st.changed {
			t.Fatalf("step %d: %s streak %d changed %v, want %s %d %v", i, s.Status, s.FailingStreak, changed, st.status, st.streak, st.changed)
		}
		if len(s.Log) != min(i+1, MaxLog) || s.Log[len(s.Log)-1].Start != st.r.Start {
			t.Fatalf("step %d: log %d entries", i, len(s.Log))
		}
	}
	// A failure within the start period counts once the container was healthy.
	s = &State{}
	s.Reset()
	s.Record(at(1, 0), c, started)
	s.Record(at(2, 1), c, started)
	if s.FailingStreak != 1 {
		t.Errorf("failure after healthy in start period: streak %d", s.FailingStreak)
	}
	// A restart resets the status and the streak, not the log.
	s.Reset()
	if s.Status != Starting || s.FailingStreak != 0 || len(s.Log) != 2 {
		t.Errorf("after Reset: %+v", s)
	}
}

func TestNext(t *testing.T) {
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &Check{Interval: 30 * time.Second, StartInterval: 5 * time.Second, StartPeriod: time.Minute}
	tests := []struct {
		elapsed time.Duration
		status  string
		want    time.Duration
	}{
		{0, Starting, 5 * time.Second},
		{10 * time.Second, Healthy, 30 * time.Second},
		{40 * time.Second, Starting, 5 * time.Second}, // the start interval to the end of the start period
		{40 * time.Second, Unhealthy, 30 * time.Second},
		{time.Minute, Starting, 30 * time.Second},
		{2 * time.Minute, Unhealthy, 30 * time.Second},
	}
	for _, tt := range tests {
		if got := Next(c, tt.status, started, started.Add(tt.elapsed)); got != tt.want {
			t.Errorf("Next(%v, %s) = %v, want %v", tt.elapsed, tt.status, got, tt.want)
		}
	}
	if got := Next(&Check{Interval: time.Second, StartInterval: 5 * time.Second}, Starting, started, started); got != time.Second {
		t.Errorf("no start period: %v", got)
	}
}

func TestOutputTruncates(t *testing.T) {
	var o Output
	o.Write([]byte("short"))
	if o.String() != "short" {
		t.Errorf("got %q", o.String())
	}
	o.Write([]byte(strings.Repeat("x", MaxOutput)))
	o.Write([]byte("more"))
	got := o.String()
	if len(got) != MaxOutput+3 || !strings.HasSuffix(got, "x...") || !strings.HasPrefix(got, "shortxx") {
		t.Errorf("truncated output: %d bytes, ends %q", len(got), got[len(got)-8:])
	}
}

func TestSummaryAndFile(t *testing.T) {
	for st, want := range map[string]string{Starting: "health: starting", Healthy: "healthy", Unhealthy: "unhealthy"} {
		if got := (&State{Status: st}).Summary(); got != want {
			t.Errorf("Summary(%s) = %q", st, got)
		}
	}
	p := filepath.Join(t.TempDir(), FileName)
	if s, err := Read(p); s != nil || err != nil {
		t.Fatalf("missing file: %v %v", s, err)
	}
	in := &State{Status: Healthy, Log: []*Result{{ExitCode: 0, Output: "ok\n", Start: time.Unix(1, 0).UTC(), End: time.Unix(2, 0).UTC()}}}
	if err := Write(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(p)
	if err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("round trip: %+v %v", out, err)
	}
	if m, _ := filepath.Glob(p + ".*"); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
