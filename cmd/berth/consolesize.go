package main

import (
	"os"

	"golang.org/x/term"

	"berth/engine"
)

// withConsoleSize gives a TTY container the size of the terminal berth
// writes to as its first size, as docker run -t does, so that its program
// starts at the right size instead of 0x0 until the first resize.
func (a *app) withConsoleSize(o *engine.CreateOptions) {
	f, ok := a.stdout.(*os.File)
	if !ok || !o.Config.Tty || o.HostConfig.ConsoleSize != [2]uint{} {
		return
	}
	if w, h, err := term.GetSize(int(f.Fd())); err == nil && w > 0 && h > 0 {
		o.HostConfig.ConsoleSize = [2]uint{uint(h), uint(w)}
	}
}
