package events

import (
	mobyevents "github.com/moby/moby/api/types/events"
)

// Message is an event as Docker shows it (the Engine API's events stream,
// `docker events --format`): moby's events.Message — Type, Action,
// Actor{ID, Attributes}, scope, time, timeNano — after the legacy status, id
// and from fields that Docker still fills for container and image events.
type Message struct {
	// Status is the action of a container or image event (legacy).
	Status string `json:"status,omitempty"`
	// ID is the object ID of a container or image event (legacy).
	ID string `json:"id,omitempty"`
	// From is the image of a container event (legacy).
	From string `json:"from,omitempty"`
	mobyevents.Message
}

// Message returns the event in Docker's shape. The log line itself keeps
// berth's own format, so older logs read the same.
func (ev Event) Message() Message {
	attrs := make(map[string]string, len(ev.Attributes))
	for k, v := range ev.Attributes {
		attrs[k] = v
	}
	m := Message{Message: mobyevents.Message{
		Type:     mobyevents.Type(ev.Type),
		Action:   mobyevents.Action(ev.Action),
		Actor:    mobyevents.Actor{ID: ev.ID, Attributes: attrs},
		Scope:    "local",
		Time:     ev.Time.Unix(),
		TimeNano: ev.Time.UnixNano(),
	}}
	switch m.Type {
	case mobyevents.ContainerEventType:
		m.Status, m.ID, m.From = ev.Action, ev.ID, attrs["image"]
	case mobyevents.ImageEventType:
		m.Status, m.ID = ev.Action, ev.ID
	}
	return m
}
