package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// mountsDockerfile uses each RUN flag: a cache mount that must outlive the
// cache bust of BUST, a secret, binds of the context and of an image, and
// --network=none.
const mountsDockerfile = `FROM busybox
ARG BUST=1
RUN echo $BUST > /bust
RUN --mount=type=cache,target=/var/cache/app,id=app sh -c 'echo run-$BUST >> /var/cache/app/log; cat /var/cache/app/log > /seen'
RUN --mount=type=secret,id=tok,required sh -c 'wc -c < /run/secrets/tok > /secretlen; stat -c %a /run/secrets/tok > /secretmode'
RUN --mount=type=bind,source=data,target=/mnt/data sh -c 'cat /mnt/data/f > /fromctx; touch /mnt/data/x 2>/dev/null || echo ro > /ctxro'
RUN --mount=type=bind,from=busybox,source=/bin,target=/mnt/bb,rw sh -c 'touch /mnt/bb/new && test -e /mnt/bb/busybox && echo img > /fromimg'
RUN --network=none sh -c 'ls /sys/class/net > /links'
`

// TestBuildRunMounts builds mountsDockerfile twice with a different BUST:
// the second build's RUN sees what the first wrote into the cache mount;
// no mount's content or mount point lands in a layer; the secret's bytes
// are in no file under the data root.
func TestBuildRunMounts(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"Dockerfile": mountsDockerfile, "data/f": "context file\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw := make([]byte, 24)
	rand.Read(raw)
	secret := []byte("s3cr3t-" + hex.EncodeToString(raw))
	secretFile := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(secretFile, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("build", "-q", "-t", "mounts:1", "--secret", "id=tok,src="+secretFile, dir)
	c.ok("build", "-q", "-t", "mounts:2", "--build-arg", "BUST=2", "--secret", "id=tok,src="+secretFile, dir)
	want := "run-1\nrun-2\n" + strconv.Itoa(len(secret)) + "\n400\ncontext file\nro\nimg\nlo\n"
	got := c.ok("run", "--rm", "mounts:2", "cat", "/seen", "/secretlen", "/secretmode", "/fromctx", "/ctxro", "/fromimg", "/links")
	if got != want {
		t.Errorf("files made by the RUN steps: %q, want %q", got, want)
	}
	if out := c.ok("run", "--rm", "mounts:2", "sh", "-c", "ls -d /var/cache/app /run/secrets /mnt/data /mnt/bb /mnt 2>&1 | grep -v 'No such' ; ls /bin/new 2>&1 | grep -v 'No such'; true"); out != "" {
		t.Errorf("mount points or mount content in the image: %q", out)
	}
	if hist := c.ok("image", "history", "--no-trunc", "mounts:2"); bytes.Contains([]byte(hist), secret) || !strings.Contains(hist, "RUN |1 BUST=2 /bin/sh -c sh -c 'wc -c") {
		t.Errorf("history: %s", hist)
	}
	err := filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, secret) {
			t.Errorf("the secret is stored in %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(c.root, "build")); len(entries) != 0 {
		t.Errorf("build mounts left: %v", entries)
	}
}

// TestBuildRunMountFailures checks bad RUN flags and a missing required
// secret: one sentence naming the line, and no container, mount or image.
func TestBuildRunMountFailures(t *testing.T) {
	c := newCLI(t)
	before := c.rootState()
	for _, tc := range []struct{ dockerfile, want string }{
		{"FROM busybox\nRUN --mount=type=secret,id=nope,required true\n",
			"berth: Dockerfile:2: RUN --mount=type=secret,id=nope,required true: secret nope: not found (give it with --secret id=nope,src=FILE)"},
		{"FROM busybox\nRUN --mount=type=cache true\n", "berth: Dockerfile:2: RUN --mount=type=cache true: RUN --mount=type=cache needs a target"},
		{"FROM busybox\nRUN --mount=type=bind,target=/x true\n",
			"berth: Dockerfile:2: RUN --mount=type=bind,target=/x true: RUN --mount=type=bind needs a build context (the Dockerfile came from stdin)"},
		{"FROM busybox\nRUN --network=bogus true\n", `berth: Dockerfile:2: invalid network mode "bogus"`},
		{"FROM busybox\n\nRUN --mount=type=nfs,target=/x true\n", `berth: Dockerfile:3: RUN --mount=type=nfs,target=/x true: unsupported mount type "nfs"`},
	} {
		_, errOut, code := c.run(tc.dockerfile, "build", "-q", "-")
		if code == 0 || strings.TrimSpace(errOut) != tc.want {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.dockerfile, code, errOut, tc.want)
		}
	}
	for _, secret := range []string{"src=/x", "id=a,src=/nonexistent/file", "id=a,bogus=1", "id=a,env=BERTH_TEST_UNSET_VAR"} {
		if _, errOut, code := c.run("FROM busybox\n", "build", "--secret", secret, "-"); code == 0 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("--secret %s: exit %d, stderr %q", secret, code, errOut)
		}
	}
	if after := c.rootState(); after != before {
		t.Errorf("failed builds changed the data root:\n%s\nafter:\n%s", before, after)
	}
}
