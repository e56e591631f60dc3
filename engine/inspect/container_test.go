package inspect

import (
	"encoding/json"
	"strings"
	"testing"
	"text/template"
	"time"

	"berth/engine"
	"berth/engine/spec"
)

func sample() *engine.Container {
	pids := int64(50)
	return &engine.Container{
		ID: "c0ffee", Created: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Path: "sleep", Args: []string{"9"},
		Name: "/web", State: engine.State{Status: "running", Running: true, Pid: 42},
		Config: engine.Config{Image: "busybox", Labels: map[string]string{"a": "b"}, ExposedPorts: map[string]struct{}{"80/tcp": {}}},
		HostConfig: engine.HostConfig{NetworkMode: "bridge", DNS: []string{"192.0.2.53"},
			PortBindings: engine.PortMap{"80/tcp": {{HostIP: "127.0.0.1", HostPort: ""}}},
			Mounts: []engine.MountSpec{{Type: "tmpfs", Target: "/t", TmpfsSize: 1 << 20, TmpfsMode: 0o1777},
				{Type: "volume", Target: "/v", FromShort: true}},
			Resources: spec.Resources{Memory: 64 << 20, MemorySwap: 128 << 20, NanoCPUs: 5e8, PidsLimit: &pids}},
		Mounts: []engine.MountPoint{{Type: "volume", Name: "v1", Source: "/s", Destination: "/v", Driver: "local", RW: true}},
		NetworkSettings: engine.NetworkSettings{SandboxKey: "/run/netns/x",
			Ports: engine.PortMap{"80/tcp": {{HostIP: "127.0.0.1", HostPort: "32768"}}},
			Networks: map[string]*engine.EndpointSettings{
				"bridge": {NetworkID: "n1", EndpointID: "e1", Gateway: "10.0.0.1", IPAddress: "10.0.0.2", IPPrefixLen: 24, MacAddress: "02:42:0a:00:00:02"},
				"appnet": {NetworkID: "n2", EndpointID: "e2", Gateway: "10.1.0.1", IPAddress: "10.1.0.2", IPPrefixLen: 24, MacAddress: "02:42:0a:01:00:02"},
			}},
	}
}

// TestContainerTemplates runs Docker-style templates on the typed shape:
// numbers print as integers and the default-bridge fields are filled.
func TestContainerTemplates(t *testing.T) {
	v := ContainerOf(sample())
	tests := map[string]string{
		"{{.HostConfig.Memory}} {{.HostConfig.NanoCPUs}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}":        "67108864 500000000 134217728 50",
		"{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}}":                 "10.0.0.2 10.0.0.1 02:42:0a:00:00:02",
		"{{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.EndpointID}}":                                            "24 e1",
		`{{(index .NetworkSettings.Networks "appnet").IPAddress}} {{.NetworkSettings.Networks.appnet.MacAddress}}`:    "10.1.0.2 02:42:0a:01:00:02",
		"{{.Name}} {{.ID}} {{.State.Status}} {{.State.Pid}} {{.Created}}":                                             "/web c0ffee running 42 2026-01-02T03:04:05.000000006Z",
		"{{range .Mounts}}{{.Name}}:{{.Destination}}:{{.RW}}{{end}}":                                                  "v1:/v:true",
		"{{range $p, $b := .NetworkSettings.Ports}}{{$p}}->{{(index $b 0).HostPort}}{{end}}":                          "80/tcp->32768",
		"{{range .HostConfig.Mounts}}{{.Type}} {{.Target}} {{.TmpfsOptions.SizeBytes}} {{.TmpfsOptions.Mode}}{{end}}": "tmpfs /t 1048576 trwxrwxrwx",
		"{{.HostConfig.DNS}} {{.HostConfig.RestartPolicy.Name}} {{.Config.Labels.a}}":                                 "[192.0.2.53] no b",
		"{{.HostConfig.Runtime}}": "runc",
	}
	for tmpl, want := range tests {
		var b strings.Builder
		if err := template.Must(template.New("").Parse(tmpl)).Execute(&b, v); err != nil {
			t.Errorf("%s: %v", tmpl, err)
			continue
		}
		if b.String() != want {
			t.Errorf("%s = %q, want %q", tmpl, b.String(), want)
		}
	}
}

// TestContainerJSON checks Docker's keys, and that the legacy top-level
// network fields come from the default bridge only.
func TestContainerJSON(t *testing.T) {
	c := sample()
	raw, err := json.Marshal(ContainerOf(c))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Id", "Created", "Path", "Args", "State", "Image", "Name", "HostConfig", "Config",
		"GraphDriver", "Mounts", "NetworkSettings", "RestartCount", "Driver", "Platform"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s in %s", k, raw)
		}
	}
	ns := m["NetworkSettings"].(map[string]any)
	if ns["IPAddress"] != "10.0.0.2" || ns["SandboxKey"] != "/run/netns/x" || ns["Networks"].(map[string]any)["appnet"] == nil {
		t.Errorf("NetworkSettings = %v", ns)
	}
	if hc := m["HostConfig"].(map[string]any); len(hc["Mounts"].([]any)) != 1 {
		t.Errorf("HostConfig.Mounts should hold the --mount/--tmpfs mounts only: %v", hc["Mounts"])
	}
	delete(c.NetworkSettings.Networks, "bridge")
	if v := ContainerOf(c); v.NetworkSettings.IPAddress != "" || v.NetworkSettings.MacAddress != "" {
		t.Errorf("off the default bridge, the legacy fields are filled: %+v", v.NetworkSettings)
	}
}
