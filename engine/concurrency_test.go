package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/errdefs"

	"berth/engine"
)

// helperMain is a second berth process for the concurrency test: it creates
// containers in the root it is given and reports how the shared name went.
func helperMain() int {
	if os.Getenv("BERTH_TEST_HELPER") == "rmi" {
		return rmiHelper()
	}
	root, prefix := os.Getenv("BERTH_TEST_ROOT"), os.Getenv("BERTH_TEST_PREFIX")
	e, err := engine.New(engine.Options{Root: root, MonitorPath: "/nonexistent", InitPath: "/nonexistent"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer e.Close()
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		o := engine.CreateOptions{Name: fmt.Sprintf("%s-%d", prefix, i), Config: engine.Config{Image: "busybox", Cmd: []string{"true"}}}
		if _, err := e.Create(ctx, o); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	_, err = e.Create(ctx, engine.CreateOptions{Name: "shared", Config: engine.Config{Image: "busybox", Cmd: []string{"true"}}})
	switch {
	case err == nil:
		fmt.Println("shared-ok")
	case errdefs.IsAlreadyExists(err):
		fmt.Println("shared-taken")
	default:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestTwoProcessesCreateConcurrently(t *testing.T) {
	root := t.TempDir()
	e := openEngine(t, root, true)
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "BERTH_TEST_HELPER=1", "BERTH_TEST_ROOT="+root, fmt.Sprintf("BERTH_TEST_PREFIX=p%d", i))
			out, err := cmd.Output()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("helper %d: %v", i, err)
		}
	}
	joined := outs[0] + outs[1]
	if strings.Count(joined, "shared-ok") != 1 || strings.Count(joined, "shared-taken") != 1 {
		t.Errorf("shared name outcome: %q", joined)
	}
	cs, err := e.List(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range cs {
		if names[c.Name] {
			t.Errorf("duplicate name %s", c.Name)
		}
		names[c.Name] = true
	}
	if len(cs) != 21 {
		t.Errorf("containers: %d, want 21", len(cs))
	}
	dirs, _ := os.ReadDir(filepath.Join(root, "containers"))
	if len(dirs) != 21 {
		t.Errorf("container dirs: %d, want 21 (a failed create left one behind?)", len(dirs))
	}
}
