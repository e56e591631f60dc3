package server

import (
	"encoding/json"
	"reflect"
	"testing"

	"berth/engine"
	"berth/engine/inspect"
)

// createAndInspect converts a create body as the handler does, then shows
// the engine's HostConfig as inspect answers it.
func createAndInspect(t *testing.T, body string) (engine.HostConfig, map[string]any) {
	t.Helper()
	o, err := createOptions("", decodeCreate(t, body))
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	view := inspect.ContainerOf(&engine.Container{Config: o.Config, HostConfig: o.HostConfig})
	raw, err := json.Marshal(view.HostConfig)
	if err != nil {
		t.Fatal(err)
	}
	var shown map[string]any
	if err := json.Unmarshal(raw, &shown); err != nil {
		t.Fatal(err)
	}
	return o.HostConfig, shown
}

// TestCreateHostConfigRoundTrip: HostConfig fields berth honours are taken
// at create and shown back by inspect in Docker's fields.
func TestCreateHostConfigRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		body, field string
		want        any
	}{
		{`{"HostConfig":{"ShmSize":268435456}}`, "ShmSize", float64(268435456)},
		{`{"HostConfig":{"Sysctls":{"net.ipv4.ip_unprivileged_port_start":"0"}}}`, "Sysctls", map[string]any{"net.ipv4.ip_unprivileged_port_start": "0"}},
		{`{"HostConfig":{"DnsSearch":["a.test"]}}`, "DnsSearch", []any{"a.test"}},
		{`{"HostConfig":{"DnsOptions":["ndots:2","timeout:1"]}}`, "DnsOptions", []any{"ndots:2", "timeout:1"}},
		{`{"HostConfig":{"DnsSearch":[]}}`, "DnsSearch", []any{}},
		{`{"HostConfig":{"OomScoreAdj":-500}}`, "OomScoreAdj", float64(-500)},
	} {
		_, shown := createAndInspect(t, tc.body)
		if !reflect.DeepEqual(shown[tc.field], tc.want) {
			t.Errorf("%s: inspect %s = %#v, want %#v", tc.body, tc.field, shown[tc.field], tc.want)
		}
	}
}
