package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"berth/engine"
)

// systemCheck reports (and with --repair fixes) what a killed berth process
// or a crash left inconsistent. It exits 1 while problems remain.
func (a *app) systemCheck() *cobra.Command {
	var repair bool
	var format string
	cmd := &cobra.Command{
		Use:   "check [--repair] [--format json|TEMPLATE]",
		Short: "Check containers, networks and images for leftovers and damage; --repair removes what no record owns",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "" && format != "json" {
				if _, _, err := parseFormat(format); err != nil {
					return err
				}
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			rep, err := e.Check(cmd.Context(), repair)
			if err != nil {
				return err
			}
			if err := printCheck(a, rep, format); err != nil {
				return err
			}
			if rep.Remaining() > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&repair, "repair", false, "remove leftovers no record owns and complete what a killed process left")
	cmd.Flags().StringVar(&format, "format", "", `"json" for the whole report as JSON, or a Go template applied to each finding`)
	return cmd
}

func printCheck(a *app, rep *engine.CheckReport, format string) error {
	switch format {
	case "json":
		if rep.Findings == nil {
			rep.Findings = []engine.CheckFinding{}
		}
		b, err := json.Marshal(struct {
			*engine.CheckReport
			Remaining int `json:"Remaining"`
		}{rep, rep.Remaining()})
		if err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
		fmt.Fprintln(a.stdout, string(b))
		return nil
	case "":
		for _, f := range rep.Findings {
			fmt.Fprintln(a.stdout, f.String())
		}
		if len(rep.Findings) == 0 {
			fmt.Fprintln(a.stdout, "no problems found")
		}
		return nil
	}
	items := make([]any, len(rep.Findings))
	for i, f := range rep.Findings {
		items[i] = f
	}
	return printFormatted(a.stdout, format, nil, items)
}

// systemBoot starts, after a host reboot, the containers whose restart policy
// brings them back (for a systemd unit; see README).
func (a *app) systemBoot() *cobra.Command {
	return &cobra.Command{
		Use:   "boot",
		Short: "Start the containers with restart policy always or unless-stopped that a reboot stopped",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.local() // boot is the local machine's start-up
			if err != nil {
				return err
			}
			started, err := e.Boot(cmd.Context())
			for _, id := range started {
				fmt.Fprintln(a.stdout, id)
			}
			return err
		},
	}
}
