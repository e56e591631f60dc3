package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"berth/engine"
)

// snapshotCommands are the verbs that read a container's filesystem changes:
// commit, diff and export.
func (a *app) snapshotCommands() []*cobra.Command {
	return []*cobra.Command{a.commitCommand(), a.diffCommand(), a.exportCommand()}
}

func (a *app) commitCommand() *cobra.Command {
	var o engine.CommitOptions
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				o.Reference = args[1]
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			img, err := e.Commit(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, img.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Author, "author", "a", "", `author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	stringArrayVarP(f, &o.Changes, "change", "c", "apply Dockerfile instruction to the created image")
	f.StringVarP(&o.Comment, "message", "m", "", "commit message")
	f.BoolVarP(&o.Pause, "pause", "p", true, "pause container during commit")
	return cmd
}

func (a *app) diffCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			changes, err := e.Diff(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			for _, ch := range changes {
				fmt.Fprintf(a.stdout, "%s %s\n", ch.Kind, ch.Path)
			}
			return nil
		},
	}
}

func (a *app) exportCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				if isTerminal(a.stdout) {
					return invalid("cowardly refusing to save to a terminal. Use the -o flag or redirect")
				}
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			if output == "" {
				return e.Export(cmd.Context(), args[0], a.stdout)
			}
			return writeFileVia(output, func(w io.Writer) error { return e.Export(cmd.Context(), args[0], w) })
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to a file, instead of STDOUT")
	return cmd
}

// writeFileVia writes path through a temp file beside it, renamed into place
// once write succeeds: a failed write leaves path as it was.
func writeFileVia(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return invalid("open %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
