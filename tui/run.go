package tui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"berth/engine/opts"
	"berth/views/imagelist"
	"berth/views/runform"
)

// openRunForm opens the `n` form, preset with the selected image on the
// Images panel.
func (m *Model) openRunForm() tea.Cmd {
	image := ""
	if m.panel == panelImages {
		if img, ok := m.imgs.Selected(); ok {
			image = imagelist.Name(img)
		}
	}
	f, cmd := runform.New(image)
	m.form = &f
	return cmd
}

func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	f, cmd, res, done := m.form.Update(msg)
	m.form = &f
	if !done {
		return cmd
	}
	m.form = nil
	if res == nil {
		return nil
	}
	return m.runContainer(*res)
}

// runContainer creates and starts the container in a command with
// engine/opts.Run, as `berth run -d` does (a container that fails to start
// is removed again), and logs that line.
func (m *Model) runContainer(res runform.Result) tea.Cmd {
	m.logCommand(res.Command)
	eng, parent := m.eng, m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, actionTimeout)
		defer cancel()
		c, _, err := opts.Run(ctx, eng, res.Options, opts.RunOptions{})
		if err != nil {
			return actionMsg{verb: "run", err: fmt.Errorf("run: %w", err)}
		}
		name := strings.TrimPrefix(c.Name, "/")
		return actionMsg{verb: "run", ids: []string{c.ID}, info: "started " + name}
	}
}
