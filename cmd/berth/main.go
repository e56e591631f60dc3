// Command berth is a terminal-UI container manager over its own in-process
// container engine. With a verb it is a docker-style CLI (berth run, berth ps …)
// over the same engine. When libcontainer re-executes it as "init" (for exec)
// it becomes that process's init.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/engine/runner"
)

func main() {
	if runner.IsInit() {
		runner.Init()
	}
	runner.QuietLogs(io.Discard)
	os.Exit(run(os.Args[1:]))
}

// exitError carries an exit code chosen by a verb (a container's exit code).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func run(args []string) int {
	a := &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.Execute()
	a.close()
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "berth:", err)
	return exitCode(err)
}

// exitCode maps berth's own errors to docker's exit codes.
func exitCode(err error) int {
	switch {
	case errors.Is(err, engine.ErrCommandNotFound):
		return 127
	case errors.Is(err, engine.ErrCommandNotExecutable):
		return 126
	case errdefs.IsInvalidArgument(err), errdefs.IsNotFound(err), errdefs.IsConflict(err), errdefs.IsAlreadyExists(err):
		return 125
	}
	return 125
}
