package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"berth/engine"
)

// statsRow is one line of berth stats, with docker stats' --format field names.
type statsRow struct {
	ID, Name, Container, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs string
}

var statsHeader = map[string]string{
	"ID": "CONTAINER ID", "Name": "NAME", "Container": "CONTAINER", "CPUPerc": "CPU %",
	"MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
}

const statsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// clearHome clears a terminal and moves the cursor home, as docker stats does
// before each frame.
const clearHome = "\033[2J\033[H"

// newStatsRow formats one entry as docker stats does: percentages with two
// decimals, memory in binary units (BytesSize), I/O in decimal units
// (HumanSize, three digits), "--" for a container that could not be read.
// container is what the user named it by (its short ID when listed).
func newStatsRow(ent engine.StatsEntry, container string, trunc bool) statsRow {
	id := ent.ID
	if trunc {
		id = id[:12]
	}
	r := statsRow{ID: id, Name: ent.Name, Container: container}
	s := ent.Sample
	if s.Err != nil {
		r.CPUPerc, r.MemUsage, r.MemPerc, r.NetIO, r.BlockIO, r.PIDs = "--", "-- / --", "--", "--", "--", "--"
		return r
	}
	pair := func(a, b uint64) string {
		return units.HumanSizeWithPrecision(float64(a), 3) + " / " + units.HumanSizeWithPrecision(float64(b), 3)
	}
	r.CPUPerc = fmt.Sprintf("%.2f%%", s.CPUPercent)
	r.MemUsage = units.BytesSize(float64(s.MemUsage)) + " / " + units.BytesSize(float64(s.MemLimit))
	r.MemPerc = fmt.Sprintf("%.2f%%", s.MemPercent)
	r.NetIO = pair(s.NetRxBytes, s.NetTxBytes)
	r.BlockIO = pair(s.BlkRead, s.BlkWrite)
	r.PIDs = fmt.Sprint(s.PIDs)
	return r
}

// statsFlags are the options of berth stats.
type statsFlags struct {
	noStream, all, noTrunc bool
	format                 string
}

func (a *app) statsCommand() *cobra.Command {
	var f statsFlags
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.stats(cmd.Context(), args, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.all, "all", "a", false, "show all containers (default shows just running)")
	fl.BoolVar(&f.noStream, "no-stream", false, "disable streaming stats and only pull the first result")
	fl.BoolVar(&f.noTrunc, "no-trunc", false, "do not truncate output")
	fl.StringVar(&f.format, "format", "", "format output: table, table TEMPLATE, json or a Go template")
	return cmd
}

// checkStatsFormat parses --format and runs it once on an empty row, so that
// a bad template or an unknown field fails before any stats are read.
func checkStatsFormat(format string) error {
	t, _, err := parseFormat(format)
	if err != nil {
		return err
	}
	if err := t.Execute(io.Discard, statsRow{}); err != nil {
		return invalid("%v", err)
	}
	return nil
}

func (a *app) stats(ctx context.Context, refs []string, f statsFlags) error {
	if f.format == "" || f.format == "table" {
		f.format = statsTable
	}
	if err := checkStatsFormat(f.format); err != nil {
		return err
	}
	e, err := a.engine()
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	out, errs, err := e.Stats(ctx, refs, engine.StatsOptions{Stream: !f.noStream, All: f.all, Interval: time.Second})
	if err != nil {
		return err
	}
	names := map[string]string{} // container ID → the ref the user gave
	for _, ref := range refs {
		if c, err := e.Inspect(ctx, ref); err == nil {
			names[c.ID] = ref
		}
	}
	redraw := !f.noStream && isTerminal(a.stdout)
	for batch := range out {
		if err := a.printStats(batch, names, f, redraw); err != nil {
			return err
		}
	}
	return <-errs
}

// printStats writes one frame, clearing the screen first when redrawing in place.
func (a *app) printStats(batch []engine.StatsEntry, names map[string]string, f statsFlags, redraw bool) error {
	items := make([]any, len(batch))
	for i, ent := range batch {
		container, ok := names[ent.ID]
		if !ok {
			container = ent.ID[:12]
		}
		items[i] = newStatsRow(ent, container, !f.noTrunc)
	}
	var frame bytes.Buffer
	if redraw {
		frame.WriteString(clearHome)
	}
	if err := printFormatted(&frame, f.format, statsHeader, items); err != nil {
		return err
	}
	_, err := a.stdout.Write(frame.Bytes())
	return err
}
