package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// ruleLines is each finding as "Rule:line".
func ruleLines(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Rule+":"+itoa(f.Line))
	}
	return out
}

func itoa(n int) string { return fmt.Sprintf("%02d", n) }

func TestDockerfileRules(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"good", []string{}},
		{"root-none", []string{"RootUser:00"}},
		{"root-explicit", []string{"RootUser:04"}},
		{"root-stage", []string{}}, // USER nobody is inherited from the base stage
		{"latest", []string{"UntaggedBaseImage:02", "LatestBaseImage:03"}},
		{"pinned", []string{}},
		{"add", []string{"AddInsteadOfCopy:02"}},
		{"install-after-copy", []string{"InstallAfterCopyAll:04"}},
		{"secret-env", []string{"SecretEnv:01", "SecretEnv:04"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audit", tc.file+".Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			fs, err := Dockerfile(src, "Dockerfile", "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range ruleLines(fs) {
				if !strings.HasPrefix(r, "NoHealthcheck") {
					got = append(got, r)
				}
			}
			if got == nil {
				got = []string{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("findings %v, want %v", got, tc.want)
			}
			for _, f := range fs {
				if f.Reason == "" || f.Fix == "" || f.Title == "" || f.Level == "" {
					t.Errorf("finding %+v lacks a title, reason, fix or level", f)
				}
			}
		})
	}
}

func TestDockerfileHealthcheck(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"FROM busybox:1\nUSER a\n", true},
		{"FROM busybox:1\nUSER a\nHEALTHCHECK CMD true\n", false},
		{"FROM busybox:1\nUSER a\nHEALTHCHECK NONE\n", true},
		{"FROM busybox:1 AS b\nHEALTHCHECK CMD true\nFROM b\nUSER a\n", false},
		{"FROM busybox:1 AS b\nHEALTHCHECK CMD true\nFROM busybox:1\nUSER a\n", true},
	} {
		fs, err := Dockerfile([]byte(tc.src), "Dockerfile", "")
		if err != nil {
			t.Fatal(err)
		}
		got := false
		for _, f := range fs {
			if f.Rule == "NoHealthcheck" {
				got = f.Level == Info
			}
		}
		if got != tc.want {
			t.Errorf("%q: NoHealthcheck %v, want %v", tc.src, got, tc.want)
		}
	}
}

func TestDockerignoreRule(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  []string
	}{
		{"git without ignore", []string{".git/HEAD"}, []string{".git"}},
		{"node_modules without ignore", []string{"node_modules/x/index.js", ".git/HEAD"}, []string{".git", "node_modules"}},
		{"git with ignore", []string{".git/HEAD", ".dockerignore"}, nil},
		{"plain context", []string{"main.go"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				p := filepath.Join(dir, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fs, err := Dockerfile([]byte("FROM busybox:1\nUSER a\nCOPY . .\n"), "Dockerfile", dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				if f.Rule == "NoDockerignore" {
					got = f.Paths
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("NoDockerignore paths %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDockerfileBadInput(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "RUN true\n", "FROM busybox:1\nFOO bar\n"} {
		if _, err := Dockerfile([]byte(src), "Dockerfile", ""); err == nil {
			t.Errorf("%q: no error", src)
		} else if !strings.HasPrefix(err.Error(), "Dockerfile") || strings.Count(err.Error(), "Dockerfile") > 2 {
			t.Errorf("%q: error %q does not name the Dockerfile once", src, err)
		}
	}
}

func FuzzDockerfile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "audit", "*.Dockerfile"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("FROM $X\nADD a b\nCOPY . .\nRUN apk add x\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		fs, err := Dockerfile(src, "Dockerfile", "")
		if err != nil {
			return
		}
		for _, f := range fs {
			if f.Rule == "" || f.Reason == "" || f.Fix == "" || (f.Level != Warning && f.Level != Info) {
				t.Fatalf("malformed finding %+v", f)
			}
		}
	})
}

func TestDockerfileErrorNamesLine(t *testing.T) {
	_, err := Dockerfile([]byte("FROM busybox:1\nFOO bar\n"), "app.Dockerfile", "")
	if err == nil || !strings.HasPrefix(err.Error(), "app.Dockerfile:2: ") {
		t.Errorf("error %v, want one starting app.Dockerfile:2:", err)
	}
}
