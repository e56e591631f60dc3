package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"text/template"

	"github.com/docker/go-units"
)

// templateFuncs are the functions docker's --format templates offer.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join":     strings.Join,
	"split":    strings.Split,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"title":    strings.ToTitle,
	"println":  fmt.Sprintln,
	"truncate": func(s string, n int) string { return truncate(s, n) },
	"pad":      func(s string, l, r int) string { return strings.Repeat(" ", l) + s + strings.Repeat(" ", r) },
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// parseFormat parses a --format value. "table ..." keeps a header row and
// tab-aligned columns; "json" prints each item as one JSON line.
func parseFormat(format string) (*template.Template, bool, error) {
	table := false
	if rest, ok := strings.CutPrefix(format, "table"); ok {
		table, format = true, strings.TrimLeft(rest, " ")
	}
	if format == "json" {
		format = "{{json .}}"
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	t, err := template.New("format").Funcs(templateFuncs).Parse(format)
	if err != nil {
		return nil, false, invalid("template parsing error: %v", err)
	}
	return t, table, nil
}

// printFormatted writes each item through the --format template.
func printFormatted(w io.Writer, format string, header map[string]string, items []any) error {
	t, table, err := parseFormat(format)
	if err != nil {
		return err
	}
	out := w
	var tw *tabwriter.Writer
	if table {
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		var hb bytes.Buffer
		if err := t.Execute(&hb, header); err == nil {
			fmt.Fprintln(out, strings.TrimRight(hb.String(), "\n"))
		}
	}
	for _, it := range items {
		var b bytes.Buffer
		if err := execTemplate(t, &b, it); err != nil {
			return err
		}
		fmt.Fprintln(out, strings.TrimRight(b.String(), "\n"))
	}
	if tw != nil {
		tw.Flush()
	}
	return nil
}

// execTemplate runs t on the typed value and, if that fails (a field named as
// in Docker's JSON, like .Id), on the value's JSON form, as docker inspect does.
func execTemplate(t *template.Template, w *bytes.Buffer, v any) error {
	if err := t.Execute(w, v); err == nil {
		return nil
	}
	w.Reset()
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m any
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	if err := t.Execute(w, m); err != nil {
		return invalid("template: %v", err)
	}
	return nil
}

func humanSize(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
