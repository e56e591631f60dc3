#!/usr/bin/env bash
# What a running health check costs per container. Starts N busybox sleep
# containers with a health check (CMD-SHELL, counting its runs in a file of
# the container) every INTERVAL, and N without, then over WINDOW seconds
# reads:
#   - per check: wall time (End - Start of the results in State.Health.Log)
#     and CPU time (the monitor's utime+stime+cutime+cstime from
#     /proc/PID/stat: the helper that execs the check, runc's init steps and
#     the check itself are all reaped below it);
#   - per container, checks on against off, over the same WINDOW: the CPU
#     of the processes the container adds (its monitor with everything it
#     reaped, from /proc/PID/stat: this includes the check's process) and,
#     as a part of it, of the container's cgroup (cpuacct.usage or cpu.stat's
#     usage_usec: runc's init and the check inside the container, and the
#     container's own sleep);
#   - per monitor (the one long-lived process a container adds; a check's
#     helper lives for the check only): Pss, Private_Dirty and Private_Clean
#     from /proc/PID/smaps_rollup, with checks on against off.
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
# cgroup NAME: the container's CPU accounting file (cgroup v1 or v2).
cgroup() {
	local id; id=$(B inspect -f '{{.Id}}' "$1")
	if [ -f "/sys/fs/cgroup/cpuacct/berth/$id/cpuacct.usage" ]; then
		echo "/sys/fs/cgroup/cpuacct/berth/$id/cpuacct.usage"
	else
		echo "/sys/fs/cgroup/berth/$id/cpu.stat"
	fi
}
# cgcpu FILE: the CPU time in µs a cgroup's accounting file gives.
cgcpu() {
	case "$1" in
	*cpuacct.usage) echo $(($(cat "$1") / 1000)) ;;
	*) awk '/^usage_usec/ {print $2}' "$1" ;;
	esac
}
# runs FILE: how many checks ran in the container (lines of its counting file).
runs() { [ -f "$1" ] && wc -l <"$1" || echo 0; }

B image bootstrap busybox >/dev/null
echo "starting $N containers with a health check every $INTERVAL and $N without..."
for i in $(seq "$N"); do
	B run -d --name "on$i" --health-cmd 'echo >>/tmp/runs' --health-interval "$INTERVAL" busybox sleep 100000 >/dev/null
	B run -d --name "off$i" busybox sleep 100000 >/dev/null
done
for i in $(seq "$N"); do
	until [ "$(B inspect -f '{{.State.Health.Status}}' "on$i")" = healthy ]; do sleep 0.2; done
done

# Where each counter is, found first, so that reading them all (before and
# after the window) takes a moment, not the time of many berth commands.
declare -A mon cgf runf c0 r0 g0
for g in on off; do
	for i in $(seq "$N"); do mon[$g$i]=$(monitor "$g$i"); cgf[$g$i]=$(cgroup "$g$i"); done
done
for i in $(seq "$N"); do runf[$i]="$(B inspect -f '{{.GraphDriver.Data.UpperDir}}' "on$i")/tmp/runs"; done
t0=$(date +%s%N)
for g in on off; do
	for i in $(seq "$N"); do c0[$g$i]=$(cpu "${mon[$g$i]}"); g0[$g$i]=$(cgcpu "${cgf[$g$i]}"); done
done
for i in $(seq "$N"); do r0[$i]=$(runs "${runf[$i]}"); done
sleep "$WINDOW"
declare -A ticks cg
for g in on off; do
	ticks[$g]=0 cg[$g]=0
	for i in $(seq "$N"); do
		ticks[$g]=$((ticks[$g] + $(cpu "${mon[$g$i]}") - c0[$g$i]))
		cg[$g]=$((cg[$g] + $(cgcpu "${cgf[$g$i]}") - g0[$g$i]))
	done
done
checks=0
for i in $(seq "$N"); do checks=$((checks + $(runs "${runf[$i]}") - r0[$i])); done
WINDOW=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
hz=$(getconf CLK_TCK)
awk -v t="${ticks[on]}" -v n="$checks" -v hz="$hz" 'BEGIN { printf "checks run: %d; monitor CPU per check: %.1f ms\n", n, t / hz * 1000 / n }'
for g in on off; do
	awk -v g="$g" -v t="${ticks[$g]}" -v c="${cg[$g]}" -v hz="$hz" -v n="$N" -v w="$WINDOW" 'BEGIN {
		printf "per container, checks %-3s: monitor CPU %.1f ms/s, container cgroup CPU %.1f ms/s (over %.1f s)\n",
			g, t / hz * 1000 / n / w, c / 1000 / n / w, w }'
done

walls=$(for i in $(seq "$N"); do
	B inspect -f '{{range .State.Health.Log}}{{.Start.UnixNano}} {{.End.UnixNano}}{{println}}{{end}}' "on$i"
done | awk 'NF == 2 { s += ($2 - $1) / 1e6; n++ } END { printf "%.1f ms over %d results", s / n, n }')
echo "wall time per check (State.Health.Log): $walls"

for g in on off; do
	for i in $(seq "$N"); do mem "$(monitor "$g$i")"; done |
		awk -v g="$g" '{ p += $1; d += $2; c += $3; n++ }
			END { printf "monitor, checks %-3s (mean of %d): Pss %.0f kB, Private_Dirty %.0f kB, Private_Clean %.0f kB\n", g, n, p/n, d/n, c/n }'
done
