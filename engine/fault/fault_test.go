package fault

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestParseRefusesBadSpecs(t *testing.T) {
	for _, spec := range []string{"nope", "rm.marked:", "rm.marked:0", "rm.marked:-1", "rm.marked:x", ":3"} {
		if f, err := Parse(spec); err == nil || f != nil {
			t.Errorf("Parse(%q) = %v, %v; want an error", spec, f != nil, err)
		} else if strings.Count(err.Error(), spec) != 1 {
			t.Errorf("Parse(%q): error %q does not name the value once", spec, err)
		}
	}
	if f, err := Parse(""); err != nil || f != nil {
		t.Errorf(`Parse("") = %v, %v; want nil, nil`, f != nil, err)
	}
	var none Func
	none.At("rm.marked") // a nil Func does nothing
}

func TestPointsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Points() {
		if seen[p] {
			t.Errorf("point %s listed twice", p)
		}
		seen[p] = true
	}
}

// TestKillsAtTheNthReach re-executes the test binary as a helper that reaches
// rm.marked and create.stored in turn, and checks that BERTH_FAULT kills it
// by SIGKILL exactly at the reach it names, and not before.
func TestKillsAtTheNthReach(t *testing.T) {
	if reaches := os.Getenv("FAULT_TEST_HELPER"); reaches != "" {
		f, err := Parse(os.Getenv("FAULT_TEST_SPEC"))
		if err != nil {
			panic(err)
		}
		n, _ := strconv.Atoi(reaches)
		for i := 1; i <= n; i++ {
			f.At("create.stored")
			os.Stdout.WriteString(strconv.Itoa(i) + "\n")
			f.At("rm.marked")
		}
		os.Exit(0)
	}
	for _, tt := range []struct {
		spec   string
		out    string
		killed bool
	}{
		{"rm.marked", "1\n", true},
		{"rm.marked:3", "1\n2\n3\n", true},
		{"create.stored:2", "1\n", true},
		{"rm.marked:9", "1\n2\n3\n4\n", false},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillsAtTheNthReach$")
		cmd.Env = append(os.Environ(), "FAULT_TEST_HELPER=4", "FAULT_TEST_SPEC="+tt.spec)
		out, err := cmd.Output()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		wasKilled := err != nil && ws.Signaled() && ws.Signal() == syscall.SIGKILL
		if string(out) != tt.out || wasKilled != tt.killed {
			t.Errorf("BERTH_FAULT=%s: printed %q, killed %v (%v); want %q, killed %v", tt.spec, out, wasKilled, err, tt.out, tt.killed)
		}
	}
}

// TestEveryPointInTheCodeIsListed scans berth's sources for fault points
// (calls of a hook named at with a literal) and checks that Points lists
// each, and that each listed point is in the code.
func TestEveryPointInTheCodeIsListed(t *testing.T) {
	call := regexp.MustCompile(`\.at\("([^"]+)"\)`)
	inCode := map[string]bool{}
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range call.FindAllSubmatch(b, -1) {
			inCode[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, p := range Points() {
		listed[p] = true
		if !inCode[p] {
			t.Errorf("point %s is listed but no code reaches it", p)
		}
	}
	for p := range inCode {
		if !listed[p] {
			t.Errorf("point %s is in the code but not in Points", p)
		}
	}
}
