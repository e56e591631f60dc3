package engine

import (
	"testing"
)

// TestAskedFromOlderRecords: a record from before Asked existed carries the
// asked address in its endpoint settings until its first start; a started
// one cannot tell an asked address from a given one and asks for none. The
// release writes down what was asked, so the next start asks the same.
func TestAskedFromOlderRecords(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  record
		want endpointAsk
	}{
		{"never started", record{Networks: map[string]*EndpointSettings{"n": {IPAddress: "10.1.0.9", MacAddress: "02:00:00:00:00:09"}}},
			endpointAsk{IP: "10.1.0.9", MAC: "02:00:00:00:00:09"}},
		{"started", record{Networks: map[string]*EndpointSettings{"n": {IPAddress: "10.1.0.2", EndpointID: "abc-eth0"}}}, endpointAsk{}},
		{"asked", record{Asked: map[string]endpointAsk{"n": {IP: "10.1.0.7"}},
			Networks: map[string]*EndpointSettings{"n": {IPAddress: "10.1.0.7", EndpointID: "abc-eth0"}}}, endpointAsk{IP: "10.1.0.7"}},
		{"not on it", record{}, endpointAsk{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := asked(&tc.rec, "n"); got != tc.want {
				t.Errorf("asked = %+v, want %+v", got, tc.want)
			}
			if tc.rec.Networks == nil {
				return
			}
			rec := tc.rec
			clearEndpoints(&rec)
			if got := asked(&rec, "n"); got != tc.want {
				t.Errorf("asked after the release = %+v, want %+v", got, tc.want)
			}
			if s := rec.Networks["n"]; s.IPAddress != "" || s.EndpointID != "" || s.MacAddress != "" {
				t.Errorf("released settings still show the endpoint: %+v", s)
			}
		})
	}
}
