#!/usr/bin/env bash
# Whole-process wall time of `berth run --rm busybox true`, median of N runs,
# side by side with `docker run --rm busybox true` when a Docker daemon answers.
# Also the private memory of one idle monitor (Private_Clean + Private_Dirty).
# Usage: bench/run-rm.sh [N]   (as root, after make build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
berth=$PWD/bin/berth
root=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap '$berth --root $root rm -f idle >/dev/null 2>&1 || true; rm -rf "$root"' EXIT
$berth --root "$root" image bootstrap busybox >/dev/null 2>&1

median_ms() { # runs "$@" n times, prints the median wall time in ms
	local ts=()
	"$@" >/dev/null 2>&1 # warm-up
	for _ in $(seq "$n"); do
		local a b
		a=$(date +%s%N); "$@" >/dev/null 2>&1; b=$(date +%s%N)
		ts+=($(( (b - a) / 1000 )))
	done
	printf '%s\n' "${ts[@]}" | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.1f\n", m/1000}'
}

b=$(median_ms $berth --root "$root" run --rm busybox true)
echo "berth run --rm busybox true: median of $n = ${b} ms"
if docker info >/dev/null 2>&1 && docker image inspect busybox >/dev/null 2>&1; then
	d=$(median_ms docker run --rm busybox true)
	echo "docker run --rm busybox true: median of $n = ${d} ms (berth is $(awk "BEGIN{printf \"%.1f\", $d/$b}")x faster)"
else
	echo "docker: no daemon with a busybox image here; docker comparison skipped"
fi

$berth --root "$root" run -d --name idle busybox sleep 1000 >/dev/null
sleep 1
pid=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['MonitorPid'])" "$root"/containers/*/state.json)
priv=$(awk '/^Private_(Clean|Dirty)/ {s+=$2} END {print s}' /proc/$pid/smaps_rollup)
echo "idle monitor private memory: ${priv} kB (Private_Clean + Private_Dirty, pid $pid)"
