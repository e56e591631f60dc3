package audit

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// LayerReader hands the uncompressed tar of layer i (0 is the bottom-most) to
// fn, which consumes it.
type LayerReader func(i int, fn func(io.Reader) error) error

// contentPeek is how much of a suspected secret file is read to decide.
const contentPeek = 64 << 10

// topPaths is how many of the largest wasted paths a finding names.
const topPaths = 5

// Image audits an image from its config and its layers: every layer tar is
// walked on its own, so a secret file a later layer deletes is still found.
func Image(cfg *v1.ConfigFile, layers int, read LayerReader) ([]Finding, error) {
	var fs []Finding
	if cfg != nil {
		fs = append(fs, configFindings(&cfg.Config)...)
	}
	w := walker{files: map[string]added{}, wasted: map[string]int64{}}
	for i := 0; i < layers; i++ {
		w.layer = i
		if err := read(i, w.walk); err != nil {
			return nil, fmt.Errorf("read layer %d: %w", i+1, err)
		}
	}
	fs = append(fs, w.findings()...)
	return fs, nil
}

// configFindings checks the image config: user, secret env vars, healthcheck.
func configFindings(c *v1.Config) []Finding {
	var fs []Finding
	if isRoot(c.User) {
		title := "runs as root (no USER)"
		if c.User != "" {
			title = fmt.Sprintf("runs as root (USER %s)", c.User)
		}
		fs = append(fs, Finding{Rule: "RootUser", Level: Warning, Title: title, Reason: rootReason, Fix: rootFix})
	}
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		if v != "" && secretEnvName(k) {
			fs = append(fs, Finding{Rule: "SecretEnv", Level: Warning, Title: fmt.Sprintf("environment variable %s holds a value that looks like a secret", k),
				Reason: envReason, Fix: envFix})
		}
	}
	if c.Healthcheck == nil || len(c.Healthcheck.Test) == 0 || c.Healthcheck.Test[0] == "NONE" {
		fs = append(fs, Finding{Rule: "NoHealthcheck", Level: Info, Title: "no HEALTHCHECK", Reason: hcReason, Fix: hcFix})
	}
	return fs
}

// isRoot reports whether a USER value (user[:group]) runs as root.
func isRoot(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return name == "" || name == "root" || name == "0"
}

// added is a regular file a layer added.
type added struct {
	layer int
	size  int64
}

// secretHit is a secret file found in a layer.
type secretHit struct {
	path, kind     string
	layer, deleted int // deleted is the 1-based layer that deletes it, 0 if none
}

// walker follows files through the layers.
type walker struct {
	layer   int
	files   map[string]added
	wasted  map[string]int64
	secrets []secretHit
}

// walk reads one layer tar.
func (w *walker) walk(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		name := path.Clean("/" + h.Name)
		dir, base := path.Split(name)
		switch {
		case base == ".wh..wh..opq":
			w.remove(path.Clean(dir), false)
		case strings.HasPrefix(base, ".wh."):
			w.remove(path.Join(dir, base[4:]), true)
		case h.Typeflag == tar.TypeReg:
			w.files[name] = added{layer: w.layer, size: h.Size}
			if err := w.checkSecret(name, tr); err != nil {
				return err
			}
		}
	}
}

// remove records the deletion of p (and, for a directory, what is under it;
// self false deletes only what is under it) by the current layer.
func (w *walker) remove(p string, self bool) {
	prefix := strings.TrimSuffix(p, "/") + "/"
	for f, a := range w.files {
		if a.layer >= w.layer || !(self && f == p || strings.HasPrefix(f, prefix)) {
			continue
		}
		w.wasted[f] += a.size
		delete(w.files, f)
		for i := range w.secrets {
			if s := &w.secrets[i]; s.path == f && s.deleted == 0 {
				s.deleted = w.layer + 1
			}
		}
	}
}

// checkSecret records name when its name (and, where needed, its first bytes) say it is a secret.
func (w *walker) checkSecret(name string, r io.Reader) error {
	kind, needContent := secretKind(name)
	if kind == "" {
		return nil
	}
	if needContent {
		head, err := io.ReadAll(io.LimitReader(r, contentPeek))
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if !secretContent(kind, head) {
			return nil
		}
	}
	w.secrets = append(w.secrets, secretHit{path: name, kind: kind, layer: w.layer + 1})
	return nil
}

// findings turns what the walk saw into findings.
func (w *walker) findings() []Finding {
	var fs []Finding
	for _, s := range w.secrets {
		title := fmt.Sprintf("%s %s in layer %d", s.kind, s.path, s.layer)
		if s.deleted > 0 {
			title += fmt.Sprintf(" (deleted in layer %d, but still in layer %d)", s.deleted, s.layer)
		}
		fs = append(fs, Finding{Rule: "SecretFile", Level: Warning, Title: title, Reason: fileReason, Fix: fileFix, Paths: []string{s.path}})
	}
	if len(w.wasted) == 0 {
		return fs
	}
	var total int64
	paths := make([]string, 0, len(w.wasted))
	for p, n := range w.wasted {
		total += n
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		if w.wasted[paths[i]] != w.wasted[paths[j]] {
			return w.wasted[paths[i]] > w.wasted[paths[j]]
		}
		return paths[i] < paths[j]
	})
	top := make([]string, 0, topPaths)
	for _, p := range paths[:min(topPaths, len(paths))] {
		top = append(top, fmt.Sprintf("%s (%s)", p, humanBytes(w.wasted[p])))
	}
	return append(fs, Finding{Rule: "WastedBytes", Level: Warning,
		Title:  fmt.Sprintf("%d files added in one layer and deleted in a later one waste %s", len(paths), humanBytes(total)),
		Reason: "A file deleted in a later layer still takes space in the layer that added it: every pull downloads it and every disk stores it.",
		Fix:    "Delete temporary files in the same RUN that creates them (e.g. `apt-get install … && rm -rf /var/lib/apt/lists/*`), or copy only the result from a build stage.",
		Paths:  top, Bytes: total})
}

// humanBytes is n in B, kB, MB, GB (powers of 1000, as docker shows sizes).
func humanBytes(n int64) string {
	f, units := float64(n), []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}
