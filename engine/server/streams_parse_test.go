package server

import (
	"fmt"
	"testing"
	"time"
)

func TestParseUnixTimestamp(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{"", time.Time{}, false},
		{"0", time.Time{}, false},
		{"0.000000000", time.Time{}, false},
		{"1700000000", time.Unix(1700000000, 0), false},
		{"1700000000.5", time.Unix(1700000000, 5e8), false},
		{"1700000000.000000001", time.Unix(1700000000, 1), false},
		{"-10.5", time.Time{}, true},
		{"-1", time.Time{}, true},
		{"1700000000.", time.Time{}, true},
		{"1700000000.1234567890", time.Time{}, true},
		{".5", time.Time{}, true},
		{"+5", time.Time{}, true},
		{"1.-5", time.Time{}, true},
		{"10m", time.Time{}, true},
		{"2023-01-01T00:00:00Z", time.Time{}, true},
		{"99999999999999999999", time.Time{}, true},
	} {
		got, err := parseUnixTimestamp(tt.in)
		if (err != nil) != tt.bad || !got.Equal(tt.want) {
			t.Errorf("parseUnixTimestamp(%q) = %v, %v; want %v (bad %v)", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestLogReadOptions(t *testing.T) {
	for _, tt := range []struct {
		tail string
		want int
		bad  bool
	}{{"", -1, false}, {"all", -1, false}, {"0", 0, false}, {"12", 12, false}, {"-1", -1, false}, {"-7", -1, false},
		{"x", -1, false}, {"1.5", -1, false}, {" 3 ", 3, false}} { // dockerd: what is not a number means all
		o, err := logReadOptions("", "", tt.tail)
		if (err != nil) != tt.bad || (!tt.bad && o.Tail != tt.want) {
			t.Errorf("tail %q: %d, %v", tt.tail, o.Tail, err)
		}
	}
}

// FuzzParseUnixTimestamp: any input parses or is refused in words, never
// panics, and what parses prints back as the same instant.
func FuzzParseUnixTimestamp(f *testing.F) {
	for _, s := range []string{"", "0", "1700000000.5", "1.000000001", "1.", "+1", "9999999999999.999999999", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseUnixTimestamp(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		if got.IsZero() {
			return
		}
		again, err := parseUnixTimestamp(formatUnix(got))
		if err != nil || !again.Equal(got) {
			t.Fatalf("%q → %v → %q → %v (%v)", s, got, formatUnix(got), again, err)
		}
	})
}

// formatUnix prints t as docker's client sends times.
func formatUnix(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }
