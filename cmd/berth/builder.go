package main

import (
	"fmt"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"berth/engine"
)

// builderCommands is `berth builder`: the build cache's verbs.
func (a *app) builderCommands() *cobra.Command {
	cmd := &cobra.Command{Use: "builder", Short: "Manage builds"}
	cmd.AddCommand(a.builderPruneCommand())
	return cmd
}

func (a *app) builderPruneCommand() *cobra.Command {
	var all, force bool
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove build cache",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			what := "all dangling build cache"
			if all {
				what = "all build cache"
			}
			if !force && !confirm(a, "WARNING! This will remove "+what+".\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			removed, reclaimed, err := e.PruneBuildCache(cmd.Context(), all)
			if len(removed) > 0 {
				fmt.Fprintln(a.stdout, "Deleted build cache objects:")
				for _, id := range removed {
					fmt.Fprintln(a.stdout, id)
				}
				fmt.Fprintln(a.stdout)
			}
			fmt.Fprintf(a.stdout, "Total reclaimed space: %s\n", humanSize(reclaimed))
			return err
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove all unused build cache, not just dangling ones")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	return cmd
}

// printBuildCacheVerbose is system df -v's build cache section.
func printBuildCacheVerbose(a *app, du *engine.DiskUsage) {
	var total int64
	var items []any
	now := time.Now()
	for _, c := range du.BuildCache {
		total += c.Size
		id := c.ID
		if len(id) > 25 {
			id = id[:25]
		}
		items = append(items, map[string]string{"ID": id, "Type": c.Type, "Size": humanSize(c.Size),
			"Created": units.HumanDuration(now.Sub(c.Created)) + " ago", "InUse": fmt.Sprint(c.InUse), "Shared": fmt.Sprint(c.Shared)})
	}
	fmt.Fprintf(a.stdout, "\nBuild cache usage: %s\n\n", humanSize(total))
	printFormatted(a.stdout, "table {{.ID}}\t{{.Type}}\t{{.Size}}\t{{.Created}}\t{{.InUse}}\t{{.Shared}}",
		map[string]string{"ID": "CACHE ID", "Type": "CACHE TYPE", "Size": "SIZE", "Created": "CREATED", "InUse": "IN USE", "Shared": "SHARED"}, items)
}
