package main

import "github.com/spf13/cobra"

// runTUI opens the terminal UI (berth with no verb). Until the TUI lands it
// prints the help.
func (a *app) runTUI(cmd *cobra.Command) error {
	return cmd.Help()
}
