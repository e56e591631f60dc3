package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/api"
	"berth/engine/inspect"
	"berth/engine/opts"
	"berth/volumes"
)

func (a *app) volumeCommands() *cobra.Command {
	g := &cobra.Command{Use: "volume", Short: "Manage volumes"}
	g.AddCommand(a.volumeCreate(), a.volumeLs(), a.volumeInspect(), a.volumeRm(), a.volumePrune())
	return g
}

func (a *app) volumeCreate() *cobra.Command {
	var labels []string
	var driver string
	var options []string
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			o := driverOptions(options)
			if err := engine.CheckVolumeDriver(name, driver, o); err != nil {
				return err
			}
			l, err := opts.ParseLabels(labels)
			if err != nil {
				return err
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			v, err := e.CreateVolume(cmd.Context(), engine.VolumeCreateOptions{Name: name, Driver: driver, Labels: l, Options: o})
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, v.Name)
			return nil
		},
	}
	stringArrayVarP(cmd.Flags(), &labels, "label", "l", "set metadata (key=value)")
	cmd.Flags().StringVarP(&driver, "driver", "d", "local", "volume driver (local)")
	stringArrayVarP(cmd.Flags(), &options, "opt", "o", "set driver specific options (type=, device=, o=: a filesystem mounted on the volume)")
	return cmd
}

// driverOptions is the -o key=value list as a map, as the docker CLI reads
// it (a key without = has an empty value; a later one wins).
func driverOptions(list []string) map[string]string {
	m := make(map[string]string, len(list))
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func (a *app) volumeLs() *cobra.Command {
	var quiet bool
	var format string
	var filters []string
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			f := map[string][]string{}
			for _, kv := range filters {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return invalid("bad format of filter %q (expected name=value)", kv)
				}
				f[k] = append(f[k], v)
			}
			vs, err := e.ListVolumes(cmd.Context(), f)
			if err != nil {
				return err
			}
			type row struct{ Name, Driver, Mountpoint, Labels, Scope string }
			var items []any
			for _, v := range vs {
				var ls []string
				for k, val := range v.Labels {
					ls = append(ls, k+"="+val)
				}
				sort.Strings(ls)
				items = append(items, row{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Labels: strings.Join(ls, ","), Scope: "local"})
			}
			switch {
			case quiet:
				format = "{{.Name}}"
			case format == "":
				format = "table {{.Driver}}\t{{.Name}}"
			}
			return printFormatted(a.stdout, format, map[string]string{"Name": "VOLUME NAME", "Driver": "DRIVER",
				"Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Scope": "SCOPE"}, items)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "only display volume names")
	cmd.Flags().StringVar(&format, "format", "", "format output using a Go template or 'json'")
	stringArrayVarP(cmd.Flags(), &filters, "filter", "f", "filter output (dangling=true|false, name=, label=)")
	return cmd
}

func (a *app) volumeInspect() *cobra.Command {
	return a.objectInspect("volume", func(cmd *cobra.Command, e api.Engine, name string) (any, error) {
		v, err := e.InspectVolume(cmd.Context(), name)
		if err != nil {
			return nil, err
		}
		return inspect.VolumeOf(*v), nil
	})
}

func (a *app) volumeRm() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachRef(a, args, func(name string) error { return e.RemoveVolume(cmd.Context(), name, force) })
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not fail on volumes that do not exist")
	return cmd
}

func (a *app) volumePrune() *cobra.Command {
	var force, all bool
	var flt []string
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused volumes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			filters, err := engine.ParseFilterFlags(flt)
			if err != nil {
				return err
			}
			what := "all anonymous local volumes not used by at least one container"
			if all {
				what = "all local volumes not used by at least one container"
			}
			if !force && !confirm(a, "WARNING! This will remove "+what+".\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			if all {
				filters["all"] = append(filters["all"], "true")
			}
			names, n, err := e.PruneVolumes(cmd.Context(), filters)
			if len(names) > 0 {
				fmt.Fprintln(a.stdout, "Deleted Volumes:")
				for _, name := range names {
					fmt.Fprintln(a.stdout, name)
				}
				fmt.Fprintln(a.stdout)
			}
			fmt.Fprintf(a.stdout, "Total reclaimed space: %s\n", humanSize(int64(n)))
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove named volumes too, not just anonymous ones")
	stringArrayVarP(cmd.Flags(), &flt, "filter", "", "only volumes that match (label=K[=V], label!=K[=V], all=true)")
	return cmd
}

// cpCommand copies between a container and the host, with docker cp's archive
// semantics: SRC_PATH or DEST_PATH "-" streams a tar.
func (a *app) cpCommand() *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "cp CONTAINER:SRC_PATH DEST_PATH|-  /  cp SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			src, dst := args[0], args[1]
			sc, sp, fromC := splitCpArg(src)
			dc, dp, toC := splitCpArg(dst)
			switch {
			case fromC && !toC:
				if dst == "-" {
					_, err := e.CopyFrom(cmd.Context(), sc, sp, follow, a.stdout)
					return err
				}
				if _, err := e.Inspect(cmd.Context(), sc); err != nil {
					return err // before the archive pipe, which would wrap it
				}
				pr, pw := io.Pipe()
				go func() { _, err := e.CopyFrom(cmd.Context(), sc, sp, follow, pw); pw.CloseWithError(err) }()
				return untarToHost(pr, dst)
			case toC && !fromC:
				if src == "-" {
					return e.CopyTo(cmd.Context(), dc, dp, a.stdin)
				}
				pr, pw := io.Pipe()
				go func() { pw.CloseWithError(tarFromHost(src, pw)) }()
				return e.CopyTo(cmd.Context(), dc, dp, pr)
			}
			return invalid("cp: exactly one of the paths must be CONTAINER:PATH")
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow-link", "L", false, "always follow a symbol link in SRC_PATH")
	return cmd
}

// splitCpArg splits "container:path"; a path with a slash before any colon is local.
func splitCpArg(s string) (container, p string, ok bool) {
	if s == "-" || strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return "", s, false
	}
	c, p, ok := strings.Cut(s, ":")
	if !ok || strings.Contains(c, "/") {
		return "", s, false
	}
	return c, p, true
}

// untarToHost extracts a cp archive at a host path (docker cp semantics: into
// an existing directory, or as the named path).
func untarToHost(r io.Reader, dst string) error {
	abs, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return volumes.ExtractInto("/", abs, r)
	}
	return volumes.ExtractInto("/", filepath.Dir(abs), volumes.RenameTop(r, filepath.Base(abs)))
}

// tarFromHost writes a cp archive of a host path.
func tarFromHost(src string, w io.Writer) error {
	abs, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(abs); err != nil {
		return invalid("cp: %v", err)
	}
	_, err = volumes.ArchivePath("/", abs, w)
	return err
}
