package health

import (
	"bytes"
	"errors"
	"io/fs"
	"time"
)

// Result is one run of a check, as inspect's State.Health.Log shows it.
type Result struct {
	Start    time.Time `json:"Start"`
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

// State is a container's health, as inspect's State.Health shows it: the
// status, the number of failures in a row that counted, and the last MaxLog
// results (oldest first).
type State struct {
	Status        string    `json:"Status"`
	FailingStreak int       `json:"FailingStreak"`
	Log           []*Result `json:"Log"`
}

// Summary is the health part of docker ps's STATUS: "health: starting",
// "healthy" or "unhealthy".
func (s *State) Summary() string {
	if s.Status == Starting {
		return "health: starting"
	}
	return s.Status
}

// Reset is the health of a container that (re)starts: starting, no failure
// counted, the earlier results kept (Docker's initHealthMonitor).
func (s *State) Reset() {
	s.Status, s.FailingStreak = Starting, 0
	if s.Log == nil {
		s.Log = []*Result{}
	}
}

// Record adds a result and applies Docker's rules: success makes the
// container healthy; a failure counts unless the container is still
// starting within its start period (measured from startedAt to the start of
// the check), and retries counted failures in a row make it unhealthy. It
// reports whether the status changed.
func (s *State) Record(r Result, c *Check, startedAt time.Time) bool {
	old := s.Status
	s.Log = append(s.Log, &r)
	if len(s.Log) > MaxLog {
		s.Log = append([]*Result(nil), s.Log[len(s.Log)-MaxLog:]...)
	}
	if r.ExitCode == 0 {
		s.FailingStreak, s.Status = 0, Healthy
		return old != s.Status
	}
	if s.Status == Starting && r.Start.Sub(startedAt) < c.StartPeriod {
		return false
	}
	s.FailingStreak++
	if s.FailingStreak >= c.Retries {
		s.Status = Unhealthy
	}
	return old != s.Status
}

// Next is how long to wait before the next check, as Docker's getInterval
// computes it: the start interval while the container is starting within
// its start period, else the interval.
func Next(c *Check, status string, startedAt, now time.Time) time.Duration {
	if now.Sub(startedAt) < c.StartPeriod && status == Starting {
		return c.StartInterval
	}
	return c.Interval
}

// Output collects a check's output: the first MaxOutput bytes, the rest
// dropped and marked by "..." as Docker's limitedBuffer does.
type Output struct {
	buf       bytes.Buffer
	truncated bool
}

// Write keeps what fits; it never fails.
func (o *Output) Write(p []byte) (int, error) {
	keep := min(MaxOutput-o.buf.Len(), len(p))
	if keep > 0 {
		o.buf.Write(p[:keep])
	}
	if keep < len(p) {
		o.truncated = true
	}
	return len(p), nil
}

// String is the kept output, with "..." when some was dropped.
func (o *Output) String() string {
	if o.truncated {
		return o.buf.String() + "..."
	}
	return o.buf.String()
}

// Read loads the health state a monitor published at path; a container
// whose health was never checked has none (nil, nil).
func Read(path string) (*State, error) {
	var s State
	if err := readJSON(path, &s); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return &s, nil
}
