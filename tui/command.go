package tui

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"berth/views/runform"
)

// outputMsg is the output of a `:` command.
type outputMsg struct {
	line string
	out  string
	err  error
}

// runCommandLine runs a berth CLI verb typed after `:` by executing the berth
// binary with --root: interactive ones (-i/-t, -f, attach, events) take over
// the terminal with tea.Exec, the others run in the background and their
// output shows in an overlay.
func (m *Model) runCommandLine(line string) tea.Cmd {
	args, err := splitArgs(line)
	if err != nil {
		m.setBanner(err)
		return nil
	}
	if len(args) == 0 {
		return nil
	}
	if args[0] == "berth" {
		args = args[1:]
	}
	if len(args) == 1 && (args[0] == "q" || args[0] == "quit") {
		return m.quit()
	}
	if len(args) == 0 {
		return nil
	}
	m.logCommand("berth " + strings.Join(args, " "))
	full := append([]string{"--root", m.eng.Root()}, args...)
	if interactive(args) {
		c := exec.Command(m.opts.Exe, full...)
		return tea.ExecProcess(c, func(err error) tea.Msg { return execDoneMsg{name: args[0], err: err} })
	}
	m.output.SetLines("out", []string{"$ berth " + line, "  running…"})
	m.overlay = overlayOutput
	ctx, exe := m.ctx, m.opts.Exe
	return func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		out, err := exec.CommandContext(cctx, exe, full...).CombinedOutput()
		return outputMsg{line: line, out: string(out), err: err}
	}
}

// interactive reports whether a berth command needs the terminal.
func interactive(args []string) bool {
	if args[0] == "attach" || args[0] == "events" {
		return true
	}
	return slices.ContainsFunc(args[1:], func(a string) bool {
		switch a {
		case "-i", "-t", "-it", "-ti", "--interactive", "--tty", "-f", "--follow":
			return true
		case "-a", "--attach":
			return args[0] == "start"
		}
		return false
	}) || (args[0] == "run" && !slices.Contains(args, "-d") && !slices.Contains(args, "--detach"))
}

func (m *Model) onOutput(msg outputMsg) tea.Cmd {
	head := "$ berth " + msg.line
	text := msg.out
	if msg.err != nil {
		text += fmt.Sprintf("\n[%v]", msg.err)
	}
	m.output.SetText("out", head+"\n"+text)
	return tea.Batch(m.refresh(), m.refreshImages())
}

// splitArgs splits a command line into words as a shell would (see
// runform.SplitArgs).
func splitArgs(s string) ([]string, error) { return runform.SplitArgs(s) }
