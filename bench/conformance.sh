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

. bench/lib-serve.sh

B image bootstrap busybox >"$work/bootstrap.log" 2>&1 || { echo "berth image bootstrap busybox failed: $(tail -3 "$work/bootstrap.log")" >&2; exit 1; }
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
	pyout=$(CF_REGISTRY=$reg CF_TIMEOUT=$T CF_ONLY=$only timeout -k 5 600 "$py" bench/conformance_py.py 2>&1) || rc=$?
	printf '%s\n' "$pyout" | grep -E '^(PASS|FAIL) '
	pass=$((pass + $(printf '%s\n' "$pyout" | grep -c '^PASS ')))
	failed=$((failed + $(printf '%s\n' "$pyout" | grep -c '^FAIL ')))
	if [ "$rc" -ne 0 ]; then
		echo "FAIL docker-py: exit $rc: $(printf '%s\n' "$pyout" | grep -Ev '^(PASS|FAIL) ' | tail -n 3 | tr '\n' ' ')"
		failed=$((failed + 1))
	fi
}
run_py

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
