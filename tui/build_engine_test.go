package tui

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"berth/engine"
)

// TestBuildFromTheUI builds a Dockerfile from a temporary directory through
// the UI on a real engine: the view shows the steps and their output, the
// image is stored and listed on the Images panel. A second build, cancelled
// with esc while its RUN sleeps, leaves no container, mount, cgroup or image.
func TestBuildFromTheUI(t *testing.T) {
	e := realEngine(t)
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hello.txt", "hello from the context\n")
	write("Dockerfile", "FROM busybox\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo built-by-the-tui\nCMD [\"cat\", \"/hello.txt\"]\n")
	write("Dockerfile.sleep", "FROM busybox\nRUN echo about to sleep && sleep 1000\n")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{Model: New(ctx, e, Options{})}
	tm := teatest.NewTestModel(t, rec, teatest.WithInitialTermSize(120, 40))
	form := func(file, tag string) {
		tm.Send(press("b"))
		screenHas(t, rec, "Build an image")
		tm.Type(dir)
		tm.Send(press("tab"))
		tm.Type(file)
		tm.Send(press("tab"))
		tm.Type(tag)
		tm.Send(press("enter"))
	}
	tm.Send(press("2"))
	screenHas(t, rec, "Images 1", "busybox")
	form("", "tuibuild:1")
	screenHas(t, rec, "Build of tuibuild:1", "[1/3] COPY hello.txt /hello.txt", "[2/3] RUN cat /hello.txt && echo built-by-the-tui", "tagged tuibuild:1")
	if _, err := e.InspectImage(ctx, "tuibuild:1"); err != nil {
		t.Fatalf("the built image is not stored: %v", err)
	}
	tm.Send(press("esc"))
	screenHas(t, rec, "Images 2", "tuibuild")
	form("", "tuibuild:2") // the same steps again come from the cache
	screenHas(t, rec, "Build of tuibuild:2", "[2/3] RUN cat /hello.txt && echo built-by-the-tui", "CACHED", "tagged tuibuild:2")
	tm.Send(press("esc"))

	before := strings.Join(mountsUnder(t, e.Root()), "\n") // the engine's own (netns)
	form("Dockerfile.sleep", "tuisleep:1")
	screenHas(t, rec, "Building tuisleep:1", "about to sleep")
	// The step's title names the command before its container exists: wait
	// for the container (bounded), not for the text.
	var cs []*engine.Container
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cs, err = e.List(ctx, true); err != nil || len(cs) > 0 {
			break
		}
	}
	if err != nil || len(cs) != 1 {
		t.Fatalf("want the RUN step's container while it sleeps, got %d (%v)", len(cs), err)
	}
	id := cs[0].ID
	tm.Send(press("esc"))
	screenHas(t, rec, "build of tuisleep:1 cancelled; nothing was left behind")
	if cs, err := e.List(ctx, true); err != nil || len(cs) != 0 {
		t.Errorf("containers left after the cancel: %d (%v)", len(cs), err)
	}
	if _, err := e.InspectImage(ctx, "tuisleep:1"); err == nil {
		t.Error("a cancelled build was tagged")
	}
	if ms := strings.Join(mountsUnder(t, e.Root()), "\n"); ms != before {
		t.Errorf("mounts after the cancel:\n%s\nbefore it:\n%s", ms, before)
	}
	cgs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", engine.CgroupPath(id)))
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", engine.CgroupPath(id))); err == nil || len(cgs) > 0 {
		t.Errorf("the step's cgroup is left: %q", cgs)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.Root(), "build")); len(ents) > 0 {
		t.Errorf("build mounts left: %d", len(ents))
	}
	if rep, err := e.Check(ctx, false); err != nil || rep.Remaining() > 0 {
		t.Errorf("system check after the cancel: %+v (%v)", rep, err)
	}
	imgs, _ := e.ListImages(ctx, engine.ImageListOptions{})
	for _, img := range imgs {
		for _, tag := range img.RepoTags {
			if strings.HasPrefix(tag, "tuisleep") {
				t.Errorf("image %s left", tag)
			}
		}
	}
	tm.Send(press("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

// mountsUnder lists the mount points of /proc/self/mountinfo under root.
func mountsUnder(t *testing.T, root string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) > 4 && strings.HasPrefix(fs[4], root+"/") {
			out = append(out, fs[4])
		}
	}
	return out
}
