package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"

	"berth/engine/api"
	"berth/engine/inspect"
)

func (a *app) inspectCommand() *cobra.Command {
	var format, typ string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on containers or images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if p := cmd.Parent(); typ == "" && p != nil && p.Name() == "container" {
				typ = "container" // berth container inspect
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			var items []any
			var failed error
			for _, ref := range args {
				v, err := inspectObject(cmd.Context(), e, ref, typ)
				if errdefs.IsNotFound(err) {
					fmt.Fprintln(a.stderr, "berth:", err) // docker goes on with the others, then exits 1
					failed = exitError{1}
					continue
				} else if err != nil {
					return err
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

// inspectObject finds ref among the containers, then the images (or only
// among those of typ), in Docker's inspect shape. Not finding it is an
// errdefs.ErrNotFound error naming what was looked for, as docker does.
func inspectObject(ctx context.Context, e api.Engine, ref, typ string) (any, error) {
	if typ != "" && typ != "container" && typ != "image" {
		return nil, invalid("unknown --type %q: want container or image", typ)
	}
	if typ != "image" {
		c, err := e.Inspect(ctx, ref)
		if err == nil {
			return inspect.ContainerOf(c), nil
		} else if !errdefs.IsNotFound(err) {
			return nil, err
		}
	}
	if typ != "container" {
		img, err := e.InspectImage(ctx, ref)
		if err == nil {
			return inspect.ImageOf(img)
		} else if !errdefs.IsNotFound(err) {
			return nil, err
		}
	}
	what := map[string]string{"": "object", "container": "container", "image": "image"}[typ]
	return nil, errdefs.ErrNotFound.WithMessage(fmt.Sprintf("no such %s: %s", what, ref))
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
func (a *app) objectInspect(kind string, view func(cmd *cobra.Command, e api.Engine, ref string) (any, error)) *cobra.Command {
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
