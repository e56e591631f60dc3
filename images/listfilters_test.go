package images

import (
	"context"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"berth/testdata/fuzzcheck"
)

// TestListLabelAndTimeFilters: label, before, since and until select images
// by their config labels and creation times, as docker images does.
func TestListLabelAndTimeFilters(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i, name := range []string{"old:1", "mid:1", "new:1"} {
		img := imageOf(t, v1.Config{Labels: map[string]string{"tier": name[:3], "app": ""}},
			layerOf(t, makeTar(t, tarEntry{name: name, body: name})))
		img, err := mutate.CreatedAt(img, v1.Time{Time: day.AddDate(0, 0, i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddImage(ctx, img, name); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		filters map[string][]string
		want    []string
	}{
		{map[string][]string{"label": {"tier=mid"}}, []string{"mid:1"}},
		{map[string][]string{"label": {"app"}}, []string{"new:1", "mid:1", "old:1"}},
		{map[string][]string{"label": {"app", "tier=old"}}, []string{"old:1"}},
		{map[string][]string{"label": {"tier=none"}}, nil},
		{map[string][]string{"before": {"new:1"}}, []string{"mid:1", "old:1"}},
		{map[string][]string{"since": {"old:1"}}, []string{"new:1", "mid:1"}},
		{map[string][]string{"since": {"old:1"}, "before": {"new:1"}}, []string{"mid:1"}},
		{map[string][]string{"until": {"2024-05-02T12:00:00Z"}}, []string{"mid:1", "old:1"}},
		{map[string][]string{"until": {"1714521600.5"}}, []string{"old:1"}},
		{map[string][]string{"until": {"1h"}}, []string{"new:1", "mid:1", "old:1"}},
	}
	for _, c := range cases {
		got, err := s.List(ctx, ListOptions{Filters: c.filters})
		if err != nil {
			t.Errorf("List %v: %v", c.filters, err)
			continue
		}
		var tags []string
		for _, img := range got {
			tags = append(tags, img.RepoTags...)
		}
		if len(tags) != len(c.want) {
			t.Errorf("List %v: %v, want %v", c.filters, tags, c.want)
			continue
		}
		for i := range tags {
			if tags[i] != c.want[i] {
				t.Errorf("List %v: %v, want %v", c.filters, tags, c.want)
				break
			}
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"10m", now.Add(-10 * time.Minute), true},
		{"2024-05-01", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), true},
		{"2024-05-01T10:00:00", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), true},
		{"2024-05-01T10:00:00+02:00", time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC), true},
		{"1714521600", time.Unix(1714521600, 0), true},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"-5", time.Time{}, false},
		{"NaN", time.Time{}, false},
		{"1e300", time.Time{}, false},
	}
	for _, c := range cases {
		got, err := ParseTimestamp(c.in, now)
		if (err == nil) != c.ok || c.ok && !got.Equal(c.want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// FuzzParseTimestamp: any text is a time or a plain error, never a panic.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"24h", "2024-05-01", "2024-05-01T10:00:00Z", "1714521600.25", "-1", "1e99", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		_, err := ParseTimestamp(v, time.Now())
		fuzzcheck.Check(t, err, v)
	})
}
