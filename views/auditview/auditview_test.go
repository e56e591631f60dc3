package auditview

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"berth/images/audit"
)

func TestLines(t *testing.T) {
	if got := Lines(nil, 80); len(got) != 1 || !strings.Contains(got[0], "no findings") {
		t.Errorf("no findings: %q", got)
	}
	fs := []audit.Finding{
		{Rule: "RootUser", Level: audit.Warning, Title: "runs as root (no USER)", Reason: strings.Repeat("word ", 40), Fix: "add USER"},
		{Rule: "WastedBytes", Level: audit.Warning, Title: "waste 3kB", Reason: "r", Fix: "f", Paths: []string{"/tmp/big (3kB)"}},
		{Rule: "NoHealthcheck", Level: audit.Info, Title: "no HEALTHCHECK\x1b[31m", Reason: "r", Fix: "f"},
	}
	got := Lines(fs, 60)
	text := strings.Join(got, "\n")
	for _, want := range []string{"2 warning(s), 1 note(s)", "⚠ WARNING RootUser: runs as root (no USER)", "ℹ INFO    NoHealthcheck: no HEALTHCHECK",
		"      why: word", "      fix: add USER", "      · /tmp/big (3kB)"} {
		if !strings.Contains(text, want) {
			t.Errorf("lines lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("a control sequence of a title reached the pane: %q", text)
	}
	for _, l := range got {
		if strings.HasPrefix(l, "      ") && ansi.StringWidth(l) > 60 {
			t.Errorf("line %q is wider than 60", l)
		}
	}
}
