package events

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// ParseTime parses a --since/--until value as Docker does: RFC3339 or
// RFC3339Nano; "2006-01-02", "2006-01-02T15", "2006-01-02T15:04",
// "2006-01-02T15:04:05[.fraction]" in now's time zone; Unix seconds
// ("1700000000", "1700000000.5"); or a Go duration taken back from now
// ("10m" → now-10m). An empty string is the zero time (unbounded). A bad value
// is an errdefs.ErrInvalidArgument error.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if s != "0" {
		if d, err := time.ParseDuration(s); err == nil {
			return now.Add(-d), nil
		}
	}
	if strings.Contains(s, "-") && len(s) >= len("2006-01-02") {
		if t, ok := parseDate(s, now.Location()); ok {
			return t, nil
		}
	}
	if t, ok := parseUnix(s); ok {
		return t, nil
	}
	return time.Time{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid time %q (want RFC3339, a date, Unix seconds or a duration)", s))
}

// parseDate tries the date layouts Docker accepts.
func parseDate(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, layout := range [...]string{
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04",
		"2006-01-02T15",
		"2006-01-02",
	} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseUnix parses "seconds[.fraction]" with up to nine fraction digits.
func parseUnix(s string) (time.Time, bool) {
	secs, frac, hasFrac := strings.Cut(s, ".")
	if !allDigits(secs) || (hasFrac && (!allDigits(frac) || len(frac) > 9)) {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec > 1<<40 {
		return time.Time{}, false
	}
	var nsec int64
	if hasFrac {
		nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	return time.Unix(sec, nsec).UTC(), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
