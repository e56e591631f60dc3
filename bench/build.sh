#!/usr/bin/env bash
# `berth build` side by side with Docker's builders on the same machine, the
# same Dockerfile and the same context: a 10-step Dockerfile (FROM busybox,
# 5 RUN, a COPY of a context of FILES files, ENV, WORKDIR, CMD) built
#   cold     - nothing cached (berth: image removed, builder prune -a;
#              docker: image removed, builder cache pruned),
#   cached   - again with no change,
#   one-file - after changing one file of the context (the COPY and all after
#              it run again),
# median of N runs each, in seconds, with the ratio berth/docker.
# Docker: Debian's dockerd 20.10 in a private daemon in network and mount
# namespaces of its own (bench/lib-docker.sh; the host's Docker is never
# touched), its busybox loaded from berth's save. Its classic builder with
# DOCKER_BUILDKIT=0; BuildKit (built into dockerd 20.10) through Debian's
# docker 20.10 CLI at /usr/bin/docker, which speaks to it without the buildx
# plugin (a docker CLI 23+ needs buildx for DOCKER_BUILDKIT=1, and Debian
# bookworm has no docker-buildx package). Docker's RUN steps get --network
# none (the private daemon has no bridge); berth's join its default bridge.
# Usage: bench/build.sh [N] [FILES] [BYTES]   (as root, after make build)
# FILES files of 1-4 KiB by default; with BYTES, each file is BYTES of random
# data (the issue's shape: bench/build.sh 5 200 104858 - 200 files, 20 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
files=${2:-3000}
bytes=${3:-}
berth=$PWD/bin/berth
work=$(mktemp -d /tmp/berth-bb.XXXXXX)
root=$work/berth ctx=$work/ctx
. bench/lib-docker.sh
B() { "$berth" --root "$root" "$@"; }

cleanup() {
	[ -d "$root" ] && B system reset -f >/dev/null 2>&1
	stop_dockerds
	rm -rf "$work"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
# us: the time in microseconds from bash's own clock (EPOCHREALTIME), read
# without forking a date process, so that the timer adds nothing to the
# cached builds it times (two forks of date were ~2 ms of a 45 ms build).
us() { local t=$EPOCHREALTIME; REPLY=${t/./}; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
secs() { awk -v ns="$1" 'BEGIN {printf "%.3f", ns/1e9}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a/b; else print "-"}'; }

# The context: FILES files of 1-4 KiB (or BYTES each) of random data in 30
# directories.
mkdir -p "$ctx/files"
for i in $(seq "$files"); do
	d=$ctx/files/d$((i % 30))
	[ -d "$d" ] || mkdir "$d"
	head -c "${bytes:-$((1024 + (i * 37) % 3072))}" /dev/urandom >"$d/f$i"
done
# The issue's shape (the default): the five RUN steps come before the COPY, so
# a one-file change runs the COPY and the metadata steps after it again.
# SHAPE=late-runs puts two RUN steps after the COPY (a one-file change then
# also runs two containers).
if [ "${SHAPE:-}" = late-runs ]; then
	cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox
ENV APP=/app MODE=bench
RUN echo one > /one
RUN mkdir -p /app/data
WORKDIR /app
RUN echo two > two
COPY files/ /app/data/
RUN find /app/data -type f | wc -l > /count
RUN echo three > three
ENV DONE=yes
CMD ["cat", "/count"]
EOF
else
	cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox
RUN echo one > /one
RUN mkdir -p /app/data
RUN echo two > /app/two
RUN echo three > /app/three
RUN ls /app > /count
COPY files/ /app/data/
ENV APP=/app MODE=bench
WORKDIR /app
CMD ["cat", "/count"]
EOF
fi

B image bootstrap busybox >/dev/null 2>&1

sides=(berth)
declare -A build clean
build[berth]="B build -q -t bench:build $ctx"
clean[berth]="B rmi -f bench:build; B builder prune -a -f"
if command -v dockerd >/dev/null && start_dockerd dk; then
	export DOCKER_CONFIG=$work/cli
	sock=unix://$work/dk/docker.sock
	B save busybox | docker -H "$sock" load >/dev/null
	sides+=(classic)
	build[classic]="DOCKER_BUILDKIT=0 docker -H $sock build -q --network none -t bench:classic $ctx"
	clean[classic]="docker -H $sock rmi -f bench:classic; docker -H $sock builder prune -a -f"
	if DOCKER_BUILDKIT=1 docker -H "$sock" build -q --network none -t bench:probe - <<<'FROM busybox' >/dev/null 2>&1; then
		bk=docker
	elif [ -x /usr/bin/docker ] && DOCKER_BUILDKIT=1 /usr/bin/docker -H "$sock" build -q --network none -t bench:probe - <<<'FROM busybox' >/dev/null 2>&1; then
		bk=/usr/bin/docker
		echo "note: $(docker --version) has no buildx plugin for DOCKER_BUILDKIT=1; BuildKit is driven by $($bk --version)"
	else
		bk=
		echo "note: BuildKit unavailable (no buildx plugin, no docker 20.10 CLI): classic builder only"
	fi
	if [ -n "$bk" ]; then
		sides+=(buildkit)
		build[buildkit]="DOCKER_BUILDKIT=1 $bk -H $sock build -q --network none -t bench:buildkit $ctx"
		clean[buildkit]="docker -H $sock rmi -f bench:buildkit; docker -H $sock builder prune -a -f"
	fi
else
	echo "docker unavailable: berth only"
fi

# measure SIDE CASE: the median time of n builds of CASE, in ns.
measure() {
	local side=$1 case=$2 t=() a b
	for i in $(seq "$n"); do
		case $case in
		cold) eval "${clean[$side]}" >/dev/null 2>&1 || true ;;
		one-file) echo "change $side $i $(now_ns)" >"$ctx/files/d1/f1" ;;
		esac
		us
		a=$REPLY
		eval "${build[$side]}" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
		us
		b=$REPLY
		t+=($(((b - a) * 1000)))
	done
	printf '%s\n' "${t[@]}" | median
}

declare -A res
for side in "${sides[@]}"; do
	eval "${build[$side]}" >/dev/null 2>&1 # warm the page cache and the base image
	for case in cold cached one-file; do
		res[$side.$case]=$(measure "$side" "$case")
	done
done

echo "$files context files ($(du -sh "$ctx/files" | cut -f1)), median of $n runs, seconds"
printf '%-9s' CASE
for side in "${sides[@]}"; do printf ' %9s' "$side"; done
for side in "${sides[@]:1}"; do printf ' %15s' "berth/$side"; done
echo
for case in cold cached one-file; do
	printf '%-9s' "$case"
	for side in "${sides[@]}"; do printf ' %9s' "$(secs "${res[$side.$case]}")"; done
	for side in "${sides[@]:1}"; do printf ' %15s' "$(ratio "${res[berth.$case]}" "${res[$side.$case]}")"; done
	echo
done
