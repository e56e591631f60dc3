package events

import (
	"fmt"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// Filter selects events. Values given for one key are alternatives (OR),
// different keys must all match (AND) — except labels, which must all match,
// as in Docker. An empty list matches anything; zero times are unbounded.
type Filter struct {
	// Since and Until bound the event time (inclusive).
	Since, Until time.Time
	// Containers match the event ID, a prefix of it, or Attributes["name"].
	Containers []string
	// Images match the event ID or Attributes["image"] (for image events also
	// Attributes["name"]); a value without a tag also matches ":latest".
	Images []string
	// Networks and Volumes match like Containers.
	Networks, Volumes []string
	// Types match Event.Type.
	Types []string
	// Actions match Event.Action, or its part before ':' ("exec_start: sh").
	Actions []string
	// Labels are "key" (present) or "key=value" matched against Attributes.
	Labels []string
}

// ParseFilters parses docker-style --filter values: "container=web",
// "event=die" (or "action=die"), "type=container", "image=busybox",
// "label=a=b", "network=n", "volume=v". An unknown key, a missing value or an
// unknown type is an errdefs.ErrInvalidArgument error.
func ParseFilters(args []string) (Filter, error) {
	var f Filter
	for _, arg := range args {
		key, value, ok := strings.Cut(arg, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !ok || value == "" {
			return Filter{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("filter %q: want key=value", arg))
		}
		switch key {
		case "container":
			f.Containers = append(f.Containers, value)
		case "event", "action":
			f.Actions = append(f.Actions, value)
		case "type":
			if !knownType(value) {
				return Filter{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("filter %q: unknown event type %q", arg, value))
			}
			f.Types = append(f.Types, value)
		case "image":
			f.Images = append(f.Images, value)
		case "label":
			f.Labels = append(f.Labels, value)
		case "network":
			f.Networks = append(f.Networks, value)
		case "volume":
			f.Volumes = append(f.Volumes, value)
		default:
			return Filter{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unknown filter key %q in %q", key, arg))
		}
	}
	return f, nil
}

func knownType(t string) bool {
	switch t {
	case "container", "image", "network", "volume", "daemon", "plugin", "builder":
		return true
	}
	return false
}

// Match reports whether ev passes the filter.
func (f Filter) Match(ev Event) bool {
	if !f.Since.IsZero() && ev.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && ev.Time.After(f.Until) {
		return false
	}
	return anyMatch(f.Types, func(v string) bool { return v == ev.Type }) &&
		anyMatch(f.Actions, func(v string) bool { return matchAction(ev.Action, v) }) &&
		anyMatch(f.Containers, func(v string) bool { return matchObject(ev, v) }) &&
		anyMatch(f.Networks, func(v string) bool { return matchObject(ev, v) }) &&
		anyMatch(f.Volumes, func(v string) bool { return matchObject(ev, v) }) &&
		anyMatch(f.Images, func(v string) bool { return matchImage(ev, v) }) &&
		allLabels(f.Labels, ev.Attributes)
}

func anyMatch(values []string, match func(string) bool) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		if match(v) {
			return true
		}
	}
	return false
}

func matchAction(action, v string) bool {
	if action == v {
		return true
	}
	head, _, ok := strings.Cut(action, ":")
	return ok && strings.TrimSpace(head) == v
}

// matchObject matches the full ID, an ID prefix or the name attribute.
func matchObject(ev Event, v string) bool {
	return strings.HasPrefix(ev.ID, v) || ev.Attributes["name"] == v
}

func matchImage(ev Event, v string) bool {
	if ev.ID == v || sameImage(ev.Attributes["image"], v) {
		return true
	}
	return ev.Type == "image" && sameImage(ev.Attributes["name"], v)
}

// sameImage compares references, treating a missing tag as ":latest".
func sameImage(ref, v string) bool {
	if ref == "" {
		return false
	}
	return ref == v || ref == v+":latest" && !hasTagOrDigest(v)
}

func hasTagOrDigest(ref string) bool {
	if strings.Contains(ref, "@") {
		return true
	}
	return strings.LastIndex(ref, ":") > strings.LastIndex(ref, "/")
}

func allLabels(labels []string, attrs map[string]string) bool {
	for _, l := range labels {
		k, v, hasValue := strings.Cut(l, "=")
		got, ok := attrs[k]
		if !ok || (hasValue && got != v) {
			return false
		}
	}
	return true
}
