// Command berth is a terminal-UI container manager over its own in-process
// container engine. With a verb it is a docker-style CLI (berth run, berth ps …)
// over the same engine. When libcontainer re-executes it as "init" (for exec)
// it becomes that process's init.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	_ "berth/cmd/internal/prefault/always"
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

// codedError is an error printed as any other but exiting with its own code
// rather than the one its class gives (a failed build exits 1, as docker
// build does; docker's 125 is for its own flag errors).
type codedError struct {
	err  error
	code int
}

// Error is the wrapped error's text.
func (e codedError) Error() string { return e.err.Error() }

// Unwrap gives the wrapped error, so its class still shows.
func (e codedError) Unwrap() error { return e.err }

// buildFailed marks err as a failure of the build itself: exit code 1.
func buildFailed(err error) error {
	if err == nil {
		return nil
	}
	return codedError{err: err, code: 1}
}

func run(args []string) int {
	a := &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	code := a.execute(context.Background(), args)
	a.close()
	return code
}

// execute runs one berth command line on a's streams and returns its exit
// code, printing an error as one plain line on a's stderr.
func (a *app) execute(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var coded codedError
	isCoded := errors.As(err, &coded)
	err = plainError(err)
	fmt.Fprintln(a.stderr, "berth:", err)
	if isCoded {
		return coded.code
	}
	return exitCode(err)
}

// flagError turns pflag's parse errors into one plain sentence: pflag's own
// text carries the parser's message ("strconv.ParseInt: parsing "x": invalid
// syntax"), which says nothing a user wrote.
func flagError(_ *cobra.Command, err error) error {
	var iv *pflag.InvalidValueError
	if !errors.As(err, &iv) {
		return errdefs.ErrInvalidArgument.WithMessage(err.Error())
	}
	f := iv.GetFlag()
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid --%s %q: %s", f.Name, iv.GetValue(), flagWant(f, iv.Unwrap())))
}

// flagWant says what a flag of f's type takes, for a value it refused.
func flagWant(f *pflag.Flag, cause error) string {
	var ne *strconv.NumError
	if errors.As(cause, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
		return "beyond the range of the flag"
	}
	switch t := f.Value.Type(); {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "not an integer"
	case strings.HasPrefix(t, "float"):
		return "not a number"
	case t == "duration":
		return "not a duration such as 10s or 1m30s"
	case t == "bool":
		return "want true or false"
	case cause != nil:
		return cause.Error()
	}
	return "invalid value"
}

// exitCode maps berth's own errors to docker's exit codes.
func exitCode(err error) int {
	switch {
	case errors.Is(err, engine.ErrExecNotStarted): // before the classes it also is
		return 126
	case errors.Is(err, engine.ErrCommandNotFound):
		return 127
	case errors.Is(err, engine.ErrCommandNotExecutable):
		return 126
	case errdefs.IsInvalidArgument(err), errdefs.IsNotFound(err), errdefs.IsConflict(err), errdefs.IsAlreadyExists(err):
		return 125
	}
	return 125
}
