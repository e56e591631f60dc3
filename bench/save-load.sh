#!/usr/bin/env bash
# Throughput of `berth save IMG | berth load` against `docker save IMG | docker load`
# on the same image, in MB/s of the saved tarball, median of N runs, side by side.
# Each run loads into a store that does not have the image yet (berth: a second
# data root; docker: a second private dockerd), so both sides do the whole job.
# docker load also unpacks the layers; berth unpacks them on first use, so the
# berth figure "+ unpack" adds `berth run --rm IMG true` (which prepares the
# snapshots) to make the work equal.
# Images: busybox (bootstrapped offline) and debian:bookworm when a berth root
# holding it is given with BERTH_DEBIAN_ROOT=DIR (make one with
# `bin/berth --root DIR image bootstrap debian`, a few minutes).
# Docker: Debian's dockerd, two private daemons on their own sockets and data roots,
# each in network and mount namespaces of its own (bench/lib-docker.sh), so the
# host's docker0, rules and mounts are untouched; "docker unavailable" when missing.
# Usage: bench/save-load.sh [N]   (as root, after make build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
berth=$PWD/bin/berth
work=$(mktemp -d /tmp/berth-sl.XXXXXX)
src=$work/src dst=$work/dst
. bench/lib-docker.sh

cleanup() {
	for r in "$src" "$dst"; do [ -d "$r" ] && $berth --root "$r" system reset -f >/dev/null 2>&1; done
	stop_dockerds
	rm -rf "$work"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN {printf "%.1f", (b/1e6)/(ns/1e9)}'; }


$berth --root "$src" image bootstrap busybox >/dev/null 2>&1
imgs=(busybox:latest)
if [ -n "${BERTH_DEBIAN_ROOT:-}" ] && $berth --root "$BERTH_DEBIAN_ROOT" image inspect debian:bookworm >/dev/null 2>&1; then
	$berth --root "$BERTH_DEBIAN_ROOT" save debian:bookworm | $berth --root "$src" load >/dev/null
	imgs+=(debian:bookworm)
fi

docker_ok=0
if command -v dockerd >/dev/null && command -v docker >/dev/null && start_dockerd dsrc && start_dockerd ddst; then
	docker_ok=1
	export DOCKER_CONFIG=$work/cli
	dsrc="docker -H unix://$work/dsrc/docker.sock" ddst="docker -H unix://$work/ddst/docker.sock"
fi

printf '%-16s %9s  %-26s %-26s %-26s\n' IMAGE "TAR MB" "berth save|load" "berth save|load + unpack" "docker save|docker load"
for img in "${imgs[@]}"; do
	bytes=$($berth --root "$src" save "$img" | wc -c)
	bl=() bu=() dl=()
	for _ in $(seq "$n"); do
		a=$(now_ns); $berth --root "$src" save "$img" | $berth --root "$dst" load >/dev/null; b=$(now_ns)
		$berth --root "$dst" run --rm "$img" true >/dev/null; c=$(now_ns)
		bl+=($((b - a))) bu+=($((c - a)))
		$berth --root "$dst" rmi -f "$img" >/dev/null
	done
	berth_l=$(printf '%s\n' "${bl[@]}" | median) berth_u=$(printf '%s\n' "${bu[@]}" | median)
	docker_col="docker unavailable"
	if [ $docker_ok = 1 ]; then
		$berth --root "$src" save "$img" | $dsrc load >/dev/null
		for _ in $(seq "$n"); do
			a=$(now_ns); $dsrc save "$img" | $ddst load >/dev/null; b=$(now_ns)
			dl+=($((b - a)))
			$ddst rmi -f "$img" >/dev/null
		done
		d=$(printf '%s\n' "${dl[@]}" | median)
		docker_col="$(mbps "$bytes" "$d") MB/s ($((d / 1000000)) ms)"
	fi
	printf '%-16s %9.1f  %-26s %-26s %-26s\n' "$img" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" \
		"$(mbps "$bytes" "$berth_l") MB/s ($((${berth_l%.*} / 1000000)) ms)" \
		"$(mbps "$bytes" "$berth_u") MB/s ($((${berth_u%.*} / 1000000)) ms)" "$docker_col"
done
echo "median of $n runs; MB/s = saved tarball bytes / wall time of the whole pipeline"
