package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"berth/engine"
)

func (a *app) systemCommands() *cobra.Command {
	g := &cobra.Command{Use: "system", Short: "Manage berth itself"}
	g.AddCommand(a.systemReset())
	return g
}

// systemReset removes every container and network of the data root, with
// their bridges and nftables rules (as podman system reset does for its own
// state); images stay.
func (a *app) systemReset() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "reset [-f]",
		Short: "Remove every container and network of this data root (images stay)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force && !confirm(a, "WARNING! This removes every container (running ones too) and network of "+a.rootDir+".\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			return reset(cmd.Context(), e, a)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	return cmd
}

func reset(ctx context.Context, e *engine.Engine, a *app) error {
	cs, err := e.List(ctx, true)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true, Volumes: true}); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, "Deleted container:", c.ID)
	}
	if err := e.Networks().RemoveAll(ctx); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "Deleted all networks")
	return nil
}
