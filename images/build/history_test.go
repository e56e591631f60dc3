package build

import (
	"context"
	"errors"
	"strings"
	"testing"

	"berth/images"
)

// emptyRunner runs every RUN as a step that changed nothing.
type emptyRunner struct{ upper string }

func (r emptyRunner) Run(_ context.Context, _ RunSpec, commit func(string) error) error {
	return commit(r.upper)
}

func (emptyRunner) Mount(context.Context, *images.Image, func(string, string) error) error {
	return errors.New("no mounts in this test")
}

// TestHistoryLinesAsBuildKit checks each instruction's CREATED BY text
// against what dockerd 20.10's BuildKit wrote for the same Dockerfile (the
// lines below are copied from its `docker history --no-trunc`): EXPOSE and
// HEALTHCHECK print Go values, SHELL a bare list, each ARG has a row,
// ONBUILD none, and a RUN lists every ARG declared so far.
func TestHistoryLinesAsBuildKit(t *testing.T) {
	b := newBuilder(t)
	b.runner = emptyRunner{upper: t.TempDir()}
	df := `FROM scratch
ARG B=2
ARG A=1
ARG C
ENV B=x
RUN true
ARG A=3
RUN echo hi
HEALTHCHECK --interval=5s --retries=3 --start-period=2s CMD ["true"]
EXPOSE 80-81 53/udp
EXPOSE 9 10
HEALTHCHECK --interval=5s --timeout=3s CMD wget -q localhost || exit 1
LABEL l1=v1 "l 2"="v 2"
USER nobody:nogroup
STOPSIGNAL SIGTERM
SHELL ["/bin/sh", "-c"]
ONBUILD RUN echo hi
VOLUME /v /x
CMD ["sh", "-c", "echo"]
ENTRYPOINT echo ep
HEALTHCHECK NONE
CMD echo shellform
`
	want := []string{
		"ARG B=2", "ARG A=1", "ARG C", "ENV B=x",
		"RUN |3 B=x A=1 C= /bin/sh -c true # buildkit",
		"ARG A=3",
		"RUN |4 B=x A=3 C= A=3 /bin/sh -c echo hi # buildkit",
		`HEALTHCHECK &{["CMD" "true"] "5s" "0s" "2s" '\x03'}`,
		"EXPOSE map[53/udp:{} 80/tcp:{} 81/tcp:{}]",
		"EXPOSE map[10/tcp:{} 9/tcp:{}]",
		`HEALTHCHECK &{["CMD-SHELL" "wget -q localhost || exit 1"] "5s" "3s" "0s" '\x00'}`,
		"LABEL l1=v1 l 2=v 2", "USER nobody:nogroup", "STOPSIGNAL SIGTERM", "SHELL [/bin/sh -c]",
		"VOLUME [/v /x]", `CMD ["sh" "-c" "echo"]`, `ENTRYPOINT ["/bin/sh" "-c" "echo ep"]`,
		`HEALTHCHECK &{["NONE"] "0s" "0s" "0s" '\x00'}`,
		`CMD ["/bin/sh" "-c" "echo shellform"]`,
	}
	img, err := b.Build(context.Background(), Options{Dockerfile: []byte(df)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range img.Config.History {
		got = append(got, h.CreatedBy)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if on := img.Config.Config.OnBuild; len(on) != 1 || on[0] != "RUN echo hi" {
		t.Errorf("OnBuild = %q", on)
	}
}

// TestHealthHistoryStartInterval: a start interval (newer than dockerd
// 20.10) is printed before the retries, where Docker's HealthConfig has it.
func TestHealthHistoryStartInterval(t *testing.T) {
	b := newBuilder(t)
	img, err := b.Build(context.Background(), Options{Dockerfile: []byte("FROM scratch\nHEALTHCHECK --start-interval=1s --retries=2 CMD true\n")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Config.History[0].CreatedBy; got != `HEALTHCHECK &{["CMD-SHELL" "true"] "0s" "0s" "0s" "1s" '\x02'}` {
		t.Errorf("history %q", got)
	}
}

// TestArgRowsKeepTheCache: a new ARG value misses no step that does not
// read it (Docker's rule: the miss is at the first use), yet the image's
// history shows the new value, in the ARG's place.
func TestArgRowsKeepTheCache(t *testing.T) {
	b := newBuilder(t)
	df := "FROM scratch\nENV E=1\nARG V=1\nLABEL l=x\nCMD [\"x\"]\n"
	build := func(args map[string]string) (*images.Image, int) {
		cached := 0
		img, err := b.Build(context.Background(), Options{Dockerfile: []byte(df), BuildArgs: args}, func(ev Event) {
			if ev.Kind == StepCached {
				cached++
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return img, cached
	}
	first, _ := build(nil)
	again, cached := build(nil)
	if again.ID != first.ID || cached != 3 {
		t.Errorf("rebuild: %s vs %s, %d cached", again.ID, first.ID, cached)
	}
	other, cached := build(map[string]string{"V": "2"})
	var rows []string
	for _, h := range other.Config.History {
		rows = append(rows, h.CreatedBy)
	}
	if cached != 3 || strings.Join(rows, "|") != `ENV E=1|ARG V=2|LABEL l=x|CMD ["x"]` {
		t.Errorf("V=2: %d cached, history %q", cached, rows)
	}
	hist, err := b.store.History(context.Background(), other.ID)
	if err != nil || len(hist) != 4 || hist[0].ID != other.ID || hist[1].ID != "<missing>" {
		t.Errorf("history rows: %+v, %v", hist, err)
	}
}
