#!/usr/bin/env bash
# A new user's sweep of `berth serve` with real clients nobody here wrote:
# docker-py 7 (bench/pycheck.py: containers.run with its common kwargs,
# logs, wait, exec_run, archives, stats, attach, top, diff, commit, list
# filters, builds, image get/history/tag/save/load, pulls (one tag and all
# tags) from a registry on 127.0.0.1, networks with IPAM, aliases and a fixed
# address, volumes, events in a thread, df, info, version), then
# docker-compose on a two-service project with a build, depends_on, a named
# volume, a user network and a port published on 127.0.0.1 (up -d, ps, port,
# logs, exec, restart, down -v). Each check's expectation is what a private
# dockerd 20.10 answered to the same call. Prints `PASS name` or
# `FAIL name: reason` and, last, `N passed, N failed`; exit 0 only when
# nothing failed.
#
# Same isolation as bench/conformance.sh (bench/lib-serve.sh): private
# socket, data root and DOCKER_CONFIG; traffic only to 127.0.0.1 (the
# server's outbound registry traffic is proxied to a closed port) and
# between the containers it made; everything is removed at the end.
#
# Usage: bench/pycheck.sh   (as root, after make build)
# Environment: CONFORMANCE_TIMEOUT (seconds per call, default 60),
#              CONFORMANCE_ONLY (a regular expression over check names),
#              CF_API_VERSION (docker-py's API version; default: negotiated).
set -uo pipefail
cd "$(dirname "$0")/.."
exec </dev/null
berth=${BERTH:-$PWD/bin/berth}
T=${CONFORMANCE_TIMEOUT:-60}
only=${CONFORMANCE_ONLY:-}
[ "$(id -u)" -eq 0 ] || { echo "bench/pycheck.sh: run as root" >&2; exit 2; }
[ -x "$berth" ] || { echo "bench/pycheck.sh: $berth is missing: run make build" >&2; exit 2; }
command -v docker >/dev/null || { echo "bench/pycheck.sh: the docker CLI is not installed" >&2; exit 2; }

. bench/lib-serve.sh

B image bootstrap busybox >"$work/bootstrap.log" 2>&1 || { echo "berth image bootstrap busybox failed: $(tail -3 "$work/bootstrap.log")" >&2; exit 1; }
start_server || exit 1
start_registry || exit 1
for t in 1 2; do
	{ dk tag busybox "$reg/pc/busybox:$t" && dk push "$reg/pc/busybox:$t" && dk rmi "$reg/pc/busybox:$t"; } >/dev/null ||
		{ echo "pushing $reg/pc/busybox:$t failed" >&2; exit 1; }
done

# run_py runs bench/pycheck.py with whichever python3 imports docker (the
# PATH one, else Debian's python3-docker) and counts its lines.
run_py() {
	local py="" p pyout rc=0
	for p in python3 /usr/bin/python3; do
		"$p" -c 'import docker' 2>/dev/null && { py=$p; break; }
	done
	if [ -z "$py" ]; then
		check docker-py 'echo "docker-py is not installed (apt-get install python3-docker)"; false'
		return
	fi
	pyout=$(CF_REGISTRY=$reg CF_TIMEOUT=$T CF_ONLY=$only timeout -k 5 900 "$py" bench/pycheck.py 2>&1) || rc=$?
	printf '%s\n' "$pyout" | grep -E '^(PASS|FAIL) '
	pass=$((pass + $(printf '%s\n' "$pyout" | grep -c '^PASS ')))
	failed=$((failed + $(printf '%s\n' "$pyout" | grep -c '^FAIL ')))
	if [ "$rc" -ne 0 ]; then
		echo "FAIL docker-py: exit $rc: $(printf '%s\n' "$pyout" | grep -Ev '^(PASS|FAIL) ' | tail -n 3 | tr '\n' ' ')"
		failed=$((failed + 1))
	fi
}
run_py

# The compose project: web is built (with a build arg) and published on
# 127.0.0.1; client starts after it and fetches from it by name on the
# project's network into the shared named volume.
compose_project() {
	mkdir -p "$work/pc/app"
	cat >"$work/pc/app/Dockerfile" <<-'EOF2'
		FROM busybox
		ARG GREETING=hi
		RUN mkdir -p /www && echo "$GREETING" >/www/index.html
		CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
	EOF2
	cat >"$work/pc/compose.yml" <<-'EOF2'
		version: "2.4"
		services:
		  web:
		    build: {context: ./app, args: {GREETING: from-build}}
		    image: pc-web:1
		    ports: ["127.0.0.1::8080"]
		    networks: [front]
		    volumes: ["data:/data"]
		  client:
		    image: busybox
		    depends_on: [web]
		    networks: {front: {aliases: [cl]}}
		    volumes: ["data:/data"]
		    command: ["sh", "-c", "for i in $$(seq 100); do wget -q -O /data/got http://web:8080/ && cat /data/got && exec sleep 1000; sleep 0.2; done; exit 1"]
		networks:
		  front: {}
		volumes:
		  data: {}
	EOF2
}

checks_compose() {
	local compose
	if command -v docker-compose >/dev/null; then
		compose=(docker-compose)
	elif docker compose version >/dev/null 2>&1; then
		compose=(docker compose)
	else
		echo "SKIP compose: neither docker-compose nor the docker compose plugin is installed"
		return
	fi
	dc() { timeout -k 5 "$T" "${compose[@]}" -p pcc -f "$work/pc/compose.yml" "$@"; }
	compose_project
	check compose-build-up 'dc up -d; eq "$(dk inspect -f "{{.Config.Image}}" $(dc ps -q web))" pc-web:1'
	check compose-ps-running 'eq "$(dk inspect -f "{{.State.Running}}" $(dc ps -q) | sort -u)" true'
	check compose-user-network 'eq "$(dk inspect -f "{{range \$k, \$v := .NetworkSettings.Networks}}{{\$k}}{{end}}" $(dc ps -q client))" pcc_front'
	check compose-depends-fetch 'until_ok "dc logs client | grep -q from-build"'
	check compose-named-volume 'eq "$(dc exec -T web cat /data/got)" from-build'
	check compose-port 'p=$(dc port web 8080); [[ $p =~ ^127\.0\.0\.1:[0-9]+$ ]] || { echo "port: $p"; false; }
		until_ok "curl -sf --max-time 5 http://$p/ | grep -qx from-build"'
	check compose-restart 'dc restart; eq "$(dk inspect -f "{{.State.Running}} {{.RestartCount}}" $(dc ps -q web))" "true 0"
		p=$(dc port web 8080); until_ok "curl -sf --max-time 5 http://$p/ | grep -qx from-build"'
	check compose-down-v 'dc down -v
		eq "$({ dk ps -a --format "{{.Names}}"; dk network ls --format "{{.Name}}"; dk volume ls --format "{{.Name}}"; } | grep "^pcc" || true)" ""'
}
checks_compose

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
