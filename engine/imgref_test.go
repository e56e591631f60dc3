package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"

	"berth/engine"
	"berth/images"
)

// rmiHelper is a second berth process that removes busybox with force and
// loads it again from $BERTH_TEST_TAR, until its standard input closes.
func rmiHelper() int {
	e, err := engine.New(engine.Options{Root: os.Getenv("BERTH_TEST_ROOT"), MonitorPath: "/nonexistent", InitPath: "/nonexistent"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer e.Close()
	stop := make(chan struct{})
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		close(stop)
	}()
	ctx := context.Background()
	inUse := func(id string) ([]images.User, error) {
		users, err := e.ImageUsers(ctx, id)
		out := make([]images.User, len(users))
		for i, u := range users {
			out[i] = images.User{ID: u}
		}
		return out, err
	}
	for {
		if _, err := e.Images().Remove(ctx, "busybox", true, inUse); err != nil && !errdefs.IsNotFound(err) {
			fmt.Fprintln(os.Stderr, "rmi:", err)
			return 1
		}
		f, err := os.Open(os.Getenv("BERTH_TEST_TAR"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		_, err = e.Images().Load(ctx, f, func(string) {})
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return 1
		}
		select {
		case <-stop:
			return 0
		case <-time.After(20 * time.Millisecond): // leave the image there a while
		}
	}
}

// Containers made while another process removes their image either fail
// cleanly with "not found" or work, now and after the next garbage collection.
func TestCreateRacesRmiInAnotherProcess(t *testing.T) {
	root := t.TempDir()
	e := openEngine(t, root, true)
	ctx := context.Background()
	tarPath := filepath.Join(t.TempDir(), "busybox.tar")
	saveImage(t, e, tarPath)
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), "BERTH_TEST_HELPER=rmi", "BERTH_TEST_ROOT="+root, "BERTH_TEST_TAR="+tarPath)
	helper.Stderr = os.Stderr
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	var made []string
	notFound := 0
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < 60 && time.Now().Before(deadline); i++ {
		c, err := e.Create(ctx, engine.CreateOptions{Config: engine.Config{Image: "busybox", Cmd: []string{"true"}}})
		if errdefs.IsNotFound(err) {
			notFound++
			continue
		}
		if err != nil {
			t.Errorf("run %d: create: %v", i, err)
			continue
		}
		made = append(made, c.ID)
		runTrue(t, e, c.ID)
	}
	stdin.Close()
	if err := helper.Wait(); err != nil {
		t.Fatalf("rmi helper: %v", err)
	}
	t.Logf("%d containers made, %d runs found no image", len(made), notFound)
	// A last removal collects every layer no image and no container holds.
	if _, err := e.Images().Remove(ctx, "busybox", true, nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range made {
		c, err := e.Inspect(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Images().Resolve(c.Image); err != nil {
			t.Errorf("container %s: its image %s: %v", id[:12], c.Image, err)
		}
		runTrue(t, e, id)
	}
}

// saveImage writes busybox to a tarball at path.
func saveImage(t *testing.T, e *engine.Engine, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := e.Images().Save(context.Background(), f, []string{"busybox"}); err != nil {
		t.Fatal(err)
	}
}

// runTrue starts a container running true and checks that it exits 0.
func runTrue(t *testing.T, e *engine.Engine, id string) {
	t.Helper()
	ctx := context.Background()
	if err := e.Start(ctx, id, engine.StartOptions{}); err != nil {
		t.Errorf("start %s: %v", id[:12], err)
		return
	}
	code, err := e.Wait(ctx, id)
	if err != nil || code != 0 {
		t.Errorf("container %s: exit %d, %v", id[:12], code, err)
	}
}

// A create killed between referencing its image and storing its record leaves
// a reference without a container: the next engine open drops it, so the
// image can be removed at once, while a stored container's reference stays.
func TestOpenReleasesReferencesOfKilledCreates(t *testing.T) {
	root := t.TempDir()
	e := openEngine(t, root, true)
	ctx := context.Background()
	if _, err := e.Images().Acquire(ctx, "busybox", strings.Repeat("de", 32)); err != nil {
		t.Fatal(err)
	}
	var inUse images.UsersFunc // no container in the store uses it
	if _, err := e.Images().Remove(ctx, "busybox", false, inUse); !errdefs.IsConflict(err) {
		t.Fatalf("rmi with a reference held: %v; want a conflict", err)
	}
	next := openEngine(t, root, false)
	if _, err := next.Images().Remove(ctx, "busybox", false, inUse); err != nil {
		t.Fatalf("rmi after the next open: %v", err)
	}
	// A stored container keeps its reference across opens.
	if _, err := next.Images().Bootstrap(ctx, "busybox", func(string) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := next.Create(ctx, engine.CreateOptions{Config: engine.Config{Image: "busybox", Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	third := openEngine(t, root, false)
	if _, err := third.Images().Remove(ctx, "busybox", false, inUse); !errdefs.IsConflict(err) {
		t.Errorf("rmi of a stored container's image after an open: %v; want a conflict", err)
	}
}
