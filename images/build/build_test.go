package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	_ "modernc.org/sqlite"

	"berth/images"
)

// noRunner fails every Run and Mount: the parse and plan tests never get there.
type noRunner struct{}

func (noRunner) Run(context.Context, RunSpec, func(string) error) error {
	return errors.New("no runner in this test")
}

func (noRunner) Mount(context.Context, *images.Image, func(string, string) error) error {
	return errors.New("no runner in this test")
}

func newBuilder(t testing.TB) *Builder {
	t.Helper()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "berth.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := images.Open(filepath.Join(dir, "images"), db)
	if err != nil {
		t.Fatal(err)
	}
	return New(s, noRunner{})
}

// TestBuildRefusesBadInput checks each bad Dockerfile or option is refused
// with one sentence naming the line, before anything is stored.
func TestBuildRefusesBadInput(t *testing.T) {
	b := newBuilder(t)
	for _, tc := range []struct{ dockerfile, target, want string }{
		{"", "", "Dockerfile: file with no instructions"},
		{"RUN true\n", "", "Dockerfile:1: no build stage in current context"},
		{"FROM scratch\nBOGUS x\n", "", "Dockerfile:2: unknown instruction: BOGUS"},
		{"FROM scratch AS a\nFROM scratch\n", "b", `target stage "b" could not be found`},
		{"FROM scratch\nEXPOSE 99999\n", "", `Dockerfile:2: EXPOSE 99999: invalid port "99999"`},
		{"FROM scratch\nCOPY --chmod=999 a b\n", "", `Dockerfile:2: COPY --chmod=999 a b: invalid --chmod "999": an octal mode is needed`},
		{"FROM scratch\nCOPY a b\n", "", "Dockerfile:2: COPY a b: COPY needs a build context (the Dockerfile came from stdin)"},
		{"FROM scratch\nADD --checksum=sha256:00 http://127.0.0.1/x /x\n", "", `Dockerfile:2: ADD --checksum=sha256:00 http://127.0.0.1/x /x: invalid --checksum "sha256:00": invalid checksum digest length`},
		{"FROM scratch\nADD --checksum=sha256:00 a /x\n", "", "Dockerfile:2: ADD --checksum=sha256:00 a /x: checksum requires HTTP(S) sources"},
		{"FROM scratch\nCOPY <<EOF a /x\nhi\nEOF\n", "", "Dockerfile:2: COPY <<EOF a /x: when using COPY with more than one source file, the destination must be a directory and end with a /"},
		{"FROM scratch\nRUN true\n", "", "Dockerfile:2: RUN true: RUN needs a filesystem to run in (FROM scratch has none yet)"},
		{"FROM nosuch:1\n", "", `Dockerfile:1: FROM nosuch:1: unable to find image "nosuch:1" locally (berth build does not pull; use berth pull)`},
		{"FROM scratch\nSTOPSIGNAL FOO\n", "", `Dockerfile:2: STOPSIGNAL FOO: invalid signal "FOO"`},
		{"FROM scratch\nARG S\nSTOPSIGNAL $S\n", "", `Dockerfile:3: STOPSIGNAL $S: invalid signal ""`},
		{"FROM ${UNSET:?required}\n", "", `Dockerfile:1: FROM ${UNSET:?required}: failed to process "${UNSET:?required}": UNSET: required`},
	} {
		_, err := b.Build(context.Background(), Options{Dockerfile: []byte(tc.dockerfile), Target: tc.target}, nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want %q", tc.dockerfile, err, tc.want)
		}
	}
	list, err := b.store.List(context.Background(), images.ListOptions{All: true})
	if err != nil || len(list) != 0 {
		t.Errorf("bad input stored images: %v %v", list, err)
	}
}

// TestMetadataOnlyBuild builds a Dockerfile of config instructions on
// scratch (no runner needed) and checks the config, the history and that a
// second build is all cache hits.
func TestMetadataOnlyBuild(t *testing.T) {
	b := newBuilder(t)
	df := "ARG V=1\nFROM scratch\nARG V\nENV A=$V B=${V:+set}\nLABEL l=\"$A\"\nUSER 10:20\nSTOPSIGNAL SIGINT\nCMD echo hi\nENTRYPOINT [\"/e\"]\n"
	var cached int
	build := func(args map[string]string) *images.Image {
		img, err := b.Build(context.Background(), Options{Dockerfile: []byte(df), BuildArgs: args, Tags: []string{"meta:1"}},
			func(ev Event) {
				if ev.Kind == StepCached {
					cached++
				}
			})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	img := build(map[string]string{"V": "2"})
	c := img.Config.Config
	if strings.Join(c.Env, ",") != "A=2,B=set" || c.Labels["l"] != "2" || c.User != "10:20" || c.StopSignal != "SIGINT" ||
		strings.Join(c.Cmd, " ") != "/bin/sh -c echo hi" || strings.Join(c.Entrypoint, " ") != "/e" {
		t.Errorf("config: %+v", c)
	}
	// The stage's ARG has its row first, as BuildKit writes it.
	if len(img.Config.History) != 7 || img.Config.History[0].CreatedBy != "ARG V=2" || img.Config.History[5].CreatedBy != `CMD ["/bin/sh" "-c" "echo hi"]` || !img.Config.History[0].EmptyLayer {
		t.Errorf("history: %+v", img.Config.History)
	}
	again := build(map[string]string{"V": "2"})
	if again.ID != img.ID || cached != 6 {
		t.Errorf("rebuild: %s vs %s, %d cached steps", again.ID, img.ID, cached)
	}
	cached = 0
	if other := build(map[string]string{"V": "3"}); other.ID == img.ID || cached != 0 {
		t.Errorf("an ARG change kept the cache: %d cached", cached)
	}
	if _, err := b.Build(context.Background(), Options{Dockerfile: []byte(df), Tags: []string{"Bad:Tag"}}, nil); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad tag: %v", err)
	}
}

func TestExposedPorts(t *testing.T) {
	got, err := exposedPorts([]string{"80", "53/UDP", "8000-8002/tcp"})
	if err != nil || strings.Join(sortedKeys(got), " ") != "53/udp 80/tcp 8000/tcp 8001/tcp 8002/tcp" {
		t.Errorf("%v %v", sortedKeys(got), err)
	}
	for _, bad := range []string{"0", "x", "70000", "90-80", "80-"} {
		if _, err := exposedPorts([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestIsArchive(t *testing.T) {
	dir := t.TempDir()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	_ = tw.WriteHeader(&tar.Header{Name: "f", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(tb.Bytes())
	_ = zw.Close()
	for name, tc := range map[string]struct {
		body []byte
		want bool
	}{"a.tar": {tb.Bytes(), true}, "a.tgz": {gz.Bytes(), true}, "plain.txt": {[]byte("just text\n"), false},
		"fake.tar.gz": {[]byte("\x1f\x8b not really"), false}} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, tc.body, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := isArchive(p); got != tc.want {
			t.Errorf("%s: isArchive %v, want %v", name, got, tc.want)
		}
		if got := IsArchive(tc.body); got != tc.want {
			t.Errorf("%s: IsArchive %v", name, got)
		}
	}
	if IsArchive([]byte("FROM busybox\nRUN true\n")) || IsArchive(nil) {
		t.Error("a Dockerfile is an archive")
	}
}

// FuzzParseDockerfile feeds any text to the parse step: it must answer
// with stages or an error naming the Dockerfile, never panic.
func FuzzParseDockerfile(f *testing.F) {
	for _, seed := range []string{
		"FROM busybox\nRUN echo hi\n", "ARG B=busybox\nFROM ${B} AS x\nCOPY --from=x /a /b\n",
		"# escape=`\nFROM scratch\nENV A=1 `\n B=2\n", "FROM scratch\nHEALTHCHECK --interval=1s CMD true\n",
		"FROM a\nONBUILD RUN x\nEXPOSE 80/udp\n", "FROM\n", "RUN <<EOF\nx\nEOF\n",
	} {
		f.Add(seed, "")
	}
	f.Fuzz(func(t *testing.T, dockerfile, target string) {
		bd := &build{Builder: &Builder{}, opts: Options{Dockerfile: []byte(dockerfile), Target: target},
			name: "Dockerfile", usedArgs: map[string]bool{}}
		if _, err := bd.parse(); err != nil && !strings.Contains(err.Error(), "Dockerfile") && !strings.Contains(err.Error(), "target stage") {
			t.Errorf("error without the file's name: %v", err)
		}
	})
}

// TestExposeExpands checks EXPOSE expands variables as Docker does, one
// word into several when its value has spaces.
func TestExposeExpands(t *testing.T) {
	b := newBuilder(t)
	df := "FROM scratch\nARG P\nENV Q=9000\nEXPOSE $P ${Q}/udp ${UNSET:-8080}\n"
	img, err := b.Build(context.Background(), Options{Dockerfile: []byte(df), BuildArgs: map[string]string{"P": "80 81/udp"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sortedKeys(img.Config.Config.ExposedPorts), " "); got != "80/tcp 8080/tcp 81/udp 9000/udp" {
		t.Errorf("exposed %q", got)
	}
}

// TestPlatformArgs checks BuildKit's automatic platform ARGs: a bare ARG
// TARGETPLATFORM (in a stage or global) takes the host's platform, an
// undeclared one is not in scope, a global one does not reach a stage that
// does not declare it, and --build-arg still wins.
func TestPlatformArgs(t *testing.T) {
	b := newBuilder(t)
	df := "ARG TARGETARCH\nARG BUILDOS\nFROM scratch\nARG TARGETPLATFORM\nARG BUILDOS\nARG TARGETOS\n" +
		"ENV P=$TARGETPLATFORM O=$BUILDOS T=$TARGETOS A=${TARGETARCH:-unset} V=${TARGETVARIANT:-none}\n"
	img, err := b.Build(context.Background(), Options{Dockerfile: []byte(df), BuildArgs: map[string]string{"TARGETOS": "given"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "P=linux/" + runtime.GOARCH + " O=linux T=given A=unset V=none"
	if got := strings.Join(img.Config.Config.Env, " "); got != want {
		t.Errorf("env %q, want %q", got, want)
	}
}

// sortedKeys lists a set's members in order.
func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
