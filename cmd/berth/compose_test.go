package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDockerComposeAgainstServe runs bench/compose-check.sh: Debian's
// docker-compose (installed when missing) drives `berth serve` through a
// project's life — up (twice), ps, logs, exec, run --rm, a recreate after a
// configuration change, scale, down -v — on a private socket and data root.
func TestDockerComposeAgainstServe(t *testing.T) {
	requireDockerCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "..", "bench", "compose-check.sh"))
	cmd.Env = append(os.Environ(), "BERTH="+filepath.Join(binDir, "berth"))
	out, err := cmd.CombinedOutput()
	text := string(out)
	if strings.HasPrefix(text, "SKIP") || strings.Contains(text, "\nSKIP compose") {
		t.Skip(strings.TrimSpace(text))
	}
	if err != nil || !strings.Contains(text, " passed, 0 failed") {
		t.Fatalf("bench/compose-check.sh: %v\n%s", err, text)
	}
}
