// Command berth-monitor is the per-container monitor of berth: started detached
// by the engine with the path of its config file, it stays the parent of the
// container's init for the container's whole life (see package monitor). When
// libcontainer re-executes it as "init" it becomes the container's init instead;
// started by a monitor as "health CONFIG" it runs one health check of the
// container (see monitor.RunProbe).
package main

import (
	"fmt"
	"io"
	"os"

	"berth/engine/monitor"
	"berth/engine/runner"
)

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
	var ready *os.File
	if os.Getenv("BERTH_READY_FD") == "3" {
		ready = os.NewFile(3, "ready")
	}
	os.Exit(monitor.Run(cfg, ready))
}
