package main

import (
	"regexp"
	"strings"
	"testing"
)

// classSuffixes are the texts of containerd's error classes, which must not
// show in what users read.
var classSuffixes = []string{"not found", "invalid argument", "already exists", "conflict", "failed precondition",
	"permission denied", "unavailable", "not implemented", "internal", "unknown", "out of range", "aborted"}

// rawParserText is what Go's parsers put in their errors, which says nothing
// a user wrote.
var rawParserText = regexp.MustCompile(`strconv\.|Parse(Int|Uint|Float|Bool|Prefix|Addr)|invalid syntax|value out of range`)

// checkOneSentence fails unless msg is one line of "berth: ..." without an
// error-class suffix, a parser's raw text, or a phrase said twice.
func checkOneSentence(t *testing.T, msg string) {
	t.Helper()
	line, rest, _ := strings.Cut(msg, "\n")
	if rest != "" || !strings.HasPrefix(line, "berth: ") {
		t.Errorf("want one line \"berth: ...\", got %q", msg)
	}
	for _, s := range classSuffixes {
		if strings.HasSuffix(line, ": "+s) || strings.Contains(line, ": "+s+":") {
			t.Errorf("error-class suffix %q in %q", s, line)
		}
	}
	if rawParserText.MatchString(line) {
		t.Errorf("raw parser text in %q", line)
	}
	words := strings.Fields(strings.ToLower(strings.TrimPrefix(line, "berth: ")))
	seen := map[string]bool{}
	for i := 0; i+3 <= len(words); i++ {
		tri := strings.Join(words[i:i+3], " ")
		if seen[tri] {
			t.Errorf("%q is said twice in %q", tri, line)
		}
		seen[tri] = true
	}
}

// TestBadInputErrors runs bad input through every verb family and checks the
// error is one plain sentence naming what was wrong, with Docker's exit
// code, and that nothing was made.
func TestBadInputErrors(t *testing.T) {
	c := newCLI(t)
	c.ok("create", "--name", "web", "busybox", "true")
	tests := []struct {
		args string
		code int
		want string
	}{
		// Objects that do not exist. Verbs that take several objects go on
		// with the others and exit 1, as docker does.
		{"inspect nosuch", 1, "no such object: nosuch"},
		{"container inspect nosuch", 1, "no such container: nosuch"},
		{"image inspect noimg", 1, "no such image: noimg"},
		{"logs nosuch", 125, "no such container: nosuch"},
		{"rm nosuch", 1, "no such container: nosuch"},
		{"stop nosuch", 1, "no such container: nosuch"},
		{"start nosuch", 1, "no such container: nosuch"},
		{"kill nosuch", 1, "no such container: nosuch"},
		{"pause nosuch", 1, "no such container: nosuch"},
		{"wait nosuch", 1, "no such container: nosuch"},
		{"port nosuch", 125, "no such container: nosuch"},
		{"top nosuch", 125, "no such container: nosuch"},
		{"exec nosuch true", 125, "no such container: nosuch"},
		{"rename nosuch newname", 125, "no such container: nosuch"},
		{"rename nosuch bad!name", 125, "no such container: nosuch"}, // the container first, as dockerd
		{"rename web web", 125, "Renaming a container with the same name as its current name"},
		{"stats --no-stream nosuch", 125, "no such container: nosuch"},
		{"cp nosuch:/etc/hostname " + t.TempDir(), 125, "no such container: nosuch"},
		{"network inspect nonet", 125, "network nonet not found"},
		{"network rm nonet", 1, "network nonet not found"},
		{"network connect nonet web", 125, "network nonet not found"},
		{"network connect bridge nosuch", 125, "no such container: nosuch"},
		{"volume inspect novol", 125, "no such volume"},
		{"volume rm novol", 1, "no such volume"},
		{"rmi noimg", 1, "no such image: noimg"},
		{"tag noimg x", 125, "no such image: noimg"},
		{"history noimg", 125, "no such image: noimg"},
		{"run --rm noimg", 125, `unable to find image "noimg" locally`},
		{"run --rm --network nonet busybox true", 125, "network nonet not found"},
		{"run --rm -u nobody2 busybox true", 125, "unable to find user nobody2"},
		// Bad values of numeric, size and duration flags, and of the others.
		{"run --rm --memory x busybox true", 125, `invalid --memory "x"`},
		{"run --rm --memory-swap x busybox true", 125, `invalid --memory-swap "x"`},
		{"run --rm --cpus x busybox true", 125, `invalid --cpus "x": not a number`},
		{"run --rm --cpus -1 busybox true", 125, "invalid --cpus"},
		{"run --rm --cpu-shares x busybox true", 125, `invalid --cpu-shares "x": not an integer`},
		{"run --rm --pids-limit x busybox true", 125, `invalid --pids-limit "x": not an integer`},
		{"run --rm --stop-timeout x busybox true", 125, `invalid --stop-timeout "x": not an integer`},
		{"run --rm --stop-timeout 99999999999999999999 busybox true", 125, "beyond the range of the flag"},
		{"run --rm --privileged=maybe busybox true", 125, `invalid --privileged "maybe"`},
		{"run --rm --cpuset-cpus x busybox true", 125, `invalid --cpuset-cpus "x"`},
		{"run --rm --ulimit nofile=a busybox true", 125, `invalid --ulimit "nofile=a"`},
		{"run --rm --restart on-failure:x busybox true", 125, "invalid restart policy"},
		{"run --rm --stop-signal NOPE busybox true", 125, `invalid signal "NOPE"`},
		{"run --rm -p 99999:80 busybox true", 125, "not a port number"},
		{"run --rm --mac-address x busybox true", 125, `invalid --mac-address "x"`},
		{"run --rm --dns x busybox true", 125, `invalid --dns "x"`},
		{"run --rm --log-opt max-size=x busybox true", 125, `invalid log-opt max-size="x"`},
		{"run --rm --tmpfs /t:size=x busybox true", 125, "tmpfs-size"},
		{"run --rm --env-file /nonexistent busybox true", 125, "cannot read env file /nonexistent"},
		{"run --rm --name bad/name busybox true", 125, `invalid container name "bad/name"`},
		{"create --name web busybox true", 125, `the container name "/web" is already in use`},
		{"stop -t x web", 125, `invalid --time "x": not an integer`},
		{"kill -s NOPE web", 125, `invalid signal "NOPE"`},
		{"logs --since x web", 125, `invalid time "x"`},
		{"logs --tail x web", 125, `invalid --tail "x"`},
		{"events --since x", 125, `invalid time "x"`},
		{"events --filter nope=x", 125, `unknown filter key "nope"`},
		{"ps --filter nope=x", 125, `invalid filter "nope"`},
		{"network create --subnet x n1", 125, `invalid --subnet "x"`},
		{"network create --gateway x n1", 125, `invalid --gateway "x"`},
		{"network rm bridge", 1, "bridge is a pre-defined network"},
		{"volume create bad/name", 125, `"bad/name" includes invalid characters`},
		{"inspect -f {{.Nope}} web", 125, `map has no entry for key "Nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			_, errOut, code := c.run("", strings.Fields(tt.args)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not say %q", errOut, tt.want)
			}
			checkOneSentence(t, errOut)
		})
	}
	if got := c.ok("ps", "-a", "--format", "{{.Names}}"); got != "web\n" {
		t.Errorf("bad input changed the containers: %q", got)
	}
	if got := c.ok("volume", "ls", "-q"); got != "" {
		t.Errorf("bad input made volumes: %q", got)
	}
	if got := c.ok("network", "ls", "--format", "{{.Name}}"); got != "bridge\nhost\nnone\n" {
		t.Errorf("bad input made networks: %q", got)
	}
}
