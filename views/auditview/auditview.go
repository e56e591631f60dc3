// Package auditview renders an image's best-practice findings (package
// images/audit) as the plain lines of the image detail's Audit tab: a summary,
// then each finding with its rule, why it matters and how to fix it.
package auditview

import (
	"berth/engine"
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"berth/views"
)

// indent is the margin of a finding's reason, fix and paths.
const indent = "      "

// Lines renders fs for a pane width wide (text is wrapped to fit).
func Lines(fs []engine.AuditFinding, width int) []string {
	w := engine.AuditWarnings(fs)
	if len(fs) == 0 {
		return []string{"  ✓ no findings: the image runs as a user, has a healthcheck, and no layer holds a secret or deleted files"}
	}
	lines := []string{fmt.Sprintf("  %d warning(s), %d note(s) — the same as `berth image audit`", w, len(fs)-w), ""}
	for _, f := range fs {
		mark := "⚠ WARNING"
		if f.Level != engine.AuditWarning {
			mark = "ℹ INFO   "
		}
		lines = append(lines, fmt.Sprintf("  %s %s: %s", mark, f.Rule, views.Sanitize(f.Title)))
		lines = append(lines, wrap("why: "+f.Reason, width)...)
		lines = append(lines, wrap("fix: "+f.Fix, width)...)
		if f.Rule == "WastedBytes" {
			for _, p := range f.Paths {
				lines = append(lines, indent+"· "+views.Sanitize(p))
			}
		}
		lines = append(lines, "")
	}
	return lines[:len(lines)-1]
}

// wrap breaks s into indented lines that fit width.
func wrap(s string, width int) []string {
	limit := max(width-len(indent)-4, 30)
	out := strings.Split(ansi.Wordwrap(s, limit, ""), "\n")
	for i, l := range out {
		out[i] = indent + l
	}
	return out
}
