package server

import (
	"net/http"
	"sort"
	"strings"
	"time"

	mobyevents "github.com/moby/moby/api/types/events"

	"berth/engine/events"
)

// eventRoutes registers GET /events.
func (s *Server) eventRoutes() {
	s.handle("GET /events", s.events)
}

// eventQuery is a parsed GET /events request.
type eventQuery struct {
	f       events.Filter
	daemons []string // daemon filter values (ID prefix or name)
	scopes  []string // scope filter values (berth's events are all local)
}

// parseEventQuery reads since, until and filters (container, event, image,
// label, network, type, volume, daemon, scope). since and until are Unix
// seconds (with a fraction, as the docker CLI sends them), RFC 3339 times
// or durations back from now.
func parseEventQuery(r *http.Request, now time.Time) (eventQuery, error) {
	var q eventQuery
	fm, err := filterArgs(r.URL.Query().Get("filters"))
	if err != nil {
		return q, err
	}
	if err := checkFilterKeys(fm, "container", "event", "image", "label", "network", "type", "volume", "daemon", "scope"); err != nil {
		return q, err
	}
	var args []string
	keys := make([]string, 0, len(fm))
	for k := range fm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range fm[k] {
			switch k {
			case "daemon":
				q.daemons = append(q.daemons, v)
			case "scope":
				q.scopes = append(q.scopes, v)
			default:
				args = append(args, k+"="+v)
			}
		}
	}
	if q.f, err = events.ParseFilters(args); err != nil {
		return q, err
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &q.f.Since}, {"until", &q.f.Until}} {
		v := r.URL.Query().Get(p.name)
		if *p.t, err = events.ParseTime(v, now); err != nil {
			return q, badRequest("invalid %s parameter %q: want Unix seconds, an RFC 3339 time or a duration", p.name, v)
		}
	}
	if !q.f.Since.IsZero() && !q.f.Until.IsZero() && q.f.Until.Before(q.f.Since) {
		return q, badRequest("until (%s) is before since (%s)", q.f.Until.Format(time.RFC3339Nano), q.f.Since.Format(time.RFC3339Nano))
	}
	if q.f.Since.IsZero() && !q.f.Until.IsZero() {
		// Docker replays what it has up to until when only until is given.
		q.f.Since = time.Unix(0, 0)
	}
	return q, nil
}

// match applies the filters the engine's Filter does not know.
func (q *eventQuery) match(ev events.Event) bool {
	if len(q.scopes) > 0 && !anyOf(q.scopes, func(v string) bool { return v == "local" }) {
		return false
	}
	return anyOf(q.daemons, func(v string) bool {
		return strings.HasPrefix(ev.ID, v) || strings.HasPrefix(ev.Attributes["name"], v)
	})
}

// eventMessage is an event in Docker's wire shape. A network event names a
// container only when one joined or left it, as Docker's do; an exec's
// start carries its command in the action ("exec_start: sh -c date").
func eventMessage(ev events.Event) events.Message {
	m := ev.Message()
	attrs := m.Actor.Attributes
	if ev.Type == "network" && attrs["container"] == "" {
		delete(attrs, "container")
	}
	if ev.Type == "container" && ev.Action == "exec_start" {
		if cmd, ok := attrs["exec"]; ok {
			delete(attrs, "exec")
			m.Action = mobyevents.Action("exec_start: " + cmd)
			m.Status = string(m.Action)
		}
	}
	return m
}

// events answers GET /events: the recorded events from since, then new ones
// as they happen, until until passes (at once when it is in the past) or
// the client goes away.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	q, err := parseEventQuery(r, time.Now())
	if err != nil {
		return err
	}
	done, err := s.track()
	if err != nil {
		return err
	}
	defer done()
	evs, errs := s.eng.Subscribe(r.Context(), q.f)
	js := newJSONStream(w)
	js.Start()
	for ev := range evs {
		if !q.match(ev) {
			continue
		}
		if err := js.Send(eventMessage(ev)); err != nil {
			break // the client went away; the subscription ends with its context
		}
	}
	for range evs { // drain after a failed send until the context ends it
	}
	if err := <-errs; err != nil && r.Context().Err() == nil && s.log != nil {
		s.log.Printf("GET /events: %v", err)
	}
	return nil
}
