package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/api"
)

func (a *app) systemCommands() *cobra.Command {
	g := &cobra.Command{Use: "system", Short: "Manage berth itself"}
	g.AddCommand(a.systemReset(), a.systemDf(), a.infoCommand(), a.systemPrune(), a.systemCheck(), a.systemBoot(), a.dialStdio(), a.eventsCommand())
	return g
}

// systemReset removes every container and network of the data root, with
// their bridges and nftables rules (as podman system reset does for its own
// state); images stay.
func (a *app) systemReset() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "reset [-f]",
		Short: "Remove every container and network of this data root (images and named volumes stay)",
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

func reset(ctx context.Context, e api.Engine, a *app) error {
	cs, err := e.ListContainers(ctx, engine.ContainerListOptions{All: true})
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true, Volumes: true}); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, "Deleted container:", c.ID)
	}
	if err := e.RemoveAllNetworks(ctx); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "Deleted all networks")
	return nil
}

func (a *app) systemDf() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "df [-v]",
		Short: "Show disk usage of images, containers, volumes and build cache",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			du, err := e.DiskUsage(cmd.Context())
			if err != nil {
				return err
			}
			printDf(a, du)
			if verbose {
				printDfVerbose(a, du)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show each image, container, volume and build cache entry")
	return cmd
}

func printDf(a *app, du *engine.DiskUsage) {
	type row struct{ Type, TotalCount, Active, Size, Reclaimable string }
	line := func(kind string, u engine.UsageTotals) row {
		free := "0B"
		if u.Size > 0 {
			free = fmt.Sprintf("%s (%d%%)", humanSize(u.Reclaimable), u.Reclaimable*100/u.Size)
		}
		return row{kind, fmt.Sprint(u.Count), fmt.Sprint(u.Active), humanSize(u.Size), free}
	}
	t := du.Totals()
	items := []any{line("Images", t.Images), line("Containers", t.Containers), line("Local Volumes", t.Volumes),
		row{"Build Cache", fmt.Sprint(t.BuildCache.Count), fmt.Sprint(t.BuildCache.Active), humanSize(t.BuildCache.Size), humanSize(t.BuildCache.Reclaimable)}}
	printFormatted(a.stdout, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
		map[string]string{"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"}, items)
}

func printDfVerbose(a *app, du *engine.DiskUsage) {
	fmt.Fprintln(a.stdout, "\nImages space usage:")
	var items []any
	for _, i := range du.Images {
		items = append(items, map[string]string{"Repository": i.Repository, "ID": shortID(i.ID), "Size": humanSize(i.Size), "Containers": fmt.Sprint(i.Containers)})
	}
	printFormatted(a.stdout, "table {{.Repository}}\t{{.ID}}\t{{.Size}}\t{{.Containers}}", map[string]string{"Repository": "REPOSITORY", "ID": "IMAGE ID", "Size": "SIZE", "Containers": "CONTAINERS"}, items)
	fmt.Fprintln(a.stdout, "\nContainers space usage:")
	items = nil
	for _, c := range du.Containers {
		items = append(items, map[string]string{"ID": c.ID[:12], "Image": c.Image, "Size": humanSize(c.Size), "Status": c.Status, "Names": c.Name})
	}
	printFormatted(a.stdout, "table {{.ID}}\t{{.Image}}\t{{.Size}}\t{{.Status}}\t{{.Names}}", map[string]string{"ID": "CONTAINER ID", "Image": "IMAGE", "Size": "SIZE", "Status": "STATUS", "Names": "NAMES"}, items)
	fmt.Fprintln(a.stdout, "\nLocal Volumes space usage:")
	items = nil
	for _, v := range du.Volumes {
		items = append(items, map[string]string{"Name": v.Name, "Links": fmt.Sprint(v.Links), "Size": humanSize(v.Size)})
	}
	printFormatted(a.stdout, "table {{.Name}}\t{{.Links}}\t{{.Size}}", map[string]string{"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"}, items)
	printBuildCacheVerbose(a, du)
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
