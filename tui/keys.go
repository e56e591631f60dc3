package tui

import (
	"charm.land/bubbles/v2/key"

	"berth/views/containers"
	"berth/views/help"
	"berth/views/logs"
)

// keyMap is the router's keys: global ones and the actions on the selection.
type keyMap struct {
	Quit, Help, CmdLog, Command, Filter    key.Binding
	NextPanel, PrevPanel, Panel            key.Binding
	NextTab, PrevTab, Detail, List         key.Binding
	Start, Stop, Restart, Pause, Kill      key.Binding
	Remove, Exec, Rename, Prune, ForceQuit key.Binding
	Run, Attach, Pull, Build               key.Binding
}

func newKeyMap() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Quit:      b("q", "quit (containers keep running)", "q"),
		ForceQuit: b("ctrl+c", "quit", "ctrl+c"),
		Help:      b("?", "this help", "?"),
		CmdLog:    b("L", "command log: each action as a berth command", "L"),
		Command:   b(":", "run a berth command (:ps, :run -d busybox sleep 99)", ":"),
		Filter:    b("/", "filter the list (fuzzy); esc clears", "/"),
		NextPanel: b("tab", "next panel", "tab"),
		PrevPanel: b("shift+tab", "previous panel", "shift+tab"),
		Panel:     b("1-4", "Containers, Images, Networks, Volumes", "1", "2", "3", "4"),
		NextTab:   b("]", "next detail tab", "]"),
		PrevTab:   b("[", "previous detail tab", "["),
		Detail:    b("l/→/enter", "focus the detail pane", "l", "right", "enter"),
		List:      b("h/←/esc", "focus the list", "h", "left", "esc"),
		Start:     b("s", "start", "s"),
		Stop:      b("S", "stop", "S"),
		Restart:   b("r", "restart", "r"),
		Pause:     b("p", "pause / unpause", "p"),
		Kill:      b("K", "kill (choose a signal)", "K"),
		Remove:    b("d", "remove (asks first)", "d"),
		Exec:      b("e", "exec a shell (sh) in the container", "e"),
		Rename:    b("R", "rename", "R"),
		Prune:     b("P", "prune stopped containers (asks first)", "P"),
		Run:       b("n", "run a new container (a form)", "n"),
		Attach:    b("a", "attach to the container's output and input (ctrl+p ctrl+q detaches)", "a"),
		Pull:      b("u", "pull an image (on the Images panel)", "u"),
		Build:     b("b", "build an image from a Dockerfile (a form)", "b"),
	}
}

// helpGroups lists every key for the `?` overlay.
func (k keyMap) helpGroups() []help.Group {
	return []help.Group{
		{Title: "Global", Keys: []key.Binding{k.Quit, k.Help, k.Command, k.CmdLog, k.Filter,
			k.NextPanel, k.PrevPanel, k.Panel, k.NextTab, k.PrevTab, k.Detail, k.List}},
		{Title: "Containers", Keys: []key.Binding{k.Start, k.Stop, k.Restart, k.Pause, k.Kill,
			k.Remove, k.Exec, k.Attach, k.Rename, k.Prune, k.Run}},
		{Title: "Images", Keys: []key.Binding{key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "remove image (asks first)")),
			k.Pull, k.Build, key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "run a container of the selected image"))}},
		{Title: "Networks", Keys: []key.Binding{key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "create a network (a form)")),
			key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "remove the network (asks first)")),
			key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "prune unused networks (asks first)"))}},
		{Title: "Volumes", Keys: []key.Binding{key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "create a volume (a form: name, labels)")),
			key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "remove the volume (asks first; refused while in use)")),
			key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "prune unused anonymous volumes (asks first)"))}},
		{Title: "Lists", Keys: containers.Keys().Bindings()},
		{Title: "Logs (detail focused)", Keys: logs.Keys().Bindings()},
	}
}
