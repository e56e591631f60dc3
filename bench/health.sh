#!/usr/bin/env bash
# What a running health check costs per container. Starts N busybox sleep
# containers with a health check (CMD-SHELL, counting its runs in a file of
# the container) every INTERVAL, and N without, then over WINDOW seconds
# reads:
#   - per check: wall time (End - Start of the results in State.Health.Log)
#     and CPU time (the monitor's utime+stime+cutime+cstime from
#     /proc/PID/stat: the helper that execs the check, runc's init steps and
#     the check itself are all reaped below it);
#   - per monitor: Pss, Private_Dirty and Private_Clean from
#     /proc/PID/smaps_rollup, with checks on against off.
# Run as root: bash bench/health.sh [N] [INTERVAL] [WINDOW]
set -euo pipefail
N=${1:-10}
INTERVAL=${2:-1s}
WINDOW=${3:-30}
cd "$(dirname "$0")/.."
BERTH=${BERTH:-$PWD/bin/berth}
ROOT=$(mktemp -d /tmp/berth-bench-health.XXXXXX)
B() { "$BERTH" --root "$ROOT" "$@"; }
cleanup() {
	B system reset -f >/dev/null 2>&1 || true
	rm -rf "$ROOT"
}
trap cleanup EXIT

# monitor NAME: the pid of a container's monitor (its init's parent).
monitor() { ps -o ppid= -p "$(B inspect -f '{{.State.Pid}}' "$1")" | tr -d ' '; }
# cpu PID: utime+stime+cutime+cstime, in clock ticks.
cpu() { awk '{ sub(/.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$1/stat"; }
# mem PID: "Pss Private_Dirty Private_Clean" in kB.
mem() { awk '/^Pss:/ {p=$2} /^Private_Dirty:/ {d=$2} /^Private_Clean:/ {c=$2} END {print p, d, c}' "/proc/$1/smaps_rollup"; }
# runs NAME: how many checks ran in the container.
runs() { local f; f="$(B inspect -f '{{.GraphDriver.Data.UpperDir}}' "$1")/tmp/runs"; [ -f "$f" ] && wc -l <"$f" || echo 0; }

B image bootstrap busybox >/dev/null
echo "starting $N containers with a health check every $INTERVAL and $N without..."
for i in $(seq "$N"); do
	B run -d --name "on$i" --health-cmd 'echo >>/tmp/runs' --health-interval "$INTERVAL" busybox sleep 100000 >/dev/null
	B run -d --name "off$i" busybox sleep 100000 >/dev/null
done
for i in $(seq "$N"); do
	until [ "$(B inspect -f '{{.State.Health.Status}}' "on$i")" = healthy ]; do sleep 0.2; done
done

declare -A c0 r0
for i in $(seq "$N"); do c0[$i]=$(cpu "$(monitor "on$i")"); r0[$i]=$(runs "on$i"); done
sleep "$WINDOW"
ticks=0 checks=0
for i in $(seq "$N"); do
	ticks=$((ticks + $(cpu "$(monitor "on$i")") - c0[$i]))
	checks=$((checks + $(runs "on$i") - r0[$i]))
done
hz=$(getconf CLK_TCK)
awk -v t="$ticks" -v n="$checks" -v hz="$hz" 'BEGIN { printf "checks run: %d; CPU per check: %.1f ms\n", n, t / hz * 1000 / n }'

walls=$(for i in $(seq "$N"); do
	B inspect -f '{{range .State.Health.Log}}{{.Start.UnixNano}} {{.End.UnixNano}}{{println}}{{end}}' "on$i"
done | awk 'NF == 2 { s += ($2 - $1) / 1e6; n++ } END { printf "%.1f ms over %d results", s / n, n }')
echo "wall time per check (State.Health.Log): $walls"

for g in on off; do
	for i in $(seq "$N"); do mem "$(monitor "$g$i")"; done |
		awk -v g="$g" '{ p += $1; d += $2; c += $3; n++ }
			END { printf "monitor, checks %-3s (mean of %d): Pss %.0f kB, Private_Dirty %.0f kB, Private_Clean %.0f kB\n", g, n, p/n, d/n, c/n }'
done
