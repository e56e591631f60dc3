package monitor

import (
	"fmt"
	"os"

	"berth/engine/events"
)

// networkEvents reports the container joining ("connect") or leaving
// ("disconnect") each of its networks, as dockerd does around a start and
// an exit.
func (m *monitor) networkEvents(action string) {
	for _, n := range m.cfg.networks() {
		ev := events.Event{Type: "network", Action: action, ID: n.ID,
			Attributes: map[string]string{"name": n.Name, "type": n.Driver, "container": m.cfg.ID}}
		if err := m.ev.Append(ev); err != nil {
			fmt.Fprintln(os.Stderr, "berth-monitor: event:", err)
		}
	}
}
