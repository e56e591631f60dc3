package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"berth/engine"
)

// systemPrune is docker system prune: stopped containers, unused networks,
// dangling (with -a every unused) images and, with --volumes, unused
// anonymous volumes, narrowed by --filter until=/label=/label!=.
func (a *app) systemPrune() *cobra.Command {
	var force bool
	var o engine.SystemPruneOptions
	var filters []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused data",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Filters, err = engine.ParsePruneFilters(filters, time.Now()); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			if !force && !confirm(a, pruneWarning(o, filters)) {
				return nil
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			rep, err := e.SystemPrune(cmd.Context(), o)
			if rep != nil {
				printPruneReport(a.stdout, rep)
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	fl.BoolVarP(&o.All, "all", "a", false, "remove all unused images, not just dangling ones")
	fl.BoolVar(&o.Volumes, "volumes", false, "prune anonymous volumes")
	stringArrayVarP(fl, &filters, "filter", "", "provide filter values (until=24h, label=KEY[=VALUE], label!=KEY[=VALUE])")
	return cmd
}

// pruneWarning is docker system prune's prompt.
func pruneWarning(o engine.SystemPruneOptions, filters []string) string {
	var b strings.Builder
	b.WriteString("WARNING! This will remove:\n")
	items := []string{"all stopped containers", "all networks not used by at least one container"}
	if o.Volumes {
		items = append(items, "all anonymous volumes not used by at least one container")
	}
	if o.All {
		items = append(items, "all images without at least one container associated to them")
	} else {
		items = append(items, "all dangling images")
	}
	for _, it := range items {
		b.WriteString("  - " + it + "\n")
	}
	if len(filters) > 0 {
		fs := append([]string(nil), filters...)
		sort.Strings(fs)
		b.WriteString("\n  Items to be pruned will be filtered with:\n")
		for _, f := range fs {
			b.WriteString("  - " + f + "\n")
		}
	}
	b.WriteString("\nAre you sure you want to continue? [y/N] ")
	return b.String()
}

// printPruneReport lists what was removed, section by section, then the
// total, as docker system prune does.
func printPruneReport(w io.Writer, rep *engine.SystemPruneReport) {
	section := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		fmt.Fprintln(w, title)
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w)
	}
	section("Deleted Containers:", rep.ContainersDeleted)
	section("Deleted Networks:", rep.NetworksDeleted)
	section("Deleted Volumes:", rep.VolumesDeleted)
	var imgs []string
	for _, r := range rep.ImagesDeleted {
		if r.Untagged != "" {
			imgs = append(imgs, "untagged: "+r.Untagged)
		} else if r.Deleted != "" {
			imgs = append(imgs, "deleted: "+r.Deleted)
		}
	}
	section("Deleted Images:", imgs)
	fmt.Fprintln(w, "Total reclaimed space:", units.HumanSize(float64(rep.SpaceReclaimed)))
}
