package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestServeShapesAsDockerd2010: answers carry the keys dockerd 20.10 always
// sends, which scripts index without a default: image inspect's Parent,
// Comment, Author and DockerVersion (and VirtualSize before API 1.44), and
// exec inspect's ProcessConfig.privileged.
func TestServeShapesAsDockerd2010(t *testing.T) {
	s := newServed(t)
	for _, tc := range []struct {
		version     string
		virtualSize bool
	}{{"v1.41", true}, {"v1.43", true}, {"v1.44", false}, {"v1.47", false}} {
		code, body := s.imgAPI("GET", "/"+tc.version+"/images/busybox/json", "", nil)
		var img map[string]any
		if code != 200 || json.Unmarshal([]byte(body), &img) != nil {
			t.Fatalf("%s image inspect: %d %s", tc.version, code, body)
		}
		for _, k := range []string{"Parent", "Comment", "Author", "DockerVersion", "Container", "ContainerConfig"} {
			if _, ok := img[k]; !ok {
				t.Errorf("%s image inspect lacks %s", tc.version, k)
			}
		}
		if vs, ok := img["VirtualSize"]; ok != tc.virtualSize || ok && vs != img["Size"] {
			t.Errorf("%s image inspect VirtualSize: %v (present %v), Size %v", tc.version, vs, ok, img["Size"])
		}
	}
	s.ok("run", "-d", "--name", "ex", "busybox", "sleep", "60")
	code, body := s.imgAPI("POST", "/v1.41/containers/ex/exec", "application/json", strings.NewReader(`{"Cmd":["true"]}`))
	var created struct{ Id string }
	if code != 201 || json.Unmarshal([]byte(body), &created) != nil {
		t.Fatalf("exec create: %d %s", code, body)
	}
	code, body = s.imgAPI("GET", "/v1.41/exec/"+created.Id+"/json", "", nil)
	if code != 200 || !strings.Contains(body, `"privileged":false`) {
		t.Errorf("exec inspect: %d %s, want ProcessConfig.privileged false", code, body)
	}
	s.ok("rm", "-f", "ex")
}

// TestServeEnvWithoutValue: -e NAME for a NAME the client's environment
// lacks reaches the server as "NAME"; as with dockerd, it unsets the
// variable rather than failing the start (run and exec).
func TestServeEnvWithoutValue(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	const unset = "BERTH_TEST_SURELY_UNSET"
	out := s.dockerOK("run", "--rm", "-e", "A=1", "-e", unset, "busybox", "sh", "-c", "env | grep -c "+unset+"; echo $A")
	if out != "0\n1\n" {
		t.Errorf("docker run -e %s: %q", unset, out)
	}
	s.dockerOK("run", "-d", "--name", "envy", "-e", unset+"=set", "busybox", "sleep", "60")
	if out := s.dockerOK("exec", "-e", unset, "envy", "sh", "-c", "env | grep -c "+unset+"; true"); out != "0\n" {
		t.Errorf("docker exec -e %s over %s=set: %q", unset, unset, out)
	}
	s.dockerOK("rm", "-f", "envy")
}

// TestServeStatsDetail: a stats answer carries what dockerd's does beyond
// docker stats' columns: user and kernel CPU time and memory.stat, and on
// cgroup v1 per-CPU time (one entry per CPU, summing to the total) and the
// memory high-water mark; docker-py's common recipes read them.
func TestServeStatsDetail(t *testing.T) {
	s := newServed(t)
	// A busy start, so that user time counts whole ticks; the counters are
	// read once it is over, when they no longer move.
	s.ok("run", "-d", "--name", "busy", "busybox", "sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; touch /done; exec sleep 60")
	s.ok("exec", "busy", "sh", "-c", "while [ ! -e /done ]; do sleep 0.1; done")
	out, errOut, code := s.python(`
import docker, os
st = docker.from_env().containers.get("busy").stats(stream=False)
cpu, mem = st["cpu_stats"]["cpu_usage"], st["memory_stats"]
v1 = os.path.exists("/sys/fs/cgroup/cpuacct")
ok = cpu["total_usage"] > 0 and cpu["usage_in_usermode"] + cpu["usage_in_kernelmode"] > 0 and len(mem["stats"]) > 5
if v1:
    ok = ok and len(cpu["percpu_usage"]) == st["cpu_stats"]["online_cpus"] and sum(cpu["percpu_usage"]) == cpu["total_usage"] and mem["max_usage"] >= mem["usage"] > 0
print(ok)
`)
	if code != 0 || out != "True\n" {
		t.Errorf("docker-py stats: %q %q", out, errOut)
	}
	s.ok("rm", "-f", "busy")
}

// TestServeMountModes: inspect's Mounts[].Mode as dockerd 20.10 writes it:
// "z" for every local volume of --mount (readonly or not, named or not) and
// a named one of -v without a mode, -v's mode otherwise, "" for -v's
// anonymous volume and a bind without a -v mode.
func TestServeMountModes(t *testing.T) {
	requireDockerCLI(t)
	s := newServed(t)
	s.dockerOK("create", "--name", "mm", "-v", "nv:/a", "-v", "rv:/b:ro", "-v", "/c", "-v", "/tmp:/d", "-v", "/tmp:/d2:ro", "-v", "wv:/w:rw", "-v", "/tmp:/x:rw,rshared",
		"--mount", "type=volume,src=mv,dst=/e", "--mount", "type=volume,dst=/f", "--mount", "type=volume,src=mv2,dst=/g,readonly",
		"--mount", "type=bind,src=/tmp,dst=/h,readonly", "busybox", "true")
	out := s.dockerOK("inspect", "-f", `{{range .Mounts}}{{.Destination}}={{.Mode}} {{end}}`, "mm")
	got := strings.Fields(out)
	slices.Sort(got)
	if strings.Join(got, " ") != "/a=z /b=ro /c= /d2=ro /d= /e=z /f=z /g=z /h= /w=rw /x=rw,rshared" {
		t.Errorf("Mounts' modes: %q", out)
	}
	s.dockerOK("rm", "-v", "mm")
}
