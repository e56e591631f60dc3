package main

import (
	"path/filepath"
	"testing"
)

// TestRunTTYStartsAtTheTerminalSize: a program run with -it sees the
// terminal's size from its first instruction (as docker run sends it at
// create), not 0x0 until the first resize.
func TestRunTTYStartsAtTheTerminalSize(t *testing.T) {
	c := newCLI(t)
	berth := filepath.Join(binDir, "berth") + " --root " + c.root
	s := newTmux(t, 100, 30, "sh -c '"+berth+" run -it --rm busybox stty size; sleep 60'")
	s.waitFor("30 100")
}
