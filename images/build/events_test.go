package build

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestStageAndImageEvents: each stage's FROM is told with its base and the
// build's instruction count, and each step's end with the image it made,
// as the classic builder's stream needs them (" ---> <id>").
func TestStageAndImageEvents(t *testing.T) {
	b := newBuilder(t)
	df := "FROM scratch AS a\nENV A=1\nFROM a\nLABEL x=y\n"
	var got []string
	run := func() string {
		got = nil
		img, err := b.Build(context.Background(), Options{Dockerfile: []byte(df)}, func(ev Event) {
			switch ev.Kind {
			case StageStarted:
				got = append(got, fmt.Sprintf("stage %s %q base=%s total=%d", ev.Stage, ev.Instruction, ev.Image, ev.Total))
			case StepDone, StepCached:
				got = append(got, fmt.Sprintf("%d %s image=%s", ev.Kind, ev.Instruction, ev.Image))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return img.ID
	}
	final := run()
	if len(got) != 4 || got[0] != `stage a "FROM scratch AS a" base= total=4` || !strings.HasPrefix(got[2], `stage stage-1 "FROM a" base=sha256:`) {
		t.Fatalf("events: %q", got)
	}
	first := strings.TrimPrefix(got[1], fmt.Sprintf("%d ENV A=1 image=", StepDone))
	if !strings.HasSuffix(got[2], "base="+first+" total=4") || got[3] != fmt.Sprintf("%d LABEL x=y image=%s", StepDone, final) {
		t.Errorf("events: %q (final %s)", got, final)
	}
	if again := run(); again != final || got[3] != fmt.Sprintf("%d LABEL x=y image=%s", StepCached, final) {
		t.Errorf("cached build events: %q", got)
	}
}
