// Command berth-init is the minimal init that `berth run --init` puts at
// /sbin/docker-init inside a container, as Docker's --init does with tini: it
// runs the command as its child, forwards signals to it, reaps every zombie
// (orphans re-parent to PID 1) and exits with the command's exit code. It is
// built static (no cgo) so that it runs in any image.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "berth-init: usage: berth-init -- COMMAND [ARG...]")
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: false}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "berth-init:", err)
		if os.IsNotExist(err) || err == exec.ErrNotFound {
			return 127
		}
		return 126
	}
	child := cmd.Process.Pid
	for s := range sigs {
		sig := s.(syscall.Signal)
		if sig != syscall.SIGCHLD {
			_ = syscall.Kill(child, sig)
			continue
		}
		if code, done := reap(child); done {
			return code
		}
	}
	return 0
}

// reap collects every exited child; it reports the command's exit code once
// the command itself has exited.
func reap(child int) (int, bool) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err != nil || pid <= 0 {
			return 0, false
		}
		if pid == child {
			if ws.Signaled() {
				return 128 + int(ws.Signal()), true
			}
			return ws.ExitStatus(), true
		}
	}
}
