// Package fuzzcheck holds the properties the fuzz targets assert of a
// parser's error: it is one plain sentence for a person — one line, no panic
// or Go stack, no Go type names, no error-class suffix, no repeated text.
// Words that the input itself contains are not held against the error, since
// errors quote the input they reject.
package fuzzcheck

import "strings"

// forbidden are fragments that only leak from Go internals: runtime panics,
// stack traces, type names printed by %T or %v of a struct, json's Go
// wording, fmt's verb mistakes and the errdefs class suffixes.
var forbidden = []string{
	"panic", "goroutine ", "runtime error", "runtime.", "main.", "[]string", "map[string]",
	"struct {", "*errors.", "reflect.", "Go struct", "Go value", "%!", "<nil>", "0xc0",
	": invalid argument", ": not found", ": already exists", ": conflict",
}

// Plain returns why err is not a plain one-sentence error, or "" when it is.
// inputs are the values the parser was given.
func Plain(err error, inputs ...string) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	in := strings.Join(inputs, "\x00")
	switch {
	case strings.TrimSpace(msg) == "":
		return "empty error"
	case strings.ContainsAny(msg, "\n\r") && !strings.ContainsAny(in, "\n\r"):
		return "error spans lines"
	}
	for _, f := range forbidden {
		if strings.Contains(msg, f) && !strings.Contains(in, f) {
			return "error contains " + f
		}
	}
	if half := len(msg) / 2; half > 20 && msg[:half] == msg[half:] && !strings.Contains(in, msg[:half]) {
		return "error repeats itself"
	}
	return ""
}

// Check fails the test when err is not plain; inputs are the parser's inputs.
func Check(t interface {
	Helper()
	Fatalf(string, ...any)
}, err error, inputs ...string) {
	t.Helper()
	if why := Plain(err, inputs...); why != "" {
		t.Fatalf("inputs %q: %s: %q", inputs, why, err)
	}
}

// crashWords are what a recovered panic or a Go runtime fault prints.
var crashWords = []string{"panic", "goroutine ", "runtime error", "runtime."}

// CheckNoCrash is Check's weaker form for errors whose wording belongs to a
// language the user writes in, such as text/template's execution errors
// (which name Go types, as docker's do): one line and no panic or runtime
// fault.
func CheckNoCrash(t interface {
	Helper()
	Fatalf(string, ...any)
}, err error, inputs ...string) {
	t.Helper()
	if err == nil {
		return
	}
	msg, in := err.Error(), strings.Join(inputs, "\x00")
	if strings.ContainsAny(msg, "\n\r") && !strings.ContainsAny(in, "\n\r") {
		t.Fatalf("inputs %q: error spans lines: %q", inputs, err)
	}
	for _, w := range crashWords {
		if strings.Contains(msg, w) && !strings.Contains(in, w) {
			t.Fatalf("inputs %q: error contains %s: %q", inputs, w, err)
		}
	}
}
