#!/usr/bin/env bash
# Docker Engine API conformance of `berth serve`, seen from real clients: the
# docker CLI and docker-py against a private socket in a temporary data root
# (busybox bootstrapped), with a local registry (Debian's docker-registry, or
# bench/registry built from go-containerregistry) on 127.0.0.1 for push and
# pull. Each check prints `PASS name` or `FAIL name: reason` (the reason is
# what the client printed, i.e. what the server answered); the last line is
# `N passed, N failed`. The exit status is 0 only when nothing failed.
#
# It touches nothing of the host's Docker: DOCKER_HOST is the private socket,
# DOCKER_CONFIG a private directory. Traffic goes only to 127.0.0.1 (the
# server's outbound registry traffic is proxied to a closed local port, so a
# slip that would pull from Docker Hub fails instead) and between containers
# the script made. Every docker call has a timeout; everything made (server,
# containers, networks, registry, data root) is removed at the end.
#
# Usage: bench/conformance.sh   (as root, after make build; or make conformance)
# Environment: CONFORMANCE_TIMEOUT (seconds per call, default 60),
#              CONFORMANCE_ONLY (a regular expression over check names).
set -uo pipefail
cd "$(dirname "$0")/.."
exec </dev/null
berth=${BERTH:-$PWD/bin/berth}
T=${CONFORMANCE_TIMEOUT:-60}
only=${CONFORMANCE_ONLY:-}
[ "$(id -u)" -eq 0 ] || { echo "bench/conformance.sh: run as root" >&2; exit 2; }
[ -x "$berth" ] || { echo "bench/conformance.sh: $berth is missing: run make build" >&2; exit 2; }
command -v docker >/dev/null || { echo "bench/conformance.sh: the docker CLI is not installed" >&2; exit 2; }

work=$(mktemp -d /tmp/berth-cf.XXXXXX) # short: unix socket paths are limited
root=$work/root
sock=$work/api.sock
srv_pid="" reg_pid=""
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
export DOCKER_HOST=unix://$sock DOCKER_CONFIG=$work/docker-config
mkdir -p "$DOCKER_CONFIG"

B() { timeout -k 5 300 "$berth" --root "$root" "$@"; }

# cleanup stops the server and the registry, removes every container with
# berth rm -f and every network with berth system reset, unmounts anything
# left under the work directory (reported) and removes it.
cleanup() {
	set +e
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
	[ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null
	if [ -d "$root" ]; then
		B ps -aq --no-trunc | xargs -r timeout 300 "$berth" --root "$root" rm -f >/dev/null
		B system reset -f >/dev/null
	fi
	awk -v w="$work" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
		echo "conformance: $m was left mounted; unmounting it" >&2
		umount -l "$m"
	done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass=0 failed=0
# check NAME CODE: runs CODE (shell, with errexit) in a subshell; PASS if it
# succeeds, else FAIL with the last lines it printed.
check() {
	local name=$1 code=$2 out rc
	if [ -n "$only" ] && ! [[ $name =~ $only ]]; then return 0; fi
	out=$(set -e; eval "$code" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		out=$(printf '%s' "$out" | grep -v '^$' | tail -n 4 | tr '\n' ' ' | cut -c1-500)
		echo "FAIL $name: ${out:-exit $rc}"
		failed=$((failed + 1))
	fi
}

# dk runs the docker CLI with a timeout, saying so when it ran out.
dk() {
	local rc=0
	timeout -k 5 "$T" docker "$@" || rc=$?
	[ "$rc" -eq 124 ] && echo "docker $* timed out after ${T}s" >&2
	return "$rc"
}
# eq GOT WANT; has TEXT PART; hasnt TEXT PART; fails CMD...: assertions that
# say what they saw.
eq() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }
has() { case $1 in *"$2"*) ;; *) echo "'$2' not in: $1"; return 1 ;; esac; }
hasnt() { case $1 in *"$2"*) echo "'$2' unexpectedly in: $1"; return 1 ;; esac; }
fails() { if "$@"; then echo "$* succeeded; want an error"; return 1; fi; }
# until_ok CODE: retries CODE for up to T seconds (a bound against a hang).
until_ok() {
	local i
	for i in $(seq $((T * 5))); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
	eval "$1" || return 1
}
# state NAME: the container's State.Status.
state() { dk inspect -f '{{.State.Status}}' "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_server runs berth serve on the private socket. Its outbound HTTP(S)
# goes to a closed port unless aimed at 127.0.0.1, so no check can reach the
# internet through it.
start_server() {
	HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost \
		"$berth" --root "$root" serve -H "unix://$sock" >"$work/serve.log" 2>&1 &
	srv_pid=$!
	local i
	for i in $(seq 300); do
		[ -S "$sock" ] && curl -sf --max-time 5 --unix-socket "$sock" http://d/_ping >/dev/null && return 0
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "berth serve did not answer: $(tail -3 "$work/serve.log")" >&2
	return 1
}

# start_registry runs a registry on a free 127.0.0.1 port and sets $reg.
start_registry() {
	local port
	port=$(free_port)
	reg=127.0.0.1:$port
	mkdir -p "$work/registry"
	if command -v docker-registry >/dev/null; then
		cat >"$work/registry.yml" <<-EOF
			version: 0.1
			log: {level: error, accesslog: {disabled: true}}
			storage: {filesystem: {rootdirectory: $work/registry}, delete: {enabled: true}}
			http: {addr: "$reg"}
		EOF
		docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
	else
		go build -o "$work/registry-bin" ./bench/registry || return 1
		"$work/registry-bin" "$reg" >"$work/registry.log" 2>&1 &
	fi
	reg_pid=$!
	local i
	for i in $(seq 300); do
		curl -sf --max-time 5 "http://$reg/v2/" >/dev/null && return 0
		kill -0 "$reg_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "the registry did not answer: $(tail -3 "$work/registry.log")" >&2
	return 1
}

B image bootstrap busybox >/dev/null || { echo "berth image bootstrap busybox failed" >&2; exit 1; }
start_server || exit 1
start_registry || exit 1

. bench/conformance-checks.sh
checks_system
checks_run
checks_lifecycle
checks_files
checks_networks
checks_volumes
checks_images
checks_build
checks_errors
checks_events_prune

# run_py runs bench/conformance_py.py with whichever python3 imports docker
# (the PATH one, else Debian's python3-docker) and counts its lines.
run_py() {
	local py="" p pyout rc=0
	for p in python3 /usr/bin/python3; do
		"$p" -c 'import docker' 2>/dev/null && { py=$p; break; }
	done
	if [ -z "$py" ]; then
		check docker-py 'echo "docker-py is not installed (apt-get install python3-docker)"; false'
		return
	fi
	pyout=$(CF_REGISTRY=$reg CF_TIMEOUT=$T timeout -k 5 600 "$py" bench/conformance_py.py 2>&1) || rc=$?
	printf '%s\n' "$pyout" | grep -E '^(PASS|FAIL) '
	pass=$((pass + $(printf '%s\n' "$pyout" | grep -c '^PASS ')))
	failed=$((failed + $(printf '%s\n' "$pyout" | grep -c '^FAIL ')))
	if [ "$rc" -ne 0 ]; then
		echo "FAIL docker-py: exit $rc: $(printf '%s\n' "$pyout" | grep -Ev '^(PASS|FAIL) ' | tail -n 3 | tr '\n' ' ')"
		failed=$((failed + 1))
	fi
}
if [ -z "$only" ] || [[ py- =~ $only ]]; then run_py; fi

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
