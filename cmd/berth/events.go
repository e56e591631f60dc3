package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"berth/engine/events"
)

func (a *app) eventsCommand() *cobra.Command {
	var since, until, format string
	var filters []string
	cmd := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Get real time events from the engine",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := events.ParseFilters(filters)
			if err != nil {
				return err
			}
			now := time.Now()
			if since != "" {
				if f.Since, err = events.ParseTime(since, now); err != nil {
					return fmt.Errorf("--since: %w", err)
				}
			}
			if until != "" {
				if f.Until, err = events.ParseTime(until, now); err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			evs, errs := e.Subscribe(cmd.Context(), f)
			for ev := range evs {
				if err := a.printEvent(ev, format); err != nil {
					return err
				}
			}
			return <-errs
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "show events created since timestamp or relative (e.g. 1h)")
	cmd.Flags().StringVar(&until, "until", "", "stream events until this timestamp")
	cmd.Flags().StringVar(&format, "format", "", "format the output using a Go template or 'json'")
	stringArrayVarP(cmd.Flags(), &filters, "filter", "f", "filter output (container=, image=, event=, type=, label=)")
	return cmd
}

// printEvent prints an event as docker events does:
// 2026-11-23T04:42:07.123456789Z container start 1f2e… (image=busybox, name=web)
// A --format template (or "json") sees Docker's message shape.
func (a *app) printEvent(ev events.Event, format string) error {
	if format != "" {
		return printFormatted(a.stdout, format, nil, []any{ev.Message()})
	}
	attrs := ""
	for i, k := range sortedKeys(ev.Attributes) {
		if i > 0 {
			attrs += ", "
		}
		attrs += k + "=" + ev.Attributes[k]
	}
	fmt.Fprintf(a.stdout, "%s %s %s %s (%s)\n", ev.Time.Format(time.RFC3339Nano), ev.Type, ev.Action, ev.ID, attrs)
	return nil
}
