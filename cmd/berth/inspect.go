package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/inspect"
)

func (a *app) inspectCommand() *cobra.Command {
	var format, typ string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on containers or images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var items []any
			var failed error
			for _, ref := range args {
				var v any
				if typ != "image" {
					if c, err := e.Inspect(cmd.Context(), ref); err == nil {
						v = inspect.ContainerOf(c)
					} else if !errdefs.IsNotFound(err) || typ == "container" {
						return err
					}
				}
				if v == nil && typ != "container" {
					if img, err := e.Images().Resolve(ref); err == nil {
						if v, err = inspect.ImageOf(img); err != nil {
							return err
						}
					}
				}
				if v == nil {
					fmt.Fprintf(a.stderr, "berth: no such object: %s\n", ref)
					failed = exitError{1}
					continue
				}
				items = append(items, v)
			}
			if err := a.printInspect(format, items); err != nil {
				return err
			}
			return failed
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template or 'json'")
	cmd.Flags().StringVar(&typ, "type", "", "only inspect objects of this type (container or image)")
	return cmd
}

// printInspect prints items as an indented JSON array (docker's default), a
// compact one (--format json), or through a --format template.
func (a *app) printInspect(format string, items []any) error {
	if format == "" || format == "json" {
		if items == nil {
			items = []any{}
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if format == "" {
			enc.SetIndent("", "    ")
		}
		if err := enc.Encode(items); err != nil {
			return fmt.Errorf("encode inspect output: %w", err)
		}
		_, err := a.stdout.Write(buf.Bytes())
		return err
	}
	return printFormatted(a.stdout, format, nil, items)
}

// objectInspect is "KIND inspect OBJ...": view turns each argument into what
// is printed (JSON array, or --format per object).
func (a *app) objectInspect(kind string, view func(cmd *cobra.Command, e *engine.Engine, ref string) (any, error)) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] " + strings.ToUpper(kind) + " [" + strings.ToUpper(kind) + "...]",
		Short: "Display detailed information on one or more " + kind + "s",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var items []any
			for _, ref := range args {
				v, err := view(cmd, e, ref)
				if err != nil {
					return err
				}
				items = append(items, v)
			}
			return a.printInspect(format, items)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template")
	return cmd
}
