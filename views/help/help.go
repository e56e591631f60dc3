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

// Lines lays the groups out for a pane width cells wide: two columns when
// there is room, groups kept whole.
func Lines(th views.Theme, groups []Group, width int) []string {
	var blocks [][]string
	total := 0
	for _, g := range groups {
		b := []string{th.Title.Render(g.Title)}
		for _, k := range g.Keys {
			h := k.Help()
			if h.Key != "" {
				b = append(b, "  "+th.Key.Render(views.Fit(h.Key, 10))+" "+h.Desc)
			}
		}
		b = append(b, "")
		blocks = append(blocks, b)
		total += len(b)
	}
	if width < 90 {
		var out []string
		for _, b := range blocks {
			out = append(out, b...)
		}
		return out
	}
	var left, right []string
	for _, b := range blocks {
		if len(left) < total/2 {
			left = append(left, b...)
		} else {
			right = append(right, b...)
		}
	}
	colW := width / 2
	out := make([]string, max(len(left), len(right)))
	for i := range out {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		out[i] = views.Fit(l, colW) + r
	}
	return out
}
