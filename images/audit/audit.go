// Package audit checks images and Dockerfiles for the pitfalls that articles on
// Docker warn learners of (running as root, secrets left in layers, wasted
// bytes, cache-busting instruction order …) and explains each finding: what
// the rule is, why it matters and how to fix it. It reads image configs and
// layer tars handed to it and parses Dockerfiles with BuildKit's parser; it
// imports nothing else of berth.
package audit

import "sort"

// Level says how serious a finding is.
type Level string

const (
	// Warning is a finding that `berth build --check` fails on (exit status 1).
	Warning Level = "warning"
	// Info is advice that does not fail a check.
	Info Level = "info"
)

// Finding is one pitfall found in an image or a Dockerfile.
type Finding struct {
	// Rule is the rule's ID, such as "RootUser".
	Rule string `json:"rule"`
	// Level is Warning or Info.
	Level Level `json:"level"`
	// Title says in a few words what was found.
	Title string `json:"title"`
	// Reason explains in one or two sentences why it matters.
	Reason string `json:"reason"`
	// Fix says what to change.
	Fix string `json:"fix"`
	// Line is the Dockerfile line the finding is about (0 for an image).
	Line int `json:"line,omitempty"`
	// Paths are the files concerned (secret files, the largest wasted paths).
	Paths []string `json:"paths,omitempty"`
	// Bytes is the number of bytes concerned (wasted bytes).
	Bytes int64 `json:"bytes,omitempty"`
}

// Warnings counts the findings of level Warning.
func Warnings(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Level == Warning {
			n++
		}
	}
	return n
}

// sortFindings orders findings by line, then rule, keeping the order within.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Line != fs[j].Line {
			return fs[i].Line < fs[j].Line
		}
		return fs[i].Rule < fs[j].Rule
	})
}

// The rules' texts, shared by the image and the Dockerfile checks.
const (
	rootReason = "The container's processes run as root, so a bug or exploit in the application has full control of the container and an easier path to the host."
	rootFix    = "Create an unprivileged user and switch to it before CMD, e.g. `RUN useradd -r app` then `USER app` (or run with --user)."
	envReason  = "Environment variables are stored in the image config: anyone who can pull the image reads them with `berth image inspect`."
	envFix     = "Pass the secret at run time (berth run -e or --env-file), or use a build secret mount; do not bake it into ENV or ARG."
	fileReason = "Every layer is kept in the image, so a secret file copied in can be extracted from its layer even when a later step deletes it."
	fileFix    = "Keep secrets out of the build context (.dockerignore) and use `RUN --mount=type=secret` or run-time mounts instead of COPY."
	hcReason   = "Without a HEALTHCHECK the engine only knows whether the process runs, not whether it works, so a hung service looks healthy."
	hcFix      = "Add e.g. `HEALTHCHECK CMD wget -q -O /dev/null http://localhost:8080/ || exit 1` (or --health-cmd at run time)."
)
