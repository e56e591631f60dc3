package engine

import (
	"berth/engine/events"
	"berth/images"
)

// emit appends a container event with its name, image and labels as attributes.
func (e *Engine) emit(action string, c *Container, extra map[string]string) {
	a := map[string]string{"name": c.Name[1:], "image": c.ImageRef}
	for k, v := range c.Config.Labels {
		a[k] = v
	}
	for k, v := range extra {
		a[k] = v
	}
	// An event that cannot be written must not fail the operation it reports.
	_ = e.events.Append(events.Event{Type: "container", Action: action, ID: c.ID, Attributes: a})
}

// emitID appends an event for a container known only by ID.
func (e *Engine) emitID(action, id string, attrs map[string]string) {
	_ = e.events.Append(events.Event{Type: "container", Action: action, ID: id, Attributes: attrs})
}

// emitImage appends an event the image store reports (the store calls it for
// every change, whichever front end asked for it).
func (e *Engine) emitImage(ev images.Event) {
	_ = e.events.Append(events.Event{Type: "image", Action: ev.Action, ID: ev.ID, Attributes: ev.Attributes})
}
