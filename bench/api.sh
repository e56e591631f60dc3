#!/usr/bin/env bash
# The Docker Engine API's speed and memory, side by side through the docker
# CLI: berth serve (private socket, temporary data root) against a private
# Debian dockerd (bench/lib-docker.sh: its own network and mount namespaces,
# data root and exec root; never the host's Docker or docker0), the same
# busybox in both (berth save busybox | docker load). Figures, not pass/fail:
#   docker version (the CLI's own start-up)       median wall time of N runs
#   docker run --rm --network none busybox true   median of N
#   docker ps -a with 200 created containers      median of N
#   docker images                                 median of N
#   docker stats --no-stream, 20 running          median of 3
#   idle RSS: berth serve vs dockerd + containerd (at start, and after the
#   runs with 20 containers running)
# each with the ratio berth/dockerd (below 1: berth is faster or smaller).
# The timed runs alternate between berth and dockerd, so that other load on
# the machine weighs on both sides alike.
# dockerd runs with --bridge=none, so both sides run --network none.
#
# Usage: bench/api.sh [N]   (as root, after make build; N defaults to 20)
set -uo pipefail
cd "$(dirname "$0")/.."
exec </dev/null
n=${1:-20}
berth=${BERTH:-$PWD/bin/berth}
T=${CONFORMANCE_TIMEOUT:-120}
only=""
[ "$(id -u)" -eq 0 ] || { echo "bench/api.sh: run as root" >&2; exit 2; }
[ -x "$berth" ] || { echo "bench/api.sh: $berth is missing: run make build" >&2; exit 2; }
command -v docker >/dev/null || { echo "bench/api.sh: the docker CLI is not installed" >&2; exit 2; }
command -v dockerd >/dev/null || { echo "bench/api.sh: dockerd is not installed (apt-get install docker.io)" >&2; exit 2; }

. bench/lib-serve.sh
. bench/lib-docker.sh
dk_name=api$$
dk_sock=unix://$work/$dk_name/docker.sock
trap 'on_docker_all_rm; stop_dockerds; cleanup' EXIT

# on SIDE CMD...: runs CMD with the docker CLI aimed at berth or dockerd.
on() {
	local host=$sock
	[ "$1" = dockerd ] && host=${dk_sock#unix://}
	shift
	DOCKER_HOST=unix://$host timeout -k 5 "$T" "$@"
}
on_docker_all_rm() { on dockerd sh -c 'docker ps -aq | xargs -r docker rm -f' >/dev/null 2>&1; }

# mean_ms SIDE RUNS CMD...: the mean wall time of RUNS runs of CMD on SIDE,
# in ms, after one warm-up; fails if any run fails.
mean_ms() {
	local side=$1 runs=$2 total=0 i a b
	shift 2
	on "$side" "$@" >/dev/null 2>&1 || { echo "$side: $* failed: $(on "$side" "$@" 2>&1 | tail -2)" >&2; return 1; }
	for i in $(seq "$runs"); do
		a=$(date +%s%N)
		on "$side" "$@" >/dev/null 2>&1 || { echo "$side: $* failed on run $i" >&2; return 1; }
		b=$(date +%s%N)
		total=$((total + b - a))
	done
	awk -v t="$total" -v r="$runs" 'BEGIN { printf "%.1f\n", t / r / 1e6 }'
}

# rss_kb PID...: the summed VmRSS of the processes, in kB.
rss_kb() {
	local p sum=0 v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
dockerd_pids() {
	local d=${pids[0]}
	echo "$d" $(pgrep -P "$d" -x containerd)
}

# row LABEL UNIT BERTH DOCKERD: one line of figures with the ratio.
row() {
	awk -v l="$1" -v u="$2" -v b="$3" -v d="$4" 'BEGIN {
		r = (b ~ /^[0-9.]+$/ && d ~ /^[0-9.]+$/ && d > 0) ? sprintf("%.2f", b / d) : "n/a"
		printf "%-48s berth %9s %-3s  dockerd %9s %-3s  berth/dockerd %s\n", l, b, u, d, u, r }'
}

B image bootstrap busybox >"$work/bootstrap.log" 2>&1 || { echo "berth image bootstrap busybox failed" >&2; exit 1; }
start_server || exit 1
start_dockerd "$dk_name" || exit 1
B save busybox | on dockerd docker load >/dev/null || { echo "docker load of berth's busybox failed" >&2; exit 1; }
on berth docker version >/dev/null && on dockerd docker version >/dev/null
sleep 2
echo "# $(nproc) CPUs, N=$n; docker CLI $(docker version --format '{{.Client.Version}}' 2>/dev/null), $(dockerd --version)"
row "idle RSS at start (serve vs dockerd+containerd)" kB "$(rss_kb "$srv_pid")" "$(rss_kb $(dockerd_pids))"

# fig LABEL RUNS CMD...: one row, both sides. The runs alternate between the
# sides (after one warm-up each), so that a machine shared with other jobs
# loads both alike and the ratio stays readable.
fig() {
	local label=$1 runs=$2 i a b ok=1 side
	local -a tb=() td=()
	shift 2
	for side in berth dockerd; do
		on "$side" "$@" >/dev/null 2>&1 || { echo "$side: $* failed: $(on "$side" "$@" 2>&1 | tail -2)" >&2; ok=0; }
	done
	# Interleaved, each side first on every other run (so that neither
	# always follows the other); the median is the figure (a 2-core machine
	# has outliers a mean of 10 keeps).
	for i in $(seq "$runs"); do
		[ "$ok" = 1 ] || break
		for side in $( ((i % 2)) && echo berth dockerd || echo dockerd berth); do
			a=$(date +%s%N)
			on "$side" "$@" >/dev/null 2>&1 || { echo "$side: $* failed on run $i" >&2; ok=0; }
			b=$(date +%s%N)
			if [ "$side" = berth ]; then tb+=($((b - a))); else td+=($((b - a))); fi
		done
	done
	if [ "$ok" = 1 ]; then
		row "$label" ms "$(median_ms "${tb[@]}")" "$(median_ms "${td[@]}")"
	else
		row "$label" ms failed failed
	fi
}

# median_ms NS...: the median of the nanosecond figures, in ms.
median_ms() {
	printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.1f", m/1e6}'
}

fig "docker version (the CLI and one round trip)" "$n" docker version
fig "docker run --rm --network none busybox true" "$n" docker run --rm --network none busybox true
b=$(mean_ms berth "$n" docker run --rm busybox true) || b=failed
echo "(berth only) docker run --rm busybox true (default bridge): mean ${b} ms"

for side in berth dockerd; do
	on "$side" sh -c 'for i in $(seq 200); do docker create --network none busybox true >/dev/null || exit 1; done' ||
		echo "$side: creating 200 containers failed" >&2
done
fig "docker ps -a (200 created containers)" "$n" docker ps -a
fig "docker images" "$n" docker images
for side in berth dockerd; do
	on "$side" sh -c 'docker ps -aq | xargs -r docker rm >/dev/null' || echo "$side: removing the created containers failed" >&2
	on "$side" sh -c 'for i in $(seq 20); do docker run -d --network none busybox sleep 100000 >/dev/null || exit 1; done' ||
		echo "$side: starting 20 containers failed" >&2
done
fig "docker stats --no-stream (20 running)" 3 docker stats --no-stream
sleep 2
row "idle RSS, 20 running (serve vs dockerd+containerd)" kB "$(rss_kb "$srv_pid")" "$(rss_kb $(dockerd_pids))"
