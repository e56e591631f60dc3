package server

import (
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"

	"berth/engine/events"
)

func TestNetworkCreateOptions(t *testing.T) {
	yes, no := true, false
	sub := netip.MustParsePrefix("10.9.0.0/24")
	gw := netip.MustParseAddr("10.9.0.254")
	o, err := networkCreateOptions(&network.CreateRequest{Name: "n", Driver: "bridge", Internal: true, EnableIPv6: &no,
		Labels:  map[string]string{"a": "b"},
		Options: map[string]string{"com.docker.network.bridge.enable_icc": "true", "com.docker.network.driver.mtu": "1500"},
		IPAM:    &network.IPAM{Driver: "default", Config: []network.IPAMConfig{{Subnet: sub, Gateway: gw, IPRange: sub}}}})
	if err != nil || o.Name != "n" || !o.Internal || o.Subnet != sub || o.Gateway != gw || o.Labels["a"] != "b" ||
		o.Options["com.docker.network.driver.mtu"] != "1500" {
		t.Errorf("bridge network with IPAM: %+v %v", o, err)
	}
	for _, tc := range []struct {
		req  network.CreateRequest
		word string
	}{
		{network.CreateRequest{}, "name"},
		{network.CreateRequest{Name: "n", Driver: "overlay"}, `"overlay"`},
		{network.CreateRequest{Name: "n", Scope: "swarm"}, `"swarm"`},
		{network.CreateRequest{Name: "n", EnableIPv6: &yes}, "EnableIPv6"},
		{network.CreateRequest{Name: "n", EnableIPv4: &no}, "EnableIPv4"},
		{network.CreateRequest{Name: "n", ConfigOnly: true}, "config-only"},
		{network.CreateRequest{Name: "n", IPAM: &network.IPAM{Driver: "dhcp"}}, `"dhcp"`},
		{network.CreateRequest{Name: "n", IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: sub}, {Subnet: sub}}}}, "2 IPAM configs"},
		{network.CreateRequest{Name: "n", IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: netip.MustParsePrefix("fd00::/64")}}}}, "not IPv4"},
		{network.CreateRequest{Name: "n", IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: sub, IPRange: netip.MustParsePrefix("10.9.0.128/25")}}}}, "IPRange"},
	} {
		_, err := networkCreateOptions(&tc.req)
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tc.word) {
			t.Errorf("%+v: %v, want a 400 naming %s", tc.req, err, tc.word)
		}
	}
}

func TestParseEventQuery(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	q, err := parseEventQuery(httptest.NewRequest("GET", "/events?since=1764500000.5&until=2026-11-30T12:00:00Z&filters="+
		url.QueryEscape(`{"type":{"container":true},"event":{"die":true},"daemon":{"abc":true}}`), nil), now)
	if err != nil {
		t.Fatal(err)
	}
	if !q.f.Since.Equal(time.Unix(1764500000, 5e8)) || !q.f.Until.Equal(now) ||
		!reflect.DeepEqual(q.f.Types, []string{"container"}) || !reflect.DeepEqual(q.f.Actions, []string{"die"}) ||
		!reflect.DeepEqual(q.daemons, []string{"abc"}) {
		t.Errorf("parsed %+v", q)
	}
	if q.match(events.Event{Type: "container", ID: "zzz"}) || !q.match(events.Event{Type: "daemon", ID: "abcdef"}) {
		t.Errorf("daemon filter")
	}
	q, err = parseEventQuery(httptest.NewRequest("GET", "/events?until=10m", nil), now)
	if err != nil || !q.f.Until.Equal(now.Add(-10*time.Minute)) || !q.f.Since.Equal(time.Unix(0, 0)) {
		t.Errorf("until alone replays from the start: %+v %v", q.f, err)
	}
	for _, raw := range []string{"since=x", "until=yesterday", "since=20&until=10", "filters=" + url.QueryEscape(`{"type":["toaster"]}`),
		"filters=" + url.QueryEscape(`{"node":["n"]}`)} {
		if _, err := parseEventQuery(httptest.NewRequest("GET", "/events?"+raw, nil), now); !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s: %v, want a 400", raw, err)
		}
	}
	m := eventMessage(events.Event{Type: "network", Action: "create", ID: "n1", Time: now,
		Attributes: map[string]string{"name": "web", "type": "bridge", "container": ""}})
	if _, ok := m.Actor.Attributes["container"]; ok || m.Scope != "local" || m.TimeNano != now.UnixNano() || m.Actor.ID != "n1" {
		t.Errorf("network create message: %+v", m)
	}
	m = eventMessage(events.Event{Type: "container", Action: "exec_start", ID: "c1", Time: now,
		Attributes: map[string]string{"name": "web", "exec": "sh -c date", "execID": "e1"}})
	if m.Action != "exec_start: sh -c date" || m.Status != "exec_start: sh -c date" || m.Actor.Attributes["execID"] != "e1" || m.Actor.Attributes["exec"] != "" {
		t.Errorf("exec_start message: %+v", m)
	}
}
