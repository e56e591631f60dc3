#!/usr/bin/env bash
# Whole-process wall time of `berth run --rm busybox true`, median of N runs,
# side by side with `docker run --rm --network none busybox true` on a private
# Debian dockerd (same busybox image, loaded with berth save | docker load);
# then the memory of an idle monitor.
# Usage: bench/run-rm.sh [N]   (as root, after make build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
berth=$PWD/bin/berth
work=$(mktemp -d /tmp/berth-rr.XXXXXX)
root=$work/berth
. bench/lib-docker.sh
cleanup() {
	$berth --root "$root" system reset -f >/dev/null 2>&1 || true
	stop_dockerds
	rm -rf "$work"
}
trap cleanup EXIT
$berth --root "$root" image bootstrap busybox >/dev/null 2>&1

median_ms() { # runs "$@" n times after a warm-up, prints the median wall time in ms
	local ts=()
	"$@" >/dev/null 2>&1
	for _ in $(seq "$n"); do
		local a b
		a=$(date +%s%N); "$@" >/dev/null 2>&1; b=$(date +%s%N)
		ts+=($(( (b - a) / 1000 )))
	done
	printf '%s\n' "${ts[@]}" | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.1f\n", m/1000}'
}

b=$(median_ms $berth --root "$root" run --rm busybox true)
echo "berth run --rm busybox true:                   median of $n = ${b} ms"
if command -v dockerd >/dev/null && start_dockerd rr; then
	export DOCKER_HOST=unix://$work/rr/docker.sock
	$berth --root "$root" save busybox | docker load >/dev/null
	d=$(median_ms docker run --rm --network none busybox true)
	echo "docker run --rm --network none busybox true:  median of $n = ${d} ms (berth is $(awk "BEGIN{printf \"%.1f\", $d/$b}")x faster)"
	for i in 1 2 3 4 5; do docker run -d --network none busybox sleep 1000 >/dev/null; done
	sleep 1
	for p in $(pgrep -f "containerd-shim.*$work/rr" || true); do
		awk '/^Private_(Clean|Dirty)/ {s+=$2} /^Pss:/ {q+=$2} END {print s, q}' /proc/$p/smaps_rollup
	done | sort -n | awk '{v[NR]=$1; p[NR]=$2} END {if (NR) {m=int((NR+1)/2); printf "docker containerd-shim memory (median of %d): private %d kB, PSS %d kB (plus dockerd and containerd)\n", NR, v[m], p[m]}}'
	docker ps -q | xargs -r docker rm -f >/dev/null
	unset DOCKER_HOST
else
	echo "docker: dockerd unavailable; comparison skipped"
fi

# Private memory of an idle monitor, with five running: the binary's pages
# are then shared among them, as on any host with several containers.
for i in 1 2 3 4 5; do $berth --root "$root" run -d --name idle$i busybox sleep 1000 >/dev/null; done
sleep 1
for f in "$root"/containers/*/state.json; do
	pid=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['MonitorPid'])" "$f")
	awk '/^Private_(Clean|Dirty)/ {s+=$2} /^Pss:/ {p+=$2} END {print s, p}' /proc/$pid/smaps_rollup
done | sort -n | awk '{v[NR]=$1; p[NR]=$2} END {m=int((NR+1)/2); printf "idle monitor memory (median of %d): private %d kB (Private_Clean + Private_Dirty), PSS %d kB\n", NR, v[m], p[m]}'
