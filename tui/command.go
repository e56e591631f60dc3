package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"

	"berth/views/runform"
)

// CLI runs a berth verb (args, without "berth") in this process over the
// UI's engine and returns its exit code; cmd/berth provides it. No berth
// subprocess is started.
type CLI func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// outputMsg is the output of a `:` command.
type outputMsg struct {
	line string
	out  string
	err  error
}

// runCommandLine runs a berth CLI verb typed after `:` through opts.CLI:
// interactive ones (-i/-t, -f, attach, events) take over the terminal with
// tea.Exec, the others run in the background and their output shows in an
// overlay.
func (m *Model) runCommandLine(line string) tea.Cmd {
	args, err := splitArgs(line)
	if err != nil {
		m.setBanner(err)
		return nil
	}
	if len(args) > 0 && args[0] == "berth" {
		args = args[1:]
	}
	if len(args) == 0 {
		return nil
	}
	if len(args) == 1 && (args[0] == "q" || args[0] == "quit") {
		return m.quit()
	}
	if m.opts.CLI == nil {
		m.setBanner(errors.New("berth commands are not available in this UI"))
		return nil
	}
	m.logCommand("berth " + strings.Join(args, " "))
	if interactive(args) {
		c := &cliCmd{ctx: m.ctx, run: m.opts.CLI, args: args}
		return tea.Exec(c, func(err error) tea.Msg { return execDoneMsg{name: args[0], verb: "berth", err: err} })
	}
	m.output.SetLines("out", []string{"$ berth " + line, "  running…"})
	m.overlay = overlayOutput
	ctx, run := m.ctx, m.opts.CLI
	return func() tea.Msg {
		cctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		var out lockedBuffer
		err := exitErr(run(cctx, args, strings.NewReader(""), &out, &out))
		return outputMsg{line: line, out: out.String(), err: err}
	}
}

// cliCmd is a tea.ExecCommand that runs a berth verb on the terminal Bubble
// Tea lends it.
type cliCmd struct {
	ctx         context.Context
	run         CLI
	args        []string
	in          io.Reader
	out, errOut io.Writer
}

// SetStdin sets the terminal's input.
func (c *cliCmd) SetStdin(r io.Reader) { c.in = r }

// SetStdout sets the terminal's output.
func (c *cliCmd) SetStdout(w io.Writer) { c.out = w }

// SetStderr sets where errors go.
func (c *cliCmd) SetStderr(w io.Writer) { c.errOut = w }

// Run runs the verb; an exit code other than 0 is an error.
func (c *cliCmd) Run() error { return exitErr(c.run(c.ctx, c.args, c.in, c.out, c.errOut)) }

// exitErr is nil for exit code 0, else an error saying the code.
func exitErr(code int) error {
	if code == 0 {
		return nil
	}
	return fmt.Errorf("exit status %d", code)
}

// lockedBuffer collects a verb's stdout and stderr, which it may write from
// several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
