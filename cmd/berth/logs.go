package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"berth/engine/events"
	"berth/engine/logfile"
)

func (a *app) logsCommand() *cobra.Command {
	var follow, timestamps bool
	var tail, since, until string
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := logfile.ReadOptions{Tail: -1, Follow: follow}
			if tail != "all" && tail != "" {
				n, err := parseTail(tail)
				if err != nil {
					return err
				}
				o.Tail = n
			}
			now := time.Now()
			var err error
			if since != "" {
				if o.Since, err = events.ParseTime(since, now); err != nil {
					return fmt.Errorf("--since: %w", err)
				}
			}
			if until != "" {
				if o.Until, err = events.ParseTime(until, now); err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			ents, errs, err := e.Logs(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			return a.printLogs(ents, errs, timestamps)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&follow, "follow", "f", false, "follow log output")
	fl.BoolVarP(&timestamps, "timestamps", "t", false, "show timestamps")
	fl.StringVarP(&tail, "tail", "n", "all", "number of lines to show from the end of the logs")
	fl.StringVar(&since, "since", "", "show logs since timestamp or relative (e.g. 42m)")
	fl.StringVar(&until, "until", "", "show logs before a timestamp or relative (e.g. 42m)")
	return cmd
}

func parseTail(s string) (int, error) {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != s {
		return 0, invalid("invalid --tail %q: want a number or \"all\"", s)
	}
	return n, nil
}

// printLogs writes entries to stdout or stderr by their stream; a corrupt
// line is reported once on stderr and skipped.
func (a *app) printLogs(ents <-chan logfile.Entry, errs <-chan error, timestamps bool) error {
	var fatal error
	for ents != nil || errs != nil {
		select {
		case ent, ok := <-ents:
			if !ok {
				ents = nil
				continue
			}
			var w io.Writer = a.stdout
			if ent.Stream == "stderr" {
				w = a.stderr
			}
			if timestamps {
				fmt.Fprint(w, ent.Time.UTC().Format("2006-01-02T15:04:05.000000000Z")+" ")
			}
			w.Write(ent.Line)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			var cle *logfile.CorruptLineError
			if errors.As(err, &cle) {
				fmt.Fprintln(a.stderr, "berth: warning:", err)
				continue
			}
			fatal = err
		}
	}
	return fatal
}
