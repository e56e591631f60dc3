// Package help is the `?` overlay: every key of every screen, grouped, drawn
// from the same key.Binding values the screens match on.
package help

import (
	"charm.land/bubbles/v2/key"

	"berth/views"
)

// Group is a titled list of keys.
type Group struct {
	Title string
	Keys  []key.Binding
}

// View draws the groups in a box of width×height, in two columns when wide.
func View(th views.Theme, groups []Group, width, height int) string {
	var lines []string
	for _, g := range groups {
		lines = append(lines, th.Title.Render(g.Title))
		for _, b := range g.Keys {
			h := b.Help()
			if h.Key == "" {
				continue
			}
			lines = append(lines, "  "+th.Key.Render(views.Fit(h.Key, 10))+" "+h.Desc)
		}
		lines = append(lines, "")
	}
	inner := width - 2
	rows := height - 2
	if len(lines) > rows && inner >= 76 {
		colW := inner / 2
		var out []string
		for i := 0; i < rows; i++ {
			l, r := "", ""
			if i < len(lines) {
				l = lines[i]
			}
			if i+rows < len(lines) {
				r = lines[i+rows]
			}
			out = append(out, views.Fit(l, colW)+r)
		}
		lines = out
	}
	return views.Box(th, "Keys — esc closes", lines, width, height, true)
}
