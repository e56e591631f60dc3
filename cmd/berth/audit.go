package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"berth/images/audit"
	"berth/images/build"
	"berth/views"
)

// auditCommand is `berth image audit`: the image's best-practice findings.
func (a *app) auditCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "audit [OPTIONS] IMAGE",
		Short: "Check an image for common pitfalls (root user, secrets in any layer, no healthcheck, wasted bytes)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "" && format != "json" {
				return invalid("invalid --format %q: use json or leave it out", format)
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			img, fs, err := e.AuditImage(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if format == "json" {
				if fs == nil {
					fs = []audit.Finding{}
				}
				b, err := json.MarshalIndent(fs, "", "  ")
				if err != nil {
					return fmt.Errorf("encode findings: %w", err)
				}
				fmt.Fprintln(a.stdout, string(b))
			} else {
				name := img.ID
				if len(img.RepoTags) > 0 {
					name = img.RepoTags[0]
				}
				fmt.Fprintf(a.stdout, "Audit of %s: %s\n", name, summary(fs))
				for _, f := range fs {
					writeFinding(a.stdout, f)
				}
			}
			if audit.Warnings(fs) > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "output format: json, or leave it out for text")
	return cmd
}

// summary counts findings by level: "2 warnings, 1 note".
func summary(fs []audit.Finding) string {
	w := audit.Warnings(fs)
	return fmt.Sprintf("%s, %s", plural(w, "warning"), plural(len(fs)-w, "note"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// writeFinding prints one finding: level, rule and title, reason, fix and paths.
func writeFinding(w io.Writer, f audit.Finding) {
	level := "WARNING"
	if f.Level != audit.Warning {
		level = "INFO"
	}
	fmt.Fprintf(w, "\n%s: %s - %s\n%s\nFix: %s\n", level, f.Rule, views.Sanitize(f.Title), f.Reason, f.Fix)
	if f.Rule == "WastedBytes" {
		for _, p := range f.Paths {
			fmt.Fprintf(w, "  %s\n", views.Sanitize(p))
		}
	}
}

// runCheck is `berth build --check`: the Dockerfile and context findings as
// `docker build --check` prints them, exit status 1 when any is a warning.
func (a *app) runCheck(o build.Options) error {
	e, err := a.engine()
	if err != nil {
		return err
	}
	fs, err := e.CheckDockerfile(o.Dockerfile, o.DockerfileName, o.ContextDir)
	if err != nil {
		return err
	}
	switch n := audit.Warnings(fs); n {
	case 0:
		fmt.Fprintln(a.stdout, "Check complete, no warnings found.")
	case 1:
		fmt.Fprintln(a.stdout, "Check complete, 1 warning has been found!")
	default:
		fmt.Fprintf(a.stdout, "Check complete, %d warnings have been found!\n", n)
	}
	lines := strings.Split(strings.TrimSuffix(string(o.Dockerfile), "\n"), "\n")
	for _, f := range fs {
		writeFinding(a.stdout, f)
		if f.Line > 0 {
			writeSnippet(a.stdout, o.DockerfileName, lines, f.Line)
		}
	}
	if audit.Warnings(fs) > 0 {
		return exitError{1}
	}
	return nil
}

// writeSnippet shows the Dockerfile around line n, marking it, as docker does.
func writeSnippet(w io.Writer, name string, lines []string, n int) {
	fmt.Fprintf(w, "%s:%d\n--------------------\n", name, n)
	for i := max(1, n-1); i <= min(len(lines), n+1); i++ {
		mark := "   "
		if i == n {
			mark = ">>>"
		}
		fmt.Fprintf(w, "%4d | %s %s\n", i, mark, views.Sanitize(lines[i-1]))
	}
	fmt.Fprintln(w, "--------------------")
}
