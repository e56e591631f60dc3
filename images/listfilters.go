package images

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// listFilters are the filters List knows, as `docker images --filter` has them.
var listFilters = map[string]bool{"dangling": true, "reference": true, "label": true, "before": true, "since": true, "until": true}

// timeBounds are the before, since and until filters resolved to times: an
// image matches when it was created before every upper bound and after
// every lower bound.
type timeBounds struct {
	before, since []time.Time
}

// resolveTimeBounds resolves the before and since filters (image references)
// to their images' creation times and the until filters (timestamps or
// durations back from now) to times.
func (s *Store) resolveTimeBounds(ctx context.Context, filters map[string][]string, now time.Time) (timeBounds, error) {
	var b timeBounds
	for _, key := range []string{"before", "since"} {
		for _, ref := range filters[key] {
			id, err := s.resolveID(ctx, s.db, ref)
			if err != nil {
				if errdefs.IsNotFound(err) {
					return b, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid %s filter: no such image: %s", key, ref))
				}
				return b, err
			}
			img, err := s.loadImage(ctx, s.db, id)
			if err != nil {
				return b, err
			}
			if key == "before" {
				b.before = append(b.before, img.Created)
			} else {
				b.since = append(b.since, img.Created)
			}
		}
	}
	for _, v := range filters["until"] {
		t, err := ParseTimestamp(v, now)
		if err != nil {
			return b, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid until filter %q: %v", v, err))
		}
		b.before = append(b.before, t)
	}
	return b, nil
}

// match says whether created lies within the bounds.
func (b timeBounds) match(created time.Time) bool {
	for _, t := range b.before {
		if !created.Before(t) {
			return false
		}
	}
	for _, t := range b.since {
		if !created.After(t) {
			return false
		}
	}
	return true
}

// matchLabels says whether the image's config labels match one of the
// label filters ("key" or "key=value"); all must match, as Docker does.
func matchLabels(img *Image, vals []string) (bool, error) {
	labels := map[string]string{}
	if img.Config.Config.Labels != nil {
		labels = img.Config.Config.Labels
	}
	for _, v := range vals {
		k, want, hasValue := strings.Cut(v, "=")
		if k == "" {
			return false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid label filter %q: the label's name is empty", v))
		}
		got, ok := labels[k]
		if !ok || hasValue && got != want {
			return false, nil
		}
	}
	return true, nil
}

// ParseTimestamp reads a time as Docker's --filter until= and --since take
// it: a Go duration back from now ("24h"), RFC 3339 (with or without the
// zone or the time), or Unix seconds with an optional fraction.
func ParseTimestamp(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, fmt.Errorf("the time is empty")
	}
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
		return time.Time{}, fmt.Errorf("not a duration, an RFC 3339 time or Unix seconds")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}
