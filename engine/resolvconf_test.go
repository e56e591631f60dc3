package engine

import (
	"strings"
	"testing"
)

// TestWithSearchOptions: --dns-search and --dns-option replace the search
// (and domain) and options lines of the base resolv.conf, as Docker's do;
// "." alone leaves no search line; nothing given keeps the base.
func TestWithSearchOptions(t *testing.T) {
	host := "# generated\nnameserver 10.0.0.2\ndomain corp\nsearch corp lab\noptions rotate\n"
	for _, tc := range []struct {
		name            string
		base            string
		search, options []string
		want            string
	}{
		{"none", host, nil, nil, host},
		{"search", host, []string{"a.test", "b.test"}, nil, "# generated\nnameserver 10.0.0.2\noptions rotate\nsearch a.test b.test\n"},
		{"options", host, nil, []string{"ndots:2"}, "# generated\nnameserver 10.0.0.2\ndomain corp\nsearch corp lab\noptions ndots:2\n"},
		{"dot", host, []string{"."}, nil, "# generated\nnameserver 10.0.0.2\noptions rotate\n"},
		{"no newline", "nameserver 1.1.1.1", []string{"x"}, []string{"y"}, "nameserver 1.1.1.1\nsearch x\noptions y\n"},
		{"empty base", "", []string{"x"}, nil, "search x\n"},
	} {
		if got := withSearchOptions(tc.base, tc.search, tc.options); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestContainerResolv: a user-defined network's resolv.conf names the
// embedded DNS and keeps ndots:0 unless --dns-option sets ndots; the
// default bridge's has --dns servers and the search and options lines.
func TestContainerResolv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		h        HostConfig
		embedded bool
		want     string
	}{
		{"embedded", HostConfig{}, true, embeddedResolv},
		{"embedded search", HostConfig{DNSSearch: []string{"a.test"}}, true, "nameserver 127.0.0.11\noptions ndots:0\nsearch a.test\n"},
		{"embedded options", HostConfig{DNSOptions: []string{"timeout:2"}}, true, "nameserver 127.0.0.11\noptions timeout:2 ndots:0\n"},
		{"embedded ndots", HostConfig{DNSOptions: []string{"ndots:3"}}, true, "nameserver 127.0.0.11\noptions ndots:3\n"},
		{"bridge", HostConfig{DNS: []string{"192.0.2.1"}, DNSSearch: []string{"s"}, DNSOptions: []string{"o"}}, false,
			"nameserver 192.0.2.1\nsearch s\noptions o\n"},
	} {
		if got := containerResolv(&tc.h, tc.embedded); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	opts := make([]string, 1, 4)
	opts[0] = "timeout:2"
	containerResolv(&HostConfig{DNSOptions: opts}, true)
	if opts[:2][1] != "" {
		t.Error("containerResolv wrote into the container's DnsOptions")
	}
}

// FuzzWithSearchOptions: whatever the base, the result has exactly one
// search line for a search given (none for "."), exactly one options line
// for options given, and ends with a newline.
func FuzzWithSearchOptions(f *testing.F) {
	f.Add("nameserver 1.1.1.1\nsearch a\n", "b.test", "ndots:1")
	f.Add("", ".", "")
	f.Add("search\n\n\noptions   \ndomain x", "x", "y")
	f.Fuzz(func(t *testing.T, base, search, option string) {
		if !ResolvWordOK(search) || !ResolvWordOK(option) {
			return
		}
		got := withSearchOptions(base, []string{search}, []string{option})
		count := func(word string) int {
			n := 0
			for _, l := range strings.Split(got, "\n") {
				if f := strings.Fields(l); len(f) > 0 && (f[0] == word || word == "search" && f[0] == "domain") {
					n++
				}
			}
			return n
		}
		wantSearch := 1
		if search == "." {
			wantSearch = 0
		}
		if count("search") != wantSearch || count("options") != 1 || !strings.HasSuffix(got, "\n") {
			t.Fatalf("%q + %q %q = %q", base, search, option, got)
		}
	})
}
