package xray

import (
	"fmt"

	"berth/engine"
	"berth/views"
)

// mountAbout says what each mount type is.
var mountAbout = map[string]string{
	"volume": "volume: a directory berth keeps under its data root, outliving the container",
	"bind":   "bind: a host path shown inside",
	"tmpfs":  "tmpfs: memory-backed, gone when the container stops",
}

// mountLines draws the Mounts section: each mount's type, source →
// destination and rw/ro, with what that type of mount is.
func mountLines(th views.Theme, mounts []engine.MountPoint) []string {
	out := []string{"", th.Title.Render("Mounts") + th.Dim.Render("  — paths laid over the overlay, outside the container's own writes")}
	if len(mounts) == 0 {
		return append(out, th.Dim.Render("    none — berth run -v data:/data, --mount or --tmpfs adds some"))
	}
	for _, mp := range mounts {
		src := mp.Source
		switch {
		case mp.Type == "volume" && mp.Name != "":
			src = mp.Name
			if len(src) > 12 && mp.Anonymous {
				src = src[:12] + "…"
			}
		case mp.Type == "tmpfs":
			src = "tmpfs"
			if mp.TmpfsSize > 0 {
				src += " " + views.HumanBytes(uint64(mp.TmpfsSize))
			}
		}
		mode := "ro"
		if mp.RW {
			mode = "rw"
		}
		line := fmt.Sprintf("  %-6s %s → %s  %s", mp.Type, views.Sanitize(src), views.Sanitize(mp.Destination), mode)
		if mp.Type == "volume" && mp.Source != "" {
			line += th.Dim.Render("  at " + views.Sanitize(mp.Source))
		}
		out = append(out, line, th.Dim.Render("      "+mountAbout[mp.Type]))
	}
	return out
}
