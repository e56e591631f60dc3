package runner

import (
	"strconv"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// A process's libcontainer init logs at this process's level (as runc
// passes it), so that nsexec does not send its debug lines to be dropped.
func TestNewProcessPassesTheLogLevel(t *testing.T) {
	old := logrus.GetLevel()
	t.Cleanup(func() { logrus.SetLevel(old) })
	for _, lvl := range []logrus.Level{logrus.WarnLevel, logrus.DebugLevel} {
		logrus.SetLevel(lvl)
		p, err := NewProcess(&specs.Process{Args: []string{"true"}}, true)
		if err != nil {
			t.Fatal(err)
		}
		if want := strconv.Itoa(int(lvl)); p.LogLevel != want {
			t.Errorf("LogLevel at %v: %q, want %q", lvl, p.LogLevel, want)
		}
	}
}
