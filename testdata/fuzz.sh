#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for FUZZTIME each (default 2s):
# the equivalent of `go test -run '^$' -fuzz '^FuzzX$' -fuzztime T ./pkg` for
# each FuzzX, with each package's test binary built once (with the fuzzing
# instrumentation) instead of once per target, since linking dominates short runs.
#
# Targets are discovered, not listed: every package with a `func Fuzz…` in a
# _test.go file is built, and the binary itself lists the targets its build
# tags include. One line per target: package, name, time and execs. A target
# that finds a crasher fails the run; go leaves the input under the package's
# testdata/fuzz/FuzzX/ and it is printed here (fix the parser, keep the file
# as a seed). A target that never gets past its seeds (0 execs) fails too
# when FUZZTIME is 10s or more.
#
# Environment: FUZZTIME (a go duration or Nx, default 2s), FUZZ_PKGS (package
# patterns, default ./...), FUZZ_MATCH (a regexp for target names, default all),
# TAGS (build tags, default seccomp), BERTH_BIN (bin dir for packages whose
# TestMain needs the berth binaries; default ./bin when it exists), FUZZCACHE
# (the corpus cache: "go" for go's own under GOCACHE, which grows run after run
# and is replayed before fuzzing starts; default a fresh directory per run, so
# that each target spends its time fuzzing from its seeds).
set -u -o pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
fuzztime=${FUZZTIME:-2s}
pkgs=${FUZZ_PKGS:-./...}
match=${FUZZ_MATCH:-.}
tags=${TAGS:-seccomp}
if [ -z "${BERTH_BIN:-}" ] && [ -x "$root/bin/berth" ]; then
	export BERTH_BIN="$root/bin"
fi
work=$(mktemp -d /tmp/berth-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cache=${FUZZCACHE:-$work/cache}
if [ "$cache" = go ]; then
	cache="$(go env GOCACHE)/fuzz"
fi

# Packages (dir and import path) that have at least one fuzz target.
# shellcheck disable=SC2086
mapfile -t found < <(go list -tags "$tags" -f '{{.Dir}} {{.ImportPath}} {{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' $pkgs |
	while read -r dir imp files; do
		[ -n "$files" ] || continue
		(cd "$dir" && grep -qE '^func Fuzz[A-Za-z0-9_]*\(' $files) && echo "$dir $imp"
	done)
if [ "${#found[@]}" -eq 0 ]; then
	echo "fuzz: no fuzz targets found in $pkgs" >&2
	exit 1
fi

binof() { echo "$work/$(echo "$1" | tr '/' '_').test"; }

# The test binaries are built one after another in the background while the
# targets of those already built run: a target runs for a fixed time, so the
# links (the slow part for short runs) overlap it. -s -w makes the links
# faster; a crash's stack still names functions and lines.
(
	for entry in "${found[@]}"; do
		imp=${entry#* }
		bin=$(binof "$imp")
		if go test -tags "$tags" -c -fuzz . -ldflags '-s -w' -o "$bin" "$imp" >"$bin.build" 2>&1; then
			touch "$bin.ok"
		else
			touch "$bin.failed"
		fi
	done
) &
builder=$!
trap 'kill "$builder" 2>/dev/null; wait "$builder" 2>/dev/null; rm -rf "$work"' EXIT

# A go test timeout well past the fuzz time catches a hung run.
timeout=30m
strict=1
if [[ $fuzztime =~ ^([0-9]+)s$ ]]; then
	timeout="$((BASH_REMATCH[1] + 300))s"
	[ "${BASH_REMATCH[1]}" -ge 10 ] || strict=0
fi

# fuzzone DIR BIN TARGET IMPORTPATH LOG runs one target in its package dir.
fuzzone() {
	(cd "$1" && "$2" -test.run '^$' -test.fuzz "^$3\$" -test.fuzztime "$fuzztime" \
		-test.fuzzcachedir "$cache/$4" -test.timeout "$timeout" >"$5" 2>&1)
}

start=$SECONDS
failed=0
total=0
printf '%-28s %-26s %8s %12s\n' PACKAGE TARGET TIME EXECS
for entry in "${found[@]}"; do
	dir=${entry%% *}
	imp=${entry#* }
	bin=$(binof "$imp")
	while [ ! -e "$bin.ok" ] && [ ! -e "$bin.failed" ]; do
		sleep 0.2
	done
	if [ -e "$bin.failed" ]; then
		echo "fuzz: build $imp failed:" >&2
		cat "$bin.build" >&2
		failed=1
		continue
	fi
	mapfile -t targets < <(cd "$dir" && "$bin" -test.list '^Fuzz' | grep -E '^Fuzz' | grep -E -- "$match")
	for t in "${targets[@]}"; do
		total=$((total + 1))
		log="$work/$t.log"
		t0=$SECONDS
		fuzzone "$dir" "$bin" "$t" "$imp" "$log"
		rc=$?
		# go1.26's coordinator can fail a target with a bare "context
		# deadline exceeded" at the end of -fuzztime when the machine is
		# loaded (go.dev/issue/75804): no input is written. It is run once
		# more; twice in a row fails (a hung input ends the same way).
		if [ "$rc" -ne 0 ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
			echo "fuzz: $imp $t stopped with go's deadline race; running it again"
			fuzzone "$dir" "$bin" "$t" "$imp" "$log"
			rc=$?
		fi
		execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
		printf '%-28s %-26s %7ss %12s\n' "${imp#berth/}" "$t" "$((SECONDS - t0))" "${execs:-0}"
		# No execs means the time went on replaying the seeds: a failure
		# for runs of 10 s or more, a note for the short ones on a busy machine.
		if [ "$rc" -eq 0 ] && [ "${execs:-0}" -eq 0 ] && [ "$strict" -eq 0 ]; then
			echo "fuzz: $imp $t only replayed its seeds in $fuzztime (a busy machine)"
			continue
		fi
		if [ "$rc" -ne 0 ] || [ -z "$execs" ] || [ "$execs" -eq 0 ]; then
			failed=1
			echo "--- $imp $t failed (exit $rc):"
			grep -v '^fuzz: elapsed' "$log" | head -60
			crash=$(grep -oE 'testdata/fuzz/[A-Za-z0-9_]+/[0-9a-f]+' "$log" | head -1)
			if [ -n "$crash" ] && [ -f "$dir/$crash" ]; then
				echo "--- crasher $dir/$crash:"
				cat "$dir/$crash"
			fi
		fi
	done
done
echo "fuzz: $total targets, ${fuzztime} each, $((SECONDS - start))s in all"
if [ "$failed" -ne 0 ]; then
	echo "fuzz: FAILED" >&2
	exit 1
fi
