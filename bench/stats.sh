#!/usr/bin/env bash
# stats for N running busybox sleep containers at 1 Hz: the CPU time of the
# `berth stats` process (utime+stime from /proc/PID/stat) over a window,
# as % of one core; and the wall time of `berth stats --no-stream` (which
# takes two reads one second apart, as docker's does). Compared with Docker
# when a Docker daemon answers. Run as root: bash bench/stats.sh [N] [SECONDS]
set -euo pipefail
N=${1:-100}
WINDOW=${2:-10}
cd "$(dirname "$0")/.."
BERTH=${BERTH:-$PWD/bin/berth}
ROOT=$(mktemp -d /tmp/berth-bench-stats.XXXXXX)
B() { "$BERTH" --root "$ROOT" "$@"; }
cleanup() {
	[ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null || true
	B system reset -f >/dev/null 2>&1 || true
	rm -rf "$ROOT"
}
trap cleanup EXIT

# cputicks PID: utime+stime of a process, in clock ticks.
cputicks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

B image bootstrap busybox >/dev/null
echo "starting $N busybox sleep containers..."
for i in $(seq "$N"); do B run -d --name "s$i" busybox sleep 100000 >/dev/null; done
[ "$(B ps -q | wc -l)" -eq "$N" ] || { echo "not all $N containers run" >&2; exit 1; }

"$BERTH" --root "$ROOT" stats >/dev/null & # not through B: SPID must be berth itself
SPID=$!
sleep 2 # first list, warm-up
t0=$(cputicks "$SPID")
sleep "$WINDOW"
t1=$(cputicks "$SPID")
kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
hz=$(getconf CLK_TCK)
pct=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v w="$WINDOW" 'BEGIN { printf "%.2f", d / hz / w * 100 }')
echo "berth stats, $N containers, 1 Hz: ${pct}% of one core ($((t1 - t0)) ticks of 1/${hz}s in ${WINDOW}s)"

start=$(date +%s.%N)
rows=$(B stats --no-stream | tail -n +2 | wc -l)
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v r="$rows" 'BEGIN { printf "berth stats --no-stream: %d rows in %.2fs\n", r, e - s }'

if docker info >/dev/null 2>&1; then
	echo "docker: see 'docker stats --no-stream' for the same number of containers (not started here)"
else
	echo "docker: no Docker daemon answers on this host; no side-by-side figure"
fi
