package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/spf13/pflag"
)

// TestTemplateFuncs checks docker's template functions against what
// docker/cli's templates package prints.
func TestTemplateFuncs(t *testing.T) {
	data := map[string]any{
		"Ints":   []int64{67108864, 2},
		"Labels": map[string]string{"b": "2", "a": "1"},
		"S":      "<a&b>",
		"Words":  "hello big world",
	}
	tests := map[string]string{
		`{{join .Ints ","}}`:             "67108864,2",
		`{{join .Labels ";"}}`:           "1;2",
		`{{json .S}}`:                    `"<a&b>"`,
		`{{json .Ints}}`:                 "[67108864,2]",
		`{{title .Words}}`:               "Hello Big World",
		`{{upper .S}} {{lower "AB"}}`:    "<A&B> ab",
		`{{pad "x" 2 1}}|{{pad "" 2 1}}`: "  x |",
		`{{truncate .Words 5}}`:          "hello",
		`{{truncate "ab" 5}}`:            "ab",
		`{{index (split "a:b" ":") 1}}`:  "b",
		`{{println "x"}}`:                "x",
	}
	for format, want := range tests {
		tmpl, _, err := parseFormat(format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		var b bytes.Buffer
		if err := execTemplate(tmpl, &b, data); err != nil {
			t.Errorf("%s: %v", format, err)
			continue
		}
		if got := strings.TrimRight(b.String(), "\n"); got != want {
			t.Errorf("%s = %q, want %q", format, got, want)
		}
	}
}

// TestTemplateFuncLimits: pad and truncate refuse counts they cannot honour
// with a plain error, where pad ran the CLI out of memory (a Go stack trace)
// and truncate leaked "runtime error: slice bounds out of range".
func TestTemplateFuncLimits(t *testing.T) {
	for format, want := range map[string]string{
		`{{pad "x" 99999999999 0}}`: "error calling pad: want counts from 0 to 65536, not 99999999999 and 0",
		`{{pad "x" 0 -1}}`:          "error calling pad: want counts from 0 to 65536, not 0 and -1",
		`{{truncate "abc" -1}}`:     "error calling truncate: want a length of 0 or more, not -1",
	} {
		tmpl, _, err := parseFormat(format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		var b bytes.Buffer
		err = execTemplate(tmpl, &b, map[string]string{})
		if err == nil || !strings.HasSuffix(err.Error(), want) || !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s: %v, want an invalid-argument error ending %q", format, err, want)
		}
	}
}

// TestTemplateFallbackKeepsNumbers: a template naming a field as the JSON
// does (.Id) runs on the JSON form, where numbers stay integers and a
// missing key is an error, as in docker inspect.
func TestTemplateFallbackKeepsNumbers(t *testing.T) {
	type limits struct {
		Memory   int64
		NanoCPUs int64 `json:"NanoCpus"`
	}
	v := struct {
		ID         string `json:"Id"`
		HostConfig limits
	}{"abc", limits{67108864, 500000000}}
	tmpl, _, _ := parseFormat("{{.Id}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}")
	var b bytes.Buffer
	if err := execTemplate(tmpl, &b, v); err != nil || b.String() != "abc 67108864 500000000" {
		t.Errorf("fallback: %q, %v", b.String(), err)
	}
	tmpl, _, _ = parseFormat("{{.Id}} {{.Nope}}")
	b.Reset()
	if err := execTemplate(tmpl, &b, v); err == nil || !strings.Contains(err.Error(), `map has no entry for key "Nope"`) {
		t.Errorf("missing key: %v", err)
	}
}

// TestFlagError: pflag's refusals become one sentence naming the flag and
// what it takes, classed invalid-argument.
func TestFlagError(t *testing.T) {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.Int64("pids-limit", 0, "")
	fs.Float64("cpus", 0, "")
	fs.Int("stop-timeout", 0, "")
	fs.Bool("privileged", false, "")
	fs.Duration("interval", 0, "")
	tests := map[string]string{
		"--pids-limit=x":                      `invalid --pids-limit "x": not an integer`,
		"--cpus=x":                            `invalid --cpus "x": not a number`,
		"--stop-timeout=99999999999999999999": `invalid --stop-timeout "99999999999999999999": beyond the range of the flag`,
		"--privileged=maybe":                  `invalid --privileged "maybe": want true or false`,
		"--interval=soon":                     `invalid --interval "soon": not a duration such as 10s or 1m30s`,
	}
	for arg, want := range tests {
		err := flagError(nil, fs.Parse([]string{arg}))
		if err == nil || err.Error() != want || !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s: %v, want %q", arg, err, want)
		}
	}
	if err := flagError(nil, errors.New("unknown flag: --nope")); err.Error() != "unknown flag: --nope" || !errdefs.IsInvalidArgument(err) {
		t.Errorf("other flag errors: %v", err)
	}
}
