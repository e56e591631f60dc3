// Package testroots lets test harnesses clean up after test processes that
// were killed (go test's -timeout, a SIGKILL): such a process leaves its data
// roots with running containers, their monitors, cgroups, network
// namespaces, bridges, veths and nftables tables.
//
// A harness marks each data root it makes with Mark, which records the test
// process (its PID and start time) in the root. Before its tests run, it
// calls Sweep: every marked root whose test process is gone is reset with
// the engine's own system reset (every container removed by force, every
// network removed) and then deleted. A root whose process still runs, and
// anything without the mark, is never touched.
package testroots

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"berth/engine"
)

// MarkName is the file, in a data root, that names the test process that
// made it: "PID STARTTIME" (the start time in clock ticks since boot, field
// 22 of /proc/PID/stat, so that a reused PID is not taken for the owner).
const MarkName = ".berth-test-owner"

// Mark records the current process as the maker of the data root dir
// (creating dir when needed).
func Mark(dir string) error {
	start, err := startTime(os.Getpid())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("mark test root: %w", err)
	}
	mark := fmt.Sprintf("%d %d\n", os.Getpid(), start)
	if err := os.WriteFile(filepath.Join(dir, MarkName), []byte(mark), 0o600); err != nil {
		return fmt.Errorf("mark test root: %w", err)
	}
	return nil
}

// startTime is field 22 of /proc/PID/stat.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command (field 2) may hold spaces and parentheses: the fields
	// after it start past its last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// ownerAlive reports whether the process a mark names still runs.
func ownerAlive(mark []byte) (bool, error) {
	var pid int
	var start uint64
	if _, err := fmt.Sscanf(string(mark), "%d %d", &pid, &start); err != nil || pid <= 0 {
		return false, fmt.Errorf("malformed mark %q", strings.TrimSpace(string(mark)))
	}
	now, err := startTime(pid)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, err // unsure: leave it
	}
	return now == start, nil
}

// Options say where Sweep looks and how it opens an engine on a root.
type Options struct {
	// Dir is where the harnesses' temporary directories are (os.TempDir()
	// when empty); marked roots are looked for up to two levels below it,
	// as t.TempDir() makes them (DIR/TestName123/001).
	Dir string
	// MonitorPath and InitPath are the binaries the engine is opened with.
	MonitorPath, InitPath string
}

// SweepKilled is what a harness's TestMain runs before its tests: Sweep
// with the engine binaries in binDir, each root it reset and any error told
// on w (a sweep that fails does not stop the tests).
func SweepKilled(binDir string, w io.Writer) {
	swept, err := Sweep(context.Background(), Options{
		MonitorPath: filepath.Join(binDir, "berth-monitor"), InitPath: filepath.Join(binDir, "berth-init")})
	for _, r := range swept {
		fmt.Fprintln(w, "reset the data root of a killed test process:", r)
	}
	if err != nil {
		fmt.Fprintln(w, "sweep of killed tests' data roots:", err)
	}
}

// Sweep resets and deletes the marked data roots under o.Dir whose test
// process is gone, and returns the roots it reset. A root it could not
// reset whole is left on disk and reported in the error.
func Sweep(ctx context.Context, o Options) ([]string, error) {
	dir := o.Dir
	if dir == "" {
		dir = os.TempDir()
	}
	var marks []string
	for _, pattern := range []string{"*", "*/*"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern, MarkName))
		if err != nil {
			return nil, fmt.Errorf("sweep test roots: %w", err)
		}
		marks = append(marks, m...)
	}
	var swept []string
	var errs []error
	for _, m := range marks {
		ok, err := sweepOne(ctx, m, o)
		if err != nil {
			errs = append(errs, fmt.Errorf("test root %s: %w", filepath.Dir(m), err))
		}
		if ok {
			swept = append(swept, filepath.Dir(m))
		}
	}
	return swept, errors.Join(errs...)
}

// sweepOne resets the root of mark if its test process is gone. The mark
// is held locked meanwhile, so that two harnesses sweeping at once (go test
// runs packages side by side) do not both reset one root.
func sweepOne(ctx context.Context, mark string, o Options) (bool, error) {
	f, err := os.Open(mark)
	if err != nil {
		return false, nil // gone meanwhile (its test ended)
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return false, nil // another harness is at it
	}
	b, err := os.ReadFile(mark)
	if err != nil {
		return false, nil // swept meanwhile
	}
	if alive, err := ownerAlive(b); alive || err != nil {
		return false, nil
	}
	if err := reset(ctx, filepath.Dir(mark), o); err != nil {
		return false, err
	}
	return true, nil
}

// reset does system reset on root, then deletes it (and the directory
// t.TempDir made for it, once empty).
func reset(ctx context.Context, root string, o Options) error {
	e, err := engine.New(engine.Options{Root: root, MonitorPath: o.MonitorPath, InitPath: o.InitPath})
	if err != nil {
		return err
	}
	cs, err := e.List(ctx, true)
	if err == nil {
		for _, c := range cs {
			if rerr := e.Remove(ctx, c.ID, engine.RemoveOptions{Force: true, Volumes: true}); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}
	if nerr := e.RemoveAllNetworks(ctx); nerr != nil {
		err = errors.Join(err, nerr)
	}
	e.Close()
	if err != nil {
		return err
	}
	if left := mountsUnder(root); len(left) > 0 {
		// Never delete through a mount: leave the root to a later sweep.
		return fmt.Errorf("mounts left after reset: %s", strings.Join(left, " "))
	}
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	_ = unix.Rmdir(filepath.Dir(root)) // t.TempDir's parent, once empty
	return nil
}

// mountsUnder lists the mount points at or below dir.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return []string{"(mountinfo unreadable)"}
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
