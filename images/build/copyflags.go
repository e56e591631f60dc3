package build

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/patternmatcher"
)

// srcMatch is one COPY source found in its root.
type srcMatch struct {
	rel string // clean, relative to the root
	// keep is, with --parents, the path kept under the destination: rel
	// without what comes before the source's "./" pivot ("" without --parents).
	keep string
}

// pivotDepth is how many leading elements of a source's matches --parents
// drops: those before its first "/./" (a leading "./" is no pivot), as
// rsync --relative does.
func pivotDepth(src string) int {
	s := filepath.ToSlash(src)
	for strings.HasPrefix(s, "./") {
		s = strings.TrimLeft(s[2:], "/")
	}
	i := strings.Index(s, "/./")
	if i < 0 {
		return 0
	}
	prefix := strings.Trim(path.Clean("/"+s[:i]), "/")
	if prefix == "" {
		return 0
	}
	return len(strings.Split(prefix, "/"))
}

// keptPath is rel without its first n elements ("." when nothing is left).
func keptPath(rel string, n int) string {
	elems := strings.Split(rel, "/")
	if n >= len(elems) {
		return "."
	}
	return strings.Join(elems[n:], "/")
}

// globPath matches rel's elements as patterns ("*", "?", "[...]" in any
// element, "**" for any number of directories) in root, returning the
// matching paths that exist, relative to root, sorted. Symlinks inside root are
// resolved in it and never followed by "**".
func globPath(root, rel string) ([]string, error) {
	elems := strings.Split(rel, "/")
	found := map[string]bool{}
	var walk func(dir string, i int) error
	walk = func(dir string, i int) error {
		if i == len(elems) {
			if dir == "" {
				dir = "."
			}
			if full, err := securejoin.SecureJoin(root, dir); err == nil {
				if _, err := os.Lstat(full); err == nil {
					found[dir] = true
				}
			}
			return nil
		}
		e := elems[i]
		if e != "**" && !strings.ContainsAny(e, "*?[") {
			return walk(path.Join(dir, e), i+1)
		}
		full, err := securejoin.SecureJoin(root, dir)
		if err != nil {
			return err
		}
		entries, _ := os.ReadDir(full) // a missing directory matches nothing
		if e == "**" {
			if err := walk(dir, i+1); err != nil {
				return err
			}
			for _, ent := range entries {
				if ent.IsDir() {
					if err := walk(path.Join(dir, ent.Name()), i); err != nil {
						return err
					}
				}
			}
			return nil
		}
		for _, ent := range entries {
			ok, err := path.Match(e, ent.Name())
			if err != nil {
				return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("bad pattern %q", rel))
			}
			if ok {
				if err := walk(path.Join(dir, ent.Name()), i+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk("", 0); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(found))
	for p := range found {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// excludeMatcher compiles COPY --exclude's patterns (nil when none).
func excludeMatcher(name string, patterns []string) (*patternmatcher.PatternMatcher, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	for _, p := range patterns {
		if p == "" {
			return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s --exclude needs a pattern", name))
		}
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s --exclude: %v", name, err))
	}
	return pm, nil
}

// excludedBy says whether --exclude's patterns leave out sub, a path below
// a source ("" is the source itself: a file source is matched by its name,
// a directory source never).
func excludedBy(pm *patternmatcher.PatternMatcher, src, sub string, dir bool) bool {
	if pm == nil {
		return false
	}
	sub = strings.TrimPrefix(filepath.ToSlash(sub), "/")
	if sub == "" {
		if dir {
			return false
		}
		sub = path.Base(filepath.ToSlash(src))
	}
	m, _ := pm.MatchesOrParentMatches(sub)
	return m
}
