#!/usr/bin/env bash
# docker-compose against `berth serve`: a two-service project (busybox httpd,
# and a busybox client that fetches from it by service name on the project's
# network), brought up with `up -d` (twice: the second finds it up to date),
# looked at with `ps` and `logs`, used with `exec -T` and `run --rm` (a
# one-off container linked to its dependencies), given shm_size, extra_hosts
# (host-gateway), sysctls and dns_search, recreated after a change of
# its configuration, scaled to two clients (which share the service's name
# on the network), and taken down with
# `down -v`, which must leave no container,
# network or volume of the project. Uses Debian's docker-compose (v1, python;
# installed with apt-get when missing) or a `docker compose` plugin (v2) if
# that is what is installed. Prints PASS/FAIL lines and `N passed, N failed`.
# Same isolation as bench/conformance.sh (bench/lib-serve.sh): private socket,
# data root and DOCKER_CONFIG; traffic only between the project's containers.
#
# Usage: bench/compose-check.sh   (as root, after make build)
set -uo pipefail
cd "$(dirname "$0")/.."
exec </dev/null
berth=${BERTH:-$PWD/bin/berth}
T=${CONFORMANCE_TIMEOUT:-60}
only=${CONFORMANCE_ONLY:-}
[ "$(id -u)" -eq 0 ] || { echo "bench/compose-check.sh: run as root" >&2; exit 2; }
[ -x "$berth" ] || { echo "bench/compose-check.sh: $berth is missing: run make build" >&2; exit 2; }
command -v docker >/dev/null || { echo "bench/compose-check.sh: the docker CLI is not installed" >&2; exit 2; }

# compose: docker-compose v1 if present (installed from Debian if neither is),
# else the v2 plugin.
if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null 2>&1; }
fi
if command -v docker-compose >/dev/null; then
	compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
else
	echo "SKIP compose: neither docker-compose nor the docker compose plugin is installed and apt-get could not install docker-compose"
	exit 0
fi

. bench/lib-serve.sh

dc() { timeout -k 5 "$T" "${compose[@]}" -p cfc -f "$work/compose.yml" "$@"; }

B image bootstrap busybox >"$work/bootstrap.log" 2>&1 || { echo "berth image bootstrap busybox failed: $(tail -3 "$work/bootstrap.log")" >&2; exit 1; }
start_server || exit 1
echo "# $("${compose[@]}" version 2>/dev/null | head -1)"

cat >"$work/compose.yml" <<'YAML'
version: "2.4"
services:
  web:
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo compose-ok >/www/index.html && exec httpd -f -p 8080 -h /www"]
    volumes: ["data:/data"]
    environment: ["MODE=${MODE:-first}"]
    shm_size: 128m
    extra_hosts: ["host.docker.internal:host-gateway"]
    sysctls: {net.ipv4.ip_unprivileged_port_start: "0"}
    dns_search: [corp.test]
  client:
    image: busybox
    depends_on: [web]
    command: ["sh", "-c", "for i in $$(seq 100); do wget -q -O - http://web:8080/ && exec sleep 1000; sleep 0.2; done; echo web unreachable; exit 1"]
volumes:
  data: {}
YAML

# leftovers lists the containers, networks and volumes named after the project.
leftovers() {
	{ dk ps -a --format '{{.Names}}'; dk network ls --format '{{.Name}}'; dk volume ls --format '{{.Name}}'; } | grep -E '^cfc[-_]' || true
}

check compose-up 'dc up -d'
check compose-ps 'out=$(dc ps); has "$out" web; has "$out" client; ids=$(dc ps -q)
	eq "$(dk inspect -f "{{.State.Running}}" $ids | tr "\n" " ")" "true true "'
check compose-network 'has "$(dk network ls --format "{{.Name}}")" cfc_default'
check compose-volume 'has "$(dk volume ls --format "{{.Name}}")" cfc_data'
check compose-logs-client 'until_ok "dc logs client | grep -q compose-ok"'
check compose-logs 'has "$(dc logs --no-color)" "compose-ok"'
check compose-exec 'eq "$(dc exec -T web cat /www/index.html)" compose-ok'
check compose-options 'out=$(dc exec -T web sh -c "df -k /dev/shm; grep host.docker.internal /etc/hosts; cat /proc/sys/net/ipv4/ip_unprivileged_port_start; grep ^search /etc/resolv.conf")
	has "$out" 131072; has "$out" host.docker.internal; has "$out" "search corp.test"; eq "$(echo "$out" | grep -cx 0)" 1'
check compose-labels 'eq "$(dk inspect -f "{{index .Config.Labels \"com.docker.compose.service\"}}" $(dc ps -q web))" web'
check compose-up-again 'out=$(dc up -d 2>&1); has "$out" "up-to-date"'
check compose-run 'eq "$(dc run --rm -T client wget -q -O - http://web:8080/)" compose-ok'
check compose-recreate 'MODE=second dc up -d; eq "$(MODE=second dc exec -T web sh -c "echo \$MODE")" second'
check compose-scale 'MODE=second dc up -d --scale client=2; eq "$(MODE=second dc ps -q client | wc -l)" 2'
check compose-down 'MODE=second dc down -v; eq "$(leftovers)" ""'

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
