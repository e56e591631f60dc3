package audit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Dockerfile checks a Dockerfile's text without building it. name names the
// file in errors; contextDir is the build context ("" for none), looked at
// for .dockerignore, .git and node_modules. The findings are ordered by line.
func Dockerfile(src []byte, name, contextDir string) ([]Finding, error) {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: %v", name, err))
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, parseError(name, err)
	}
	if len(stages) == 0 {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s: no build stage (FROM) in the Dockerfile", name))
	}
	lex := shell.NewLex(res.EscapeToken)
	var meta []string
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				meta = append(meta, kv.Key+"="+*kv.Value)
			}
		}
	}
	var fs []Finding
	for _, a := range metaArgs {
		fs = append(fs, argFindings(&a)...)
	}
	for i := range stages {
		fs = append(fs, baseFinding(stages, i, lex, meta)...)
		fs = append(fs, stageFindings(&stages[i])...)
	}
	fs = append(fs, finalFindings(stages)...)
	if contextDir != "" {
		f, err := ignoreFinding(contextDir)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f...)
	}
	sortFindings(fs)
	return fs, nil
}

// parseLine is how BuildKit's instruction parser names a line.
var parseLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^dockerfile parse error on line (\d+): `) })

// parseError names the Dockerfile and the line of an instruction error, as
// berth build does ("Dockerfile:2: unknown instruction: FOO").
func parseError(name string, err error) error {
	msg := err.Error()
	var le *parser.LocationError
	if m := parseLine().FindStringSubmatch(msg); m != nil {
		msg = m[1] + ": " + strings.TrimPrefix(msg, m[0])
	} else if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		msg = fmt.Sprintf("%d: %s", le.Locations[0][0].Start.Line, msg)
	}
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("%s:%s", name, msg))
}

// lineOf is the first line of an instruction.
func lineOf(c instructions.Command) int {
	if loc := c.Location(); len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

// baseFinding flags a stage whose base image has no tag or the tag latest.
func baseFinding(stages []instructions.Stage, i int, lex *shell.Lex, meta []string) []Finding {
	s := &stages[i]
	base, _, err := lex.ProcessWord(s.BaseName, shell.EnvsFromSlice(meta))
	if err != nil || base == "" || strings.EqualFold(base, "scratch") || strings.Contains(base, "@") {
		return nil
	}
	if _, ok := instructions.HasStage(stages[:i], strings.ToLower(base)); ok {
		return nil
	}
	line := 0
	if len(s.Location) > 0 {
		line = s.Location[0].Start.Line
	}
	last := base[strings.LastIndex(base, "/")+1:]
	_, tag, tagged := strings.Cut(last, ":")
	reason := "`latest` moves whenever the image is republished, so the same Dockerfile builds a different image from one day to the next and a rebuild can break without any change of yours."
	fix := fmt.Sprintf("Pin a version tag (e.g. `FROM %s:1.36`), or a digest for fully repeatable builds.", strings.TrimSuffix(base, ":latest"))
	switch {
	case !tagged:
		return []Finding{{Rule: "UntaggedBaseImage", Level: Warning, Line: line, Title: fmt.Sprintf("FROM %s has no tag, so it means %s:latest", base, base), Reason: reason, Fix: fix}}
	case tag == "latest":
		return []Finding{{Rule: "LatestBaseImage", Level: Warning, Line: line, Title: fmt.Sprintf("FROM %s uses the latest tag", base), Reason: reason, Fix: fix}}
	}
	return nil
}

// installCmd matches a RUN that installs dependencies.
var installCmd = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b(apt-get|apt|apk|yum|dnf|microdnf|pip3?|pipenv|npm|yarn|pnpm|gem|bundle|composer)\b[^;&|]*?\b(install|add|ci|sync)\b|\bgo\s+mod\s+download\b`)
})

// tarSource matches an ADD source that ADD unpacks.
var tarSource = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst)$`)
})

// stageFindings checks one stage's instructions in order.
func stageFindings(s *instructions.Stage) []Finding {
	var fs []Finding
	copyAll := 0 // line of a COPY of the whole context, 0 before one
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			if c.From == "" && copyAll == 0 && wholeContext(c.SourcePaths) {
				copyAll = lineOf(c)
			}
		case *instructions.AddCommand:
			fs = append(fs, addFindings(c)...)
		case *instructions.RunCommand:
			if run := strings.Join(c.CmdLine, " "); copyAll > 0 && installCmd().MatchString(run) {
				fs = append(fs, Finding{Rule: "InstallAfterCopyAll", Level: Warning, Line: lineOf(c),
					Title:  fmt.Sprintf("dependency install after the COPY of the whole context on line %d", copyAll),
					Reason: "Any change to any file in the context invalidates the cache from that COPY on, so every edit of your code downloads and installs all dependencies again.",
					Fix:    "Copy only the dependency manifests first (e.g. `COPY package.json package-lock.json ./`, `COPY requirements.txt .`), install, then `COPY . .`."})
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Value != "" && secretEnvName(kv.Key) {
					fs = append(fs, Finding{Rule: "SecretEnv", Level: Warning, Line: lineOf(c),
						Title: fmt.Sprintf("ENV %s sets a value that looks like a secret", kv.Key), Reason: envReason, Fix: envFix})
				}
			}
		case *instructions.ArgCommand:
			fs = append(fs, argFindings(c)...)
		}
	}
	return fs
}

// argFindings flags an ARG whose default looks like a secret.
func argFindings(c *instructions.ArgCommand) []Finding {
	var fs []Finding
	for _, kv := range c.Args {
		if kv.Value != nil && *kv.Value != "" && secretEnvName(kv.Key) {
			fs = append(fs, Finding{Rule: "SecretEnv", Level: Warning, Line: lineOf(c),
				Title:  fmt.Sprintf("ARG %s has a default that looks like a secret", kv.Key),
				Reason: "ARG values are recorded in the image history (`berth history --no-trunc` shows them), so a secret default is readable by anyone with the image.",
				Fix:    envFix})
		}
	}
	return fs
}

// wholeContext reports whether COPY sources name the whole context.
func wholeContext(srcs []string) bool {
	for _, s := range srcs {
		switch strings.TrimSuffix(s, "/") {
		case ".", "", "*", "./*", "./.":
			return true
		}
	}
	return false
}

// addFindings flags ADD of local sources that are not tar archives.
func addFindings(c *instructions.AddCommand) []Finding {
	var fs []Finding
	for _, src := range c.SourcePaths {
		if strings.Contains(src, "://") || strings.HasPrefix(src, "git@") || tarSource().MatchString(src) {
			continue
		}
		fs = append(fs, Finding{Rule: "AddInsteadOfCopy", Level: Warning, Line: lineOf(c),
			Title:  fmt.Sprintf("ADD %s copies a local file: COPY would do", src),
			Reason: "ADD also fetches URLs and unpacks archives; for a plain local file it does what COPY does, but a reader cannot tell which behaviour you meant, and a file that later becomes an archive is silently unpacked.",
			Fix:    "Use COPY for local files and directories; keep ADD for local tar archives you want unpacked."})
	}
	return fs
}

// finalFindings checks the final stage's user and healthcheck, following its
// chain of base stages.
func finalFindings(stages []instructions.Stage) []Finding {
	user, userLine, health := "", 0, false
	seen := map[int]bool{}
	for i := len(stages) - 1; i >= 0 && !seen[i]; {
		seen[i] = true
		for j := len(stages[i].Commands) - 1; j >= 0; j-- {
			switch c := stages[i].Commands[j].(type) {
			case *instructions.UserCommand:
				if userLine == 0 {
					user, userLine = c.User, lineOf(c)
				}
			case *instructions.HealthCheckCommand:
				health = health || c.Health != nil && len(c.Health.Test) > 0 && c.Health.Test[0] != "NONE"
			}
		}
		k, ok := instructions.HasStage(stages[:i], strings.ToLower(stages[i].BaseName))
		if !ok || userLine != 0 && health {
			break
		}
		i = k
	}
	var fs []Finding
	if isRoot(user) {
		title := "the final stage has no USER, so the image runs as root unless its base image sets a user"
		if userLine > 0 {
			title = fmt.Sprintf("the last USER is %s, so the image runs as root", user)
		}
		fs = append(fs, Finding{Rule: "RootUser", Level: Warning, Line: userLine, Title: title, Reason: rootReason, Fix: rootFix})
	}
	if !health {
		fs = append(fs, Finding{Rule: "NoHealthcheck", Level: Info, Title: "the final stage has no HEALTHCHECK", Reason: hcReason, Fix: hcFix})
	}
	return fs
}

// ignoreFinding flags a context holding .git or node_modules without a .dockerignore.
func ignoreFinding(dir string) ([]Finding, error) {
	if _, err := os.Lstat(filepath.Join(dir, ".dockerignore")); err == nil {
		return nil, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("look for .dockerignore: %w", err)
	}
	var big []string
	for _, d := range []string{".git", "node_modules"} {
		if _, err := os.Lstat(filepath.Join(dir, d)); err == nil {
			big = append(big, d)
		}
	}
	if len(big) == 0 {
		return nil, nil
	}
	return []Finding{{Rule: "NoDockerignore", Level: Warning, Paths: big,
		Title:  fmt.Sprintf("no .dockerignore, but the context holds %s", strings.Join(big, " and ")),
		Reason: "Everything in the context is sent to the build and `COPY . .` copies it into the image: history, local modules and any secrets in them make the image larger and the cache miss on every commit.",
		Fix:    fmt.Sprintf("Add a .dockerignore listing %s (and anything else the image does not need).", strings.Join(big, ", "))}}, nil
}
