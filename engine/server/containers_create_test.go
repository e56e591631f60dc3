package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"berth/engine"
)

// decodeCreate decodes a create body as the handler does.
func decodeCreate(t testing.TB, body string) *container.CreateRequest {
	t.Helper()
	var req container.CreateRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if req.Config == nil {
		req.Config = &container.Config{}
	}
	return &req
}

// TestCreateOptions: each field of a create request lands where the CLI's
// flags put it.
func TestCreateOptions(t *testing.T) {
	req := decodeCreate(t, `{
		"Hostname":"h","User":"1:2","Tty":true,"OpenStdin":true,"Env":["A=1"],"Cmd":["sh"],"Image":"busybox",
		"WorkingDir":"/w","Entrypoint":[],"Labels":{"l":"v"},"StopSignal":"SIGINT","StopTimeout":3,
		"ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},
		"Healthcheck":{"Test":["CMD","true"],"Interval":1000000000,"Retries":2},
		"HostConfig":{"Binds":["/src:/dst:ro"],"NetworkMode":"default","PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]},
			"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":4},"AutoRemove":false,"CapAdd":["NET_ADMIN"],"CapDrop":["CHOWN"],
			"Dns":["1.1.1.1"],"ExtraHosts":["db:10.0.0.2"],"Privileged":false,"PublishAllPorts":true,"ReadonlyRootfs":true,
			"SecurityOpt":["no-new-privileges"],"Tmpfs":{"/run":"size=1m"},"Init":true,"Memory":67108864,"MemorySwap":-1,
			"NanoCpus":500000000,"CpuShares":512,"PidsLimit":50,"Ulimits":[{"Name":"nofile","Soft":10,"Hard":20}],
			"Mounts":[{"Type":"volume","Source":"vol","Target":"/v","VolumeOptions":{"NoCopy":true}},
				{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1024,"Mode":1023}}],
			"LogConfig":{"Type":"json-file","Config":{"max-size":"1m"}},"OomKillDisable":false,"MemorySwappiness":-1,
			"ConsoleSize":[24,80],"ContainerIDFile":""},
		"NetworkingConfig":{"EndpointsConfig":{"front":{"Aliases":["web"],"IPAMConfig":{"IPv4Address":"10.1.0.5"},"MacAddress":"02:42:ac:11:00:02"},
			"back":{"Aliases":["b"]}}}}`)
	req.HostConfig.NetworkMode = "front"
	o, err := createOptions("/web", req)
	if err != nil {
		t.Fatal(err)
	}
	c, h := o.Config, o.HostConfig
	pids := int64(50)
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", o.Name, "web"},
		{"entrypoint", []any{o.EntrypointSet, c.Entrypoint}, []any{true, []string{""}}},
		{"config", []any{c.Hostname, c.User, c.Tty, c.OpenStdin, c.Env, c.Cmd, c.WorkingDir, c.StopSignal, *c.StopTimeout},
			[]any{"h", "1:2", true, true, []string{"A=1"}, []string{"sh"}, "/w", "SIGINT", 3}},
		{"exposed", c.ExposedPorts, map[string]struct{}{"80/tcp": {}}},
		{"health", []any{c.Healthcheck.Test, c.Healthcheck.Retries}, []any{[]string{"CMD", "true"}, 2}},
		{"restart", []any{h.RestartPolicy.Name, h.RestartPolicy.MaximumRetryCount}, []any{"on-failure", 4}},
		{"ports", h.PortBindings, engine.PortMap{"80/tcp": {{HostIP: "127.0.0.1", HostPort: "8080"}}}},
		{"flags", []any{h.PublishAll, h.ReadonlyRootfs, *h.Init, h.CapAdd, h.CapDrop, h.DNS, h.ExtraHosts, h.SecurityOpt},
			[]any{true, true, true, []string{"NET_ADMIN"}, []string{"CHOWN"}, []string{"1.1.1.1"}, []string{"db:10.0.0.2"}, []string{"no-new-privileges"}}},
		{"resources", []any{h.Memory, h.MemorySwap, h.NanoCPUs, h.CPUShares, *h.PidsLimit, h.Ulimits[0].Hard},
			[]any{int64(64 << 20), int64(-1), int64(5e8), int64(512), pids, int64(20)}},
		{"binds", h.Binds, []string{"/src:/dst:ro"}},
		{"tmpfs", h.Tmpfs, map[string]string{"/run": "size=1m"}},
		{"log", h.LogConfig.Config["max-size"], "1m"},
		{"network", []any{h.NetworkMode, o.Network.IPAddress, o.Network.MacAddress, o.Network.Aliases},
			[]any{"front", "10.1.0.5", "02:42:ac:11:00:02", []string{"web"}}},
		{"extra networks", o.ExtraNetworks, map[string]engine.EndpointSettings{"back": {Aliases: []string{"b"}}}},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s: got %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}
	var kinds []string
	for _, m := range h.Mounts {
		kinds = append(kinds, m.Type+":"+m.Target)
	}
	if strings.Join(kinds, " ") != "bind:/dst tmpfs:/run volume:/v tmpfs:/t" {
		t.Errorf("mounts: %v", kinds)
	}
	if m := h.Mounts[3]; m.TmpfsSize != 1024 || m.TmpfsMode != 0o1777 {
		t.Errorf("tmpfs mount options: %+v", m)
	}
	if !h.Mounts[0].ReadOnly || !h.Mounts[2].NoCopy {
		t.Errorf("mount flags: %+v", h.Mounts)
	}
}

// TestCreateRefusesUnsupported: a set field berth cannot honour is named in
// a 400; the defaults the docker CLI always sends pass.
func TestCreateRefusesUnsupported(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"HostConfig":{"BlkioWeight":300}}`, "HostConfig.BlkioWeight is not supported by berth"},
		{`{"HostConfig":{"CpuRealtimePeriod":1000}}`, "HostConfig.CpuRealtimePeriod is not supported by berth"},
		{`{"HostConfig":{"UsernsMode":"host"}}`, "HostConfig.UsernsMode is not supported by berth"},
		{`{"HostConfig":{"OomKillDisable":true}}`, "HostConfig.OomKillDisable is not supported by berth"},
		{`{"HostConfig":{"MemorySwappiness":10}}`, "HostConfig.MemorySwappiness is not supported by berth"},
		{`{"HostConfig":{"Mounts":[{"Type":"volume","Target":"/v","VolumeOptions":{"Subpath":"x"}}]}}`, "HostConfig.Mounts[0].VolumeOptions.Subpath is not supported by berth"},
		{`{"HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/v","TmpfsOptions":{}}]}}`, "HostConfig.Mounts[0].TmpfsOptions is not supported by berth"},
		{`{"HostConfig":{"ExtraHosts":["nocolon"]}}`, `HostConfig.ExtraHosts holds "nocolon"`},
		{`{"OnBuild":["RUN true"]}`, "Config.OnBuild is not supported by berth"},
		{`{"NetworkingConfig":{"EndpointsConfig":{"bridge":{"IPAMConfig":{"IPv6Address":"fd00::2"}}}}}`, "IPAMConfig.IPv6Address is not supported by berth"},
		{`{"HostConfig":{"OomKillDisable":false,"MemorySwappiness":-1,"ConsoleSize":[1,2],"Isolation":"default","Runtime":"runc","IpcMode":"private"}}`, ""},
		{`{"HostConfig":{"GroupAdd":["wheel","123"]}}`, ""}, // resolved at start
		{`{"HostConfig":{"NetworkMode":"bridge"},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":{"IPv6Address":"fd00::2"}}}}}`, "EndpointsConfig[default].IPAMConfig.IPv6Address"},
	} {
		_, err := createOptions("", decodeCreate(t, tc.body))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.body, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errdefs.IsInvalidArgument(err)):
			t.Errorf("%s: %v, want %q", tc.body, err, tc.want)
		}
	}
}

// FuzzCreateOptions: any body that decodes converts or fails with an
// invalid-argument error; it never panics.
func FuzzCreateOptions(f *testing.F) {
	for _, s := range []string{`{}`, `{"Image":"busybox","Entrypoint":[]}`,
		`{"HostConfig":{"Tmpfs":{"/a":"size=x"},"Binds":[":"],"PortBindings":{"80/tcp":null}}}`,
		`{"HostConfig":{"Mounts":[{"Type":"tmpfs","BindOptions":{}}]},"NetworkingConfig":{"EndpointsConfig":{"x":null}}}`,
		`{"HostConfig":{"Ulimits":[null],"DeviceRequests":[{}]}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req container.CreateRequest
		if json.Unmarshal([]byte(body), &req) != nil {
			return
		}
		if req.Config == nil {
			req.Config = &container.Config{}
		}
		if _, err := createOptions("", &req); err != nil && !errdefs.IsInvalidArgument(err) {
			t.Fatalf("%s: %v", body, err)
		}
	})
}

// TestCommitConfig: a commit's config body becomes the engine's config
// overlay, a health check included; what an image config cannot carry is
// refused.
func TestCommitConfig(t *testing.T) {
	var c container.Config
	if err := json.Unmarshal([]byte(`{"Cmd":["echo","hi"],"Entrypoint":[],"Env":["A=b c"],"Labels":{"z":"1"},
		"ExposedPorts":{"81/tcp":{}},"User":"nobody","Healthcheck":{"Test":["CMD","true"],"Interval":2000000000}}`), &c); err != nil {
		t.Fatal(err)
	}
	got, err := commitConfig(&c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Cmd, []string{"echo", "hi"}) || got.Entrypoint != nil || got.User != "nobody" ||
		got.Labels["z"] != "1" || len(got.ExposedPorts) != 1 || got.Healthcheck == nil || got.Healthcheck.Interval != 2*time.Second {
		t.Errorf("overlay %+v", got)
	}
	for _, body := range []string{`{"StopTimeout":3}`, `{"OnBuild":["RUN x"]}`, `{"Env":["=x"]}`} {
		var c container.Config
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			t.Fatal(err)
		}
		if _, err := commitConfig(&c); !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s: %v, want an invalid argument", body, err)
		}
	}
}

// TestCreateDefaultNetworkKey: the endpoint settings of "default" are the
// default bridge's, whichever name the network mode gives it.
func TestCreateDefaultNetworkKey(t *testing.T) {
	for _, mode := range []string{"", "default", "bridge"} {
		req := decodeCreate(t, `{"HostConfig":{"NetworkMode":"`+mode+`"},"NetworkingConfig":{"EndpointsConfig":{"default":{"MacAddress":"02:42:ac:11:00:09"}}}}`)
		o, err := createOptions("", req)
		extra := o.ExtraNetworks
		if err != nil || len(extra) != 0 || o.Network.MacAddress != "02:42:ac:11:00:09" {
			t.Errorf("mode %q: %v extra %v network %+v", mode, err, extra, o.Network)
		}
	}
}
