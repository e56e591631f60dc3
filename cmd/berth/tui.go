package main

import (
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/api"
	"berth/tui"
)

// runTUI opens the terminal UI (berth with no verb) on the engine. Quitting
// leaves the containers running.
func (a *app) runTUI(cmd *cobra.Command) error {
	if a.inUI {
		return invalid("berth with no command opens the UI, which is open already")
	}
	eng, err := a.engine()
	if err != nil {
		return err
	}
	opts := tui.Options{NoColor: os.Getenv("NO_COLOR") != "", CLI: a.inProcess(eng)}
	return tui.Run(cmd.Context(), eng, opts)
}

// inProcess runs the verbs typed in the UI after `:` in this process, on
// the UI's engine (a --root given there is ignored: the UI's root is used).
func (a *app) inProcess(eng api.Engine) tui.CLI {
	return func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		sub := &app{stdin: stdin, stdout: stdout, stderr: stderr, rootDir: a.rootDir, api: eng, inUI: true}
		sub.eng, _ = eng.(*engine.Engine)
		return sub.execute(ctx, args) // sub shares eng: it is not closed here
	}
}
