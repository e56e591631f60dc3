package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"
	"text/template"

	"github.com/docker/go-units"
)

// templateFuncs are the functions docker's --format templates offer, with
// docker's behaviour (github.com/docker/cli/templates); println and the
// other text/template builtins come with every template.
var templateFuncs = template.FuncMap{
	"json":     formatJSON,
	"split":    strings.Split,
	"join":     joinElements,
	"title":    titleWords,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      padWithSpace,
	"truncate": truncateFunc,
}

// formatJSON is docker's json: compact, without HTML escaping.
func formatJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

// joinElements joins a slice or array of anything, or a map's values sorted.
func joinElements(elems any, sep string) (string, error) {
	if elems == nil {
		return "", nil
	}
	if ss, ok := elems.([]string); ok {
		return strings.Join(ss, sep), nil
	}
	var out []string
	switch rv := reflect.ValueOf(elems); rv.Kind() {
	case reflect.Array, reflect.Slice:
		for i := range rv.Len() {
			out = append(out, fmt.Sprint(rv.Index(i).Interface()))
		}
	case reflect.Map:
		for _, k := range rv.MapKeys() {
			out = append(out, fmt.Sprint(rv.MapIndex(k).Interface()))
		}
		sort.Strings(out)
	default:
		return "", fmt.Errorf("join: expected a list, got %T", elems)
	}
	return strings.Join(out, sep), nil
}

// titleWords upper-cases the first letter of each word. It is docker's
// title, strings.Title (deprecated for its Unicode word breaks, which docker
// keeps).
func titleWords(s string) string {
	return strings.Title(s) //nolint:staticcheck // docker's own behaviour
}

// maxPad bounds pad's counts: a column wider than this is a mistake, and an
// unbounded count would exhaust memory instead of failing.
const maxPad = 1 << 16

// padWithSpace pads a non-empty s with l spaces before and r after.
func padWithSpace(s string, l, r int) (string, error) {
	if l < 0 || r < 0 || l > maxPad || r > maxPad {
		return "", fmt.Errorf("want counts from 0 to %d, not %d and %d", maxPad, l, r)
	}
	if s == "" {
		return s, nil
	}
	return strings.Repeat(" ", l) + s + strings.Repeat(" ", r), nil
}

// truncateFunc is the templates' truncate: the first n bytes of s.
func truncateFunc(s string, n int) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("want a length of 0 or more, not %d", n)
	}
	return truncate(s, n), nil
}

// truncate keeps the first n (>= 0) bytes of s.
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
// in Docker's JSON, like .Id), on the value's JSON form, as docker inspect
// does: numbers stay exact (json.Number) and a missing key is an error.
func execTemplate(t *template.Template, w *bytes.Buffer, v any) error {
	if err := t.Execute(w, v); err == nil {
		return nil
	}
	w.Reset()
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	strict, err := t.Clone()
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	if err := strict.Option("missingkey=error").Execute(w, m); err != nil {
		return invalid("%v", err) // "template: NAME:LINE:COL: executing ..."
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

// printOne renders one value with a --format template (or "json") and a
// newline, as docker's version and info do.
func printOne(w io.Writer, format string, v any) error {
	t, _, err := parseFormat(format)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := execTemplate(t, &b, v); err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, b.String())
	return err
}
