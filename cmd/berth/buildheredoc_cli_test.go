package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// heredocDockerfile has each heredoc form BuildKit runs: a plain RUN
// document, one with a shebang, a command reading a document, COPY of
// documents (expanded unless the name is quoted) and --chmod.
const heredocDockerfile = `FROM busybox
ARG WHO=world
RUN <<EOF
echo "hello $WHO" > /plain
echo second >> /plain
EOF
RUN <<EOT
#!/bin/sh
echo "script $0" > /script
EOT
RUN cat > /fed <<DOC
fed $WHO
DOC
COPY <<EOF /etc/greeting
hi ${WHO}
EOF
COPY --chmod=0600 <<"RAW" <<other.txt /docs/
raw ${WHO}
RAW
other
other.txt
`

// TestBuildHeredocs builds heredocDockerfile and checks the files its
// steps made, the history and the cache: a document's change misses.
func TestBuildHeredocs(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	df := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(df, []byte(heredocDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok("build", "-q", "-t", "heredoc:1", dir)
	want := "hello world\nsecond\nscript /dev/pipes/EOT\nfed world\nhi world\nraw ${WHO}\nother\n600 600\n"
	got := c.ok("run", "--rm", "heredoc:1", "sh", "-c", "cat /plain /script /fed /etc/greeting /docs/RAW /docs/other.txt; echo $(stat -c %a /docs/RAW /docs/other.txt); test -e /dev/pipes/EOT && echo script-in-image; true")
	if got != want {
		t.Errorf("files: %q, want %q", got, want)
	}
	hist := c.ok("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}", "heredoc:1")
	for _, w := range []string{"COPY --chmod=0600 <<RAW <<other.txt /docs/ # buildkit", "COPY <<EOF /etc/greeting # buildkit",
		"RUN |1 WHO=world /bin/sh -c cat > /fed <<DOC\nfed $WHO\nDOC # buildkit", "RUN |1 WHO=world /bin/sh -c /dev/pipes/EOT # buildkit"} {
		if !strings.Contains(hist, w) {
			t.Errorf("history lacks %q:\n%s", w, hist)
		}
	}
	if n := c.cachedSteps("-t", "heredoc:1", dir); n != 5 {
		t.Errorf("rebuild: %d cached steps, want 5", n)
	}
	edited := strings.Replace(heredocDockerfile, "hi ${WHO}", "hello ${WHO}", 1)
	if err := os.WriteFile(df, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := c.cachedSteps("-t", "heredoc:2", dir); n != 3 {
		t.Errorf("after editing a COPY document: %d cached steps, want 3", n)
	}
	if got := c.ok("run", "--rm", "heredoc:2", "cat", "/etc/greeting"); got != "hello world\n" {
		t.Errorf("edited document: %q", got)
	}
}
