package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// transferCommands are save, load, pull and push, offered both at the top
// level and under "berth image".
func (a *app) transferCommands() []*cobra.Command {
	return []*cobra.Command{a.saveCommand(), a.loadCommand(), a.pullCommand(), a.pushCommand()}
}

// interruptible returns a context that ends on SIGINT or SIGTERM, so that a
// transfer stops cleanly and the store removes what it had half-written.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// isTerminal reports whether a stream is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (a *app) saveCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			if output == "" && isTerminal(a.stdout) {
				return invalid("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				return e.SaveImages(ctx, a.stdout, args)
			}
			return writeFileAtomic(output, func(w io.Writer) error { return e.SaveImages(ctx, w, args) })
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to a file, instead of STDOUT")
	return cmd
}

// writeFileAtomic writes path through a temporary file beside it, renamed into
// place only when write succeeds; a failure leaves no file behind.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return invalid("failed to save image: invalid output path: directory %q does not exist", dir)
	}
	f, err := os.CreateTemp(dir, ".berth-save-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (a *app) loadCommand() *cobra.Command {
	var input string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load images from a tar archive or STDIN (docker save and OCI layout tarballs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := interruptible(cmd.Context())
			defer cancel()
			r := a.stdin
			if input != "" && input != "-" {
				f, err := os.Open(input)
				if err != nil {
					return invalid("load: %v", err)
				}
				defer f.Close()
				r = f
			} else if isTerminal(a.stdin) {
				return invalid("requested load from stdin, but stdin is a terminal. Use the -i flag or redirect")
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			_, err = e.LoadImages(ctx, r, func(s string) { fmt.Fprintln(a.stdout, s) })
			return err
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "read from tar archive file, instead of STDIN")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress the load output (berth prints no progress bars for load)")
	return cmd
}
