package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"berth/engine/opts"
	"berth/stats"
)

func (a *app) topCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cols, err := opts.ParsePSOptions(args[1:])
			if err != nil {
				return err
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			ps, err := e.Top(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var memTotal uint64
			if r, err := stats.NewReader(); err == nil {
				memTotal = r.MemTotal()
			}
			titles, rows := cols.Table(ps, time.Now(), memTotal)
			w := tabwriter.NewWriter(a.stdout, 20, 1, 3, ' ', 0)
			fmt.Fprintln(w, strings.Join(titles, "\t"))
			for _, row := range rows {
				fmt.Fprintln(w, strings.Join(row, "\t"))
			}
			return w.Flush()
		},
	}
	cmd.Flags().SetInterspersed(false) // ps options after CONTAINER are not berth's
	return cmd
}
