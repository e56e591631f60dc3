package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"berth/stats"
	"berth/tui"
)

// runTUI opens the terminal UI (berth with no verb) on the engine. Quitting
// leaves the containers running.
func (a *app) runTUI(cmd *cobra.Command) error {
	eng, err := a.engine()
	if err != nil {
		return err
	}
	opts := tui.Options{NoColor: os.Getenv("NO_COLOR") != ""}
	if r, err := stats.NewReader(); err == nil {
		opts.Sampler = stats.NewSampler(r, time.Second, 1)
	} else {
		fmt.Fprintln(a.stderr, "berth: live stats unavailable:", err)
	}
	return tui.Run(cmd.Context(), eng, opts)
}
