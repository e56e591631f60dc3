package main

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"berth/images/build"
)

// progressEvents is a small build: a cached step, a RUN with output that
// succeeds, one that fails.
var progressEvents = []build.Event{
	{Kind: build.StepStarted, ID: 1, Stage: "stage-0", Step: 1, Total: 3, Instruction: "COPY a /a"},
	{Kind: build.StepCached, ID: 1, Stage: "stage-0", Step: 1, Total: 3, Instruction: "COPY a /a"},
	{Kind: build.StepStarted, ID: 2, Stage: "stage-0", Step: 2, Total: 3, Instruction: "RUN echo hi"},
	{Kind: build.StepOutput, ID: 2, Stage: "stage-0", Step: 2, Total: 3, Instruction: "RUN echo hi", Output: "hi"},
	{Kind: build.StepDone, ID: 2, Stage: "stage-0", Step: 2, Total: 3, Instruction: "RUN echo hi", Duration: 1500 * time.Millisecond},
	{Kind: build.StepStarted, ID: 3, Stage: "stage-0", Step: 3, Total: 3, Instruction: "RUN exit 3"},
	{Kind: build.StepOutput, ID: 3, Stage: "stage-0", Step: 3, Total: 3, Instruction: "RUN exit 3", Output: "oops"},
	{Kind: build.StepError, ID: 3, Stage: "stage-0", Step: 3, Total: 3, Instruction: "RUN exit 3", Err: errors.New("exit code: 3")},
}

// TestBuildProgressForms checks the plain and tty progress printers.
func TestBuildProgressForms(t *testing.T) {
	for name, tc := range map[string]struct {
		printer func(w *bytes.Buffer) func(build.Event)
		want    string
	}{
		"plain": {func(w *bytes.Buffer) func(build.Event) { return plainProgress(w) },
			"#1 [stage-0 1/3] COPY a /a\n#1 CACHED\n#2 [stage-0 2/3] RUN echo hi\n#2 hi\n#2 DONE 1.5s\n" +
				"#3 [stage-0 3/3] RUN exit 3\n#3 oops\n#3 ERROR\n"},
		"tty": {func(w *bytes.Buffer) func(build.Event) { return ttyProgress(w) },
			"\r\x1b[K=> [stage-0 1/3] COPY a /a\r\x1b[K=> [stage-0 1/3] COPY a /a CACHED\n" +
				"\r\x1b[K=> [stage-0 2/3] RUN echo hi\r\x1b[K=> [stage-0 2/3] RUN echo hi | hi\r\x1b[K=> [stage-0 2/3] RUN echo hi 1.5s\n" +
				"\r\x1b[K=> [stage-0 3/3] RUN exit 3\r\x1b[K=> [stage-0 3/3] RUN exit 3 | oops\r\x1b[K=> [stage-0 3/3] RUN exit 3 ERROR\n   | oops\n"},
	} {
		var b bytes.Buffer
		p := tc.printer(&b)
		for _, ev := range progressEvents {
			p(ev)
		}
		if b.String() != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", name, b.String(), tc.want)
		}
	}
	if got := clip("abcdef", 4); got != "abc…" {
		t.Errorf("clip: %q", got)
	}
}
