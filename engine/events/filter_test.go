package events

import (
	"testing"
	"time"

	"github.com/containerd/errdefs"
)

func TestFilterMatch(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	web := Event{Time: t0, Type: "container", Action: "die", ID: "abcdef123456",
		Attributes: map[string]string{"name": "web", "image": "busybox:latest", "exitCode": "1", "tier": "front"}}
	img := Event{Time: t0, Type: "image", Action: "tag", ID: "sha256:1234", Attributes: map[string]string{"name": "nginx:1.27"}}
	exec := Event{Time: t0, Type: "container", Action: "exec_start: sh -c ls", ID: "abcdef123456"}
	tests := []struct {
		name string
		args []string
		ev   Event
		want bool
	}{
		{"empty", nil, web, true},
		{"container id", []string{"container=abcdef123456"}, web, true},
		{"container prefix", []string{"container=abc"}, web, true},
		{"container name", []string{"container=web"}, web, true},
		{"container other", []string{"container=db"}, web, false},
		{"container or", []string{"container=db", "container=web"}, web, true},
		{"event", []string{"event=die"}, web, true},
		{"action alias", []string{"action=start"}, web, false},
		{"action prefix before colon", []string{"event=exec_start"}, exec, true},
		{"type", []string{"type=image"}, web, false},
		{"type or", []string{"type=image", "type=container"}, web, true},
		{"image attr untagged", []string{"image=busybox"}, web, true},
		{"image attr tagged", []string{"image=busybox:latest"}, web, true},
		{"image other tag", []string{"image=busybox:1.36"}, web, false},
		{"image id", []string{"image=sha256:1234"}, img, true},
		{"image name on image event", []string{"image=nginx:1.27"}, img, true},
		{"label key", []string{"label=tier"}, web, true},
		{"label kv", []string{"label=tier=front"}, web, true},
		{"label kv wrong", []string{"label=tier=back"}, web, false},
		{"labels all must match", []string{"label=tier=front", "label=missing"}, web, false},
		{"and across keys", []string{"type=container", "event=die", "container=web"}, web, true},
		{"and across keys fails", []string{"type=container", "event=start", "container=web"}, web, false},
		{"network", []string{"network=web"}, web, true},
		{"volume", []string{"volume=zzz"}, web, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilters(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(tt.ev); got != tt.want {
				t.Fatalf("Match = %v, want %v (filter %+v)", got, tt.want, f)
			}
		})
	}
	bounded := Filter{Since: t0.Add(-time.Second), Until: t0}
	if !bounded.Match(web) {
		t.Fatal("inclusive bounds")
	}
	if (Filter{Since: t0.Add(time.Nanosecond)}).Match(web) || (Filter{Until: t0.Add(-time.Nanosecond)}).Match(web) {
		t.Fatal("out-of-range event matched")
	}
}

func TestParseFiltersErrors(t *testing.T) {
	for _, args := range [][]string{{"colour=red"}, {"container"}, {"container="}, {"type=spaceship"}} {
		_, err := ParseFilters(args)
		if !errdefs.IsInvalidArgument(err) {
			t.Errorf("%v: want invalid argument, got %v", args, err)
		}
	}
	f, err := ParseFilters([]string{"label=a=b=c", "EVENT=die"})
	if err != nil || f.Labels[0] != "a=b=c" || f.Actions[0] != "die" {
		t.Fatalf("got %+v, %v", f, err)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{"", time.Time{}, false},
		{"2026-11-23T04:42:07Z", time.Date(2026, 11, 23, 4, 42, 7, 0, time.UTC), false},
		{"2026-11-23T04:42:07.123456789Z", time.Date(2026, 11, 23, 4, 42, 7, 123456789, time.UTC), false},
		{"2026-11-23T04:42:07+02:00", time.Date(2026, 11, 23, 2, 42, 7, 0, time.UTC), false},
		{"2026-11-23", time.Date(2026, 11, 23, 0, 0, 0, 0, now.Location()), false},
		{"2026-11-23T04:42:07", time.Date(2026, 11, 23, 4, 42, 7, 0, now.Location()), false},
		{"2026-11-23T04:42", time.Date(2026, 11, 23, 4, 42, 0, 0, now.Location()), false},
		{"1700000000", time.Unix(1700000000, 0), false},
		{"1700000000.5", time.Unix(1700000000, 500_000_000), false},
		{"1700000000.000000001", time.Unix(1700000000, 1), false},
		{"0", time.Unix(0, 0), false},
		{"10m", now.Add(-10 * time.Minute), false},
		{"1h30m", now.Add(-90 * time.Minute), false},
		{"yesterday", time.Time{}, true},
		{"2026-13-45", time.Time{}, true},
		{"1700000000.1234567890", time.Time{}, true},
		{"17e8", time.Time{}, true},
		{"-5", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, now)
		if tt.bad {
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("%q: want invalid argument, got %v, %v", tt.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%q: got %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseFilters(f *testing.F) {
	f.Add("container=web", "event=die")
	f.Add("type=container", "label=a=b")
	f.Add("image=busybox", "action=start")
	f.Add("bogus=1", "")
	f.Add("=", "label")
	f.Fuzz(func(t *testing.T, a, b string) {
		flt, err := ParseFilters([]string{a, b})
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		flt.Match(Event{Type: "container", Action: "die", ID: "x", Attributes: map[string]string{"name": "web"}})
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", "10m", "1700000000.5", "2026-11-23", "2026-11-23T04:42:07Z", "2026-11-23T04:42:07.1+01:00", "0", "abc", "-1h"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ParseTime(s, now)
		if err != nil && !errdefs.IsInvalidArgument(err) {
			t.Fatalf("unclassified error %v", err)
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-23T04:42:07.123456789Z","type":"container","action":"die","id":"abc","attributes":{"exitCode":"1"}}` + "\n"))
	f.Add([]byte(`{"type":"image","action":"pull","id":"busybox"}`))
	f.Add([]byte(`{"type":"","action":"x"}`))
	f.Add([]byte(`not json`))
	f.Add([]byte(`{"time":"bad","type":"a","action":"b"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := Decode(line)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if ev.Type == "" || ev.Action == "" {
			t.Fatalf("accepted event without type/action: %+v", ev)
		}
	})
}
