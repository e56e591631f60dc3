package monitor

import (
	"strconv"
	"strings"
)

// Docker's exit codes for a container whose command cannot be run.
const (
	ExitNotFound      = 127 // no such command
	ExitNotExecutable = 126 // the command is not executable
	ExitStartFailed   = 128 // the container could not start for another reason
)

// CommandFailure reads msg, the error of a failed start, for the container's
// init failing to find or execute cmd (runc looks the command up inside the
// container, its mounts in place, as os/exec.LookPath does, and reports
// `exec: "cmd": …`). It returns docker's exit code for that failure and the
// part of msg that tells it; ok is false for any other failure.
func CommandFailure(msg, cmd string) (code int, text string, ok bool) {
	i := strings.Index(msg, "exec: "+strconv.Quote(cmd)+": ")
	if i < 0 {
		return ExitStartFailed, "", false
	}
	// os/exec says `exec: "/x": stat /x: no such file or directory`: name it once.
	text = strings.Replace(msg[i:], ": stat "+cmd+": ", ": ", 1)
	switch {
	case strings.Contains(text, "permission denied"), strings.Contains(text, "is a directory"):
		return ExitNotExecutable, text, true
	case strings.Contains(text, "executable file not found"), strings.Contains(text, "no such file or directory"),
		strings.Contains(text, "not a directory"):
		return ExitNotFound, text, true
	}
	return ExitStartFailed, "", false
}
