package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecurityOptFlag(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	profile := filepath.Join(dir, "no-mkdir.json")
	body := "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [\n    {\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}\n  ]\n}\n"
	if err := os.WriteFile(profile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := c.run("", "run", "--rm", "--security-opt", "seccomp="+profile, "busybox", "sh", "-c", "mkdir /x || echo refused")
	if code != 0 || out != "refused\n" || !strings.Contains(errOut, "Operation not permitted") {
		t.Errorf("profile: got %q %q exit %d, want mkdir refused by the profile", out, errOut, code)
	}
	out = c.ok("run", "--rm", "--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges=false",
		"busybox", "sh", "-c", "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\\t' ' '")
	if out != "NoNewPrivs: 0\nSeccomp: 0\n" {
		t.Errorf("unconfined, no-new-privileges=false: got %q", out)
	}
	c.ok("create", "--name", "kept", "--security-opt", "seccomp="+profile, "--security-opt", "no-new-privileges", "busybox", "true")
	var got []string
	if err := json.Unmarshal([]byte(c.ok("inspect", "--format", "{{json .HostConfig.SecurityOpt}}", "kept")), &got); err != nil {
		t.Fatal(err)
	}
	want := `seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`
	if len(got) != 2 || got[0] != want || got[1] != "no-new-privileges" {
		t.Errorf("HostConfig.SecurityOpt = %q, want the profile's compact JSON (as Docker keeps it) and no-new-privileges", got)
	}
}

func TestSecurityOptRefused(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ opt, want string }{
		{"seccomp=" + bad, "seccomp profile " + bad + " is not valid: invalid character '}' looking for beginning of object key string at line 3, column 1"},
		{"seccomp=" + filepath.Join(dir, "missing.json"), "cannot read seccomp profile " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{"label=type:svirt_t", `invalid --security-opt "label=type:svirt_t": berth does not apply SELinux labels, so it accepts only label=disable`},
		{"apparmor=docker-default", `invalid --security-opt "apparmor=docker-default": berth does not apply AppArmor profiles, so it accepts only apparmor=unconfined`},
		{"no-new-privileges=yes please", `invalid --security-opt "no-new-privileges=yes please": want no-new-privileges=true or no-new-privileges=false`},
	}
	for _, tt := range tests {
		for _, verb := range []string{"create", "run"} {
			out, errOut, code := c.run("", verb, "--security-opt", tt.opt, "busybox", "true")
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if code != 125 || out != "" || len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("%s --security-opt %s: got %q %q exit %d, want one line with %q", verb, tt.opt, out, errOut, code, tt.want)
			}
		}
	}
	if out := c.ok("ps", "-aq"); out != "" {
		t.Errorf("refused options left containers: %q", out)
	}
}
