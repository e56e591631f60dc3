package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"berth/engine"
	"berth/views/containers"
	"berth/views/dialog"
	"berth/views/imagelist"
)

// actionMsg is the result of an action on containers or images.
type actionMsg struct {
	verb string
	ids  []string
	err  error
	info string
}

// execDoneMsg ends an exec session run with tea.Exec.
type execDoneMsg struct {
	name string
	verb string // "exec in" when empty
	err  error
}

// pending is the action a dialog is asking about.
type pending struct {
	verb string
	ids  []string
	name string
}

// actionTimeout bounds the action on one container (stop waits up to its
// stop timeout); each container of a batch has its own.
const actionTimeout = 2 * time.Minute

// actionParallel is how many containers of a batch are worked on at once.
const actionParallel = 4

// signals offered by K.
var signals = []string{"SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"}

func (m *Model) actionKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	km := m.keys
	if m.panel == panelImages {
		switch {
		case key.Matches(k, km.Remove):
			return m.askRemoveImages(), true
		case key.Matches(k, km.Run):
			return m.openRunForm(), true
		case key.Matches(k, km.Pull):
			return m.askPull(), true
		case key.Matches(k, km.Build):
			return m.openBuildForm(), true
		}
		return nil, false
	}
	if m.panel == panelNetworks {
		return m.networkKey(k)
	}
	if m.panel == panelVolumes {
		return m.volumeKey(k)
	}
	if m.panel != panelContainers {
		return nil, false
	}
	if key.Matches(k, km.Run) {
		return m.openRunForm(), true
	}
	ts := m.ctrs.Targets()
	if len(ts) == 0 && !key.Matches(k, km.Prune) {
		return nil, false
	}
	switch {
	case key.Matches(k, km.Start):
		return m.run("start", ts), true
	case key.Matches(k, km.Stop):
		return m.run("stop", ts), true
	case key.Matches(k, km.Restart):
		return m.run("restart", ts), true
	case key.Matches(k, km.Pause):
		if ts[0].State == "paused" {
			return m.run("unpause", ts), true
		}
		return m.run("pause", ts), true
	case key.Matches(k, km.Kill):
		d := dialog.NewChoice("Kill "+containers.Names(ts)+" with", signals)
		m.openDialog(d, pending{verb: "kill", ids: ids(ts)})
	case key.Matches(k, km.Remove):
		m.askRemove(ts)
	case key.Matches(k, km.Exec):
		return m.execShell(ts[0]), true
	case key.Matches(k, km.Attach):
		return m.attach(ts[0]), true
	case key.Matches(k, km.Rename):
		d, cmd := dialog.NewPrompt("Rename "+ts[0].Name, ts[0].Name, engine.ValidateName)
		m.openDialog(d, pending{verb: "rename", ids: []string{ts[0].ID}, name: ts[0].Name})
		return cmd, true
	case key.Matches(k, km.Prune):
		m.askPrune()
	default:
		return nil, false
	}
	return nil, true
}

func ids(rows []containers.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

func (m *Model) openDialog(d dialog.Model, p pending) {
	m.dialog, m.pending = &d, p
}

func (m *Model) askRemove(ts []containers.Row) {
	lines := []string{"These containers, their logs and root filesystems go:"}
	for _, r := range ts {
		l := "  " + r.Name
		if r.Running() {
			l += " (running: killed first)"
		}
		lines = append(lines, l)
	}
	m.openDialog(dialog.NewConfirm(fmt.Sprintf("Remove %d container(s)?", len(ts)), lines), pending{verb: "rm", ids: ids(ts)})
}

func (m *Model) askPrune() {
	var gone []containers.Row
	for _, r := range m.ctrs.Rows() {
		if !r.Running() {
			gone = append(gone, r)
		}
	}
	lines := []string{"Every container that is not running goes:"}
	for i, r := range gone {
		if i == 12 {
			lines = append(lines, fmt.Sprintf("  … and %d more", len(gone)-i))
			break
		}
		lines = append(lines, "  "+r.Name+"  "+r.State)
	}
	if len(gone) == 0 {
		lines = []string{"No stopped containers: nothing to prune."}
	}
	m.openDialog(dialog.NewConfirm(fmt.Sprintf("Prune %d stopped container(s)?", len(gone)), lines), pending{verb: "prune"})
}

func (m *Model) askRemoveImages() tea.Cmd {
	ts := m.imgs.Targets()
	if len(ts) == 0 {
		return nil
	}
	lines := []string{"Remove these images (refused while a container uses one):"}
	var refs []string
	for _, img := range ts {
		lines = append(lines, "  "+imagelist.Name(img)+"  "+imagelist.ShortID(img.ID))
		ref := img.ID
		if len(img.RepoTags) > 0 {
			ref = img.RepoTags[0]
		}
		refs = append(refs, ref)
	}
	m.openDialog(dialog.NewConfirm(fmt.Sprintf("Remove %d image(s)?", len(ts)), lines), pending{verb: "rmi", ids: refs})
	return nil
}

func (m *Model) updateDialog(msg tea.Msg) tea.Cmd {
	d, cmd, res := m.dialog.Update(msg)
	m.dialog = &d
	if !res.Done {
		return cmd
	}
	m.dialog = nil
	if !res.Accepted {
		return nil
	}
	p := m.pending
	switch p.verb {
	case "kill":
		return m.runIDs("kill", p.ids, res.Value)
	case "rename":
		m.logCommand("berth rename " + p.name + " " + res.Value)
		return m.doOn("rename", p.ids, func(ctx context.Context, id string) error {
			return m.eng.Rename(ctx, id, res.Value)
		})
	case "rm", "prune", "rmi":
		return m.runIDs(p.verb, p.ids, "")
	case "pull":
		return m.startPull(res.Value)
	case "netrm", "netprune":
		return m.runNetworkAction(p)
	case "volrm", "volprune":
		return m.runVolumeAction(p)
	}
	return nil
}

// run applies verb to the rows.
func (m *Model) run(verb string, rows []containers.Row) tea.Cmd {
	return m.runIDs(verb, ids(rows), "")
}

// runIDs logs the equivalent CLI command and runs the action in a tea.Cmd.
func (m *Model) runIDs(verb string, ids []string, arg string) tea.Cmd {
	eng := m.eng
	names := m.names(ids)
	switch verb {
	case "kill":
		m.logCommand("berth kill -s " + arg + " " + names)
		return m.doOn(verb, ids, func(ctx context.Context, id string) error { return eng.Kill(ctx, id, arg) })
	case "rm":
		m.logCommand("berth rm -f " + names)
		return m.doOn(verb, ids, func(ctx context.Context, id string) error {
			return eng.Remove(ctx, id, engine.RemoveOptions{Force: true})
		})
	case "prune":
		m.logCommand("berth container prune -f")
		parent := m.ctx
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(parent, actionTimeout)
			defer cancel()
			rep, err := eng.PruneContainers(ctx, engine.PruneFilters{})
			return actionMsg{verb: "prune", err: err, info: fmt.Sprintf("pruned %d container(s)", len(rep.ContainersDeleted))}
		}
	case "rmi":
		return m.removeImages(ids)
	}
	m.logCommand("berth " + verb + " " + names)
	return m.doOn(verb, ids, func(ctx context.Context, id string) error {
		switch verb {
		case "start":
			return eng.Start(ctx, id, engine.StartOptions{})
		case "stop":
			return eng.Stop(ctx, id, engine.StopOptions{})
		case "restart":
			return eng.Restart(ctx, id, engine.StopOptions{})
		case "pause":
			return eng.Pause(ctx, id)
		case "unpause":
			return eng.Unpause(ctx, id)
		}
		return fmt.Errorf("unknown action %q", verb)
	})
}

func (m *Model) removeImages(refs []string) tea.Cmd {
	st := m.opts.Images
	if st == nil {
		return nil
	}
	m.logCommand("berth rmi " + strings.Join(refs, " "))
	return doAction(m.ctx, "rmi", refs, func(ctx context.Context, ref string) error {
		_, err := st.Remove(ctx, ref, false)
		return err
	})
}

// doOn runs fn on each container of ids, naming failed ones by name.
func (m *Model) doOn(verb string, ids []string, fn func(context.Context, string) error) tea.Cmd {
	return doBatch(m.ctx, verb, ids, m.nameList(ids), batchRun{actionTimeout, actionParallel}, fn)
}

// doAction runs fn on each id in turn (images, networks, volumes), labelling
// failures with the id itself.
func doAction(parent context.Context, verb string, ids []string, fn func(context.Context, string) error) tea.Cmd {
	return doBatch(parent, verb, ids, ids, batchRun{actionTimeout, 1}, fn)
}

// batchRun says how a batch runs: each item's timeout, and how many items
// run at once.
type batchRun struct {
	timeout  time.Duration
	parallel int
}

// doBatch runs fn on each id, at most r.parallel at once, each with a
// timeout of its own that starts when its turn comes, so the tail of a large
// batch gets as long as its head; cancelling parent stops them all. Failures
// are reported per item under its label (labels[i] names ids[i]).
func doBatch(parent context.Context, verb string, ids, labels []string, r batchRun,
	fn func(context.Context, string) error) tea.Cmd {
	return func() tea.Msg {
		errs := make([]error, len(ids))
		next := make(chan int)
		go func() {
			defer close(next)
			for i := range ids {
				next <- i // in order, so one worker goes through the batch in turn
			}
		}()
		var wg sync.WaitGroup
		for range min(max(r.parallel, 1), len(ids)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					errs[i] = runItem(parent, r.timeout, ids[i], labels[i], fn)
				}
			}()
		}
		wg.Wait()
		return actionMsg{verb: verb, ids: ids, err: batchError(verb, errs)}
	}
}

// runItem runs fn on one item with a deadline of its own.
func runItem(parent context.Context, timeout time.Duration, id, label string, fn func(context.Context, string) error) error {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	if err := fn(ctx, id); err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	return nil
}

// batchError sums up the failures of a batch in one line: "stop web: …" for
// one item, "stop failed for 2 of 5: web: …; db: …" for several.
func batchError(verb string, errs []error) error {
	var failed []error
	var msgs []string
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
			msgs = append(msgs, err.Error())
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(errs) == 1:
		return fmt.Errorf("%s %w", verb, failed[0])
	}
	return &multiError{msg: fmt.Sprintf("%s failed for %d of %d: %s", verb, len(failed), len(errs), strings.Join(msgs, "; ")), errs: failed}
}

// multiError is several failures reported as one line.
type multiError struct {
	msg  string
	errs []error
}

// Error returns the one-line summary.
func (e *multiError) Error() string { return e.msg }

// Unwrap returns each failure, so errors.Is and errors.As see them.
func (e *multiError) Unwrap() []error { return e.errs }

func (m *Model) onAction(msg actionMsg) tea.Cmd {
	m.setBanner(msg.err)
	if msg.info != "" {
		m.info = msg.info
	}
	if msg.err == nil && msg.verb != "rename" {
		m.ctrs.ClearMarks()
	}
	if msg.verb == "rmi" {
		return m.refreshImages()
	}
	if isNetworkVerb(msg.verb) {
		return m.refreshNetworks()
	}
	if isVolumeVerb(msg.verb) {
		return m.refreshVolumes()
	}
	return m.refresh()
}

// names turns container IDs into their names for the command log.
func (m *Model) names(ids []string) string {
	return strings.Join(m.nameList(ids), " ")
}

// nameList returns each container's name, or its ID when it is not listed.
func (m *Model) nameList(ids []string) []string {
	byID := map[string]string{}
	for _, r := range m.ctrs.Rows() {
		byID[r.ID] = r.Name
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id
		if n, ok := byID[id]; ok {
			out[i] = n
		}
	}
	return out
}

// logCommand records the CLI equivalent of an action.
func (m *Model) logCommand(line string) {
	m.commands = append(m.commands, m.now().Format("15:04:05")+"  "+line)
	if len(m.commands) > 500 {
		m.commands = m.commands[len(m.commands)-500:]
	}
}

func (m *Model) showCmdLog() {
	lines := m.commands
	if len(lines) == 0 {
		lines = []string{"  no actions yet: each action the UI takes shows here as the berth command that does the same"}
	}
	m.cmdlog.SetLines("cmdlog", lines)
	m.cmdlog.ScrollToEnd()
	m.overlay = overlayCmdLog
}
