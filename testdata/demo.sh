#!/usr/bin/env bash
# The `make run` demo: busybox:latest, three demo containers, then the TUI.
#   bash testdata/demo.sh bin/berth [berth flags such as --root DIR]
# Needs root. Uses BERTH_ROOT (or --root) like berth itself. Containers that
# already exist are left as they are, so running it twice is safe.
set -euo pipefail

berth=${1:?usage: demo.sh path/to/berth [--root DIR]}
shift
b() { "$berth" "$@"; }

if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: berth runs containers and needs root (try: sudo make run)" >&2
	exit 1
fi

if ! b "$@" image inspect busybox:latest >/dev/null 2>&1; then
	echo "bootstrapping busybox:latest from the host's busybox-static…"
	b "$@" image bootstrap busybox
fi

have() { local name=$1; shift; b "$@" inspect --type container --format '{{.Name}}' "$name" >/dev/null 2>&1; }

if ! have demo-logger "$@"; then
	b "$@" run -d --name demo-logger busybox sh -c \
		'i=0; while :; do i=$((i+1)); echo "request $i handled in $((i % 37 + 3)) ms"; [ $((i % 10)) = 0 ] && echo "warning: slow disk at request $i" >&2; sleep 0.5; done' >/dev/null
fi
if ! have demo-cpu "$@"; then
	b "$@" run -d --name demo-cpu --cpus 0.5 --memory 64m busybox sh -c 'while :; do :; done' >/dev/null
fi
if ! have demo-failed "$@"; then
	b "$@" run --name demo-failed busybox sh -c 'echo "connecting to db:5432…"; echo "fatal: connection refused" >&2; exit 3' >/dev/null 2>&1 || true
fi

b "$@" ps -a
exec "$berth" "$@"
