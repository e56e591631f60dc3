#!/usr/bin/env bash
# Throughput through a port published on 127.0.0.1 (berth's userland proxy in
# the container's monitor) and through the bridge's host address (nftables
# DNAT), downloading a 256 MiB file from busybox httpd; then the time a network
# takes to create and the extra start time of a container on a bridge.
# Side by side with docker-proxy when a Docker daemon with its default bridge
# answers on $DOCKER_HOST (this script never starts one: that would rewrite the
# host's iptables); otherwise berth's figures alone.
# Usage: bench/proxy.sh   (as root, after make build; needs curl)
set -euo pipefail
cd "$(dirname "$0")/.."
berth=$PWD/bin/berth
root=$(mktemp -d /tmp/berth-px.XXXXXX)
trap '$berth --root "$root" system reset -f >/dev/null 2>&1 || true; rm -rf "$root"' EXIT
B() { $berth --root "$root" "$@"; }
B image bootstrap busybox >/dev/null 2>&1
B run -d --name px -p 18200:80 busybox sh -c 'mkdir /www && head -c 268435456 /dev/zero > /www/big && httpd -f -p 80 -h /www' >/dev/null
gw=$(B inspect -f '{{(index .NetworkSettings.Networks "bridge").Gateway}}' px)
for _ in $(seq 100); do curl -s -o /dev/null -m 1 http://127.0.0.1:18200/ && break; sleep 0.1; done
sleep 1
speed() { curl -s -o /dev/null -w '%{speed_download}' "$1" | awk '{printf "%.0f MB/s", $1/1e6}'; }
echo "berth 127.0.0.1 (userland proxy): $(speed http://127.0.0.1:18200/big)"
echo "berth $gw (nftables DNAT):  $(speed http://$gw:18200/big)"
if docker info --format '{{.Name}}' >/dev/null 2>&1 && docker image inspect busybox >/dev/null 2>&1; then
	docker run -d --name berth-px-docker -p 18201:80 busybox sh -c 'mkdir /www && head -c 268435456 /dev/zero > /www/big && httpd -f -p 80 -h /www' >/dev/null
	sleep 3
	echo "docker 127.0.0.1 (docker-proxy): $(speed http://127.0.0.1:18201/big)"
	docker rm -f berth-px-docker >/dev/null
else
	echo "docker: no daemon with a bridge and a busybox image on \$DOCKER_HOST; docker-proxy comparison skipped"
fi
t0=$(date +%s%N); B network create benchnet >/dev/null; t1=$(date +%s%N)
echo "network create: $(( (t1 - t0) / 1000000 )) ms (whole berth process)"
med() { local ts=(); for _ in $(seq 15); do a=$(date +%s%N); "$@" >/dev/null 2>&1; b=$(date +%s%N); ts+=($(( (b - a) / 100000 ))); done; printf '%s\n' "${ts[@]}" | sort -n | sed -n 8p | awk '{printf "%.1f", $1/10}'; }
none=$(med B run --rm --network none busybox true)
bridge=$(med B run --rm busybox true)
echo "run --rm true: --network none ${none} ms, default bridge ${bridge} ms (network setup + teardown: $(awk "BEGIN{printf \"%.1f\", $bridge-$none}") ms)"
