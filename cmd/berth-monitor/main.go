// Command berth-monitor is the per-container monitor of berth: started detached
// by the engine with the path of its config file, it stays the parent of the
// container's init for the container's whole life (see package monitor). When
// libcontainer re-executes it as "init" it becomes the container's init instead;
// started by a monitor as "health CONFIG" it runs one health check of the
// container (see monitor.RunProbe). Started as a spare (BERTH_SPARE_FD), it
// waits for the engine to hand it its config (see monitor.AwaitHandover).
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"

	"berth/cmd/internal/prefault"
	_ "berth/cmd/internal/prefault/containerinit"
	"berth/engine/monitor"
	"berth/engine/runner"
)

// The main goroutine stays on the main thread from the start: a monitor's
// output signals are queued to that thread (see monitor.Run), and a spare
// runs code and waits before it gets there, where the goroutine could
// otherwise have moved to another thread.
func init() { runtime.LockOSThread() }

func main() {
	if runner.IsInit() {
		runner.Init()
	}
	if monitor.IsProbe() {
		runner.QuietLogs(io.Discard) // stderr is the check's output
		cfg, err := monitor.ReadConfig(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "berth-monitor:", err)
			os.Exit(1)
		}
		os.Exit(monitor.RunProbe(cfg, os.NewFile(3, "status")))
	}
	var ready *os.File
	if os.Getenv(monitor.SpareEnv) == "3" {
		// A spare: started ahead of its container, it gets its config here.
		os.Unsetenv(monitor.SpareEnv)
		runner.Warm() // while it waits: the creation's code paths and caches
		monitor.Warm()
		prefault.Map(prefault.Spare()) // the heap its creation fills
		cfgPath, r, ok := monitor.AwaitHandover(os.NewFile(3, "handover"))
		if !ok {
			os.Exit(0)
		}
		if len(os.Args) == 2 {
			monitor.NameConfig(os.Args[1], cfgPath)
		}
		os.Args, ready = []string{os.Args[0], cfgPath}, r // as if started with it (the lean shape re-executes os.Args)
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: berth-monitor CONFIG.json (started by berth, not by hand)")
		os.Exit(2)
	}
	runner.QuietLogs(os.Stderr)
	cfg, err := monitor.ReadConfig(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-monitor:", err)
		os.Exit(1)
	}
	if os.Getenv("BERTH_READY_FD") == "3" {
		ready = os.NewFile(3, "ready")
	}
	os.Exit(monitor.Run(cfg, ready))
}
