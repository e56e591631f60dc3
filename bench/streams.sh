#!/usr/bin/env bash
# logs --tail 100 on a 1,000,000-line log and stats --no-stream over N running
# containers, berth side by side with Docker (a private Debian dockerd in
# namespaces of its own, see bench/lib-docker.sh), whole-command wall time,
# median of 5.
# Usage: bench/streams.sh [N]   (as root, after make build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
berth=$PWD/bin/berth
work=$(mktemp -d /tmp/berth-st.XXXXXX)
root=$work/berth
. bench/lib-docker.sh
cleanup() {
	$berth --root "$root" system reset -f >/dev/null 2>&1 || true
	if [ -n "${DOCKER_HOST:-}" ]; then docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1 || true; fi
	stop_dockerds
	rm -rf "$work"
}
trap cleanup EXIT
B() { $berth --root "$root" "$@"; }
med() { local ts=(); for _ in 1 2 3 4 5; do a=$(date +%s%N); "$@" >/dev/null 2>&1; b=$(date +%s%N); ts+=($(( (b - a) / 100000 ))); done; printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1/10}'; }
B image bootstrap busybox >/dev/null 2>&1
B run --name million busybox seq 1 1000000 >/dev/null
for i in $(seq "$n"); do B run -d --network none busybox sleep 1000 >/dev/null; done
echo "berth logs --tail 100 (1e6 lines): $(med B logs --tail 100 million) ms"
echo "berth stats --no-stream ($n containers): $(med B stats --no-stream) ms"
if command -v dockerd >/dev/null && start_dockerd st; then
	export DOCKER_HOST=unix://$work/st/docker.sock
	B save busybox | docker load >/dev/null
	docker run --name million --network none busybox seq 1 1000000 >/dev/null
	for i in $(seq "$n"); do docker run -d --network none busybox sleep 1000 >/dev/null; done
	echo "docker logs --tail 100 (1e6 lines): $(med docker logs --tail 100 million) ms"
	echo "docker stats --no-stream ($n containers): $(med docker stats --no-stream) ms"
else
	echo "docker: dockerd unavailable; comparison skipped"
fi
