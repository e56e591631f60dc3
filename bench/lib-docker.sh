# Shared by the bench scripts. Source it after setting $work. Each private
# dockerd runs in a network namespace and a mount namespace of its own (with
# a private /run), so it cannot touch the host's links (with --bridge=none it
# deletes any docker0 it sees), routes, iptables rules, mounts, /run/docker or
# a containerd the host runs: everything it makes dies with its namespaces or
# lives under $work. cmd/berth's TestBenchLibDockerdIsolated checks this.
pids=()
dk_cgroups=()

# stop_dockerds stops the private daemons and removes their cgroups (only
# theirs: another job's private daemon may be running), retrying while the
# last of their processes leave them. It never fails (it runs in EXIT traps
# of `set -e` scripts).
stop_dockerds() {
	local p c i left
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
	for i in $(seq 50); do
		left=0
		for c in "${dk_cgroups[@]}"; do
			for p in /sys/fs/cgroup/*/"$c"; do
				[ -d "$p" ] || continue
				find "$p" -depth -type d -exec rmdir {} + 2>/dev/null || true
				[ -d "$p" ] && left=1
			done
		done
		[ "$left" = 0 ] && break
		sleep 0.2
	done
	return 0
}

# start_dockerd NAME starts a private Debian dockerd under $work/NAME (its own
# socket, data root, exec root and cgroup parent; no bridge, no iptables, no
# ip_forward change) in new network and mount namespaces, and appends its pid
# to the pids array.
start_dockerd() {
	local d=$work/$1
	mkdir -p "$d"
	local conf="{}"
	dockerd --version | grep -q 'version 20\.' && conf="{\"deprecated-key-path\": \"$d/key.json\"}"
	echo "$conf" >"$d/daemon.json"
	# unshare execs sh, which execs dockerd: $! is dockerd's pid.
	unshare --net --mount --propagation private -- sh -c \
		'ip link set lo up && mount -t tmpfs -o mode=0755 tmpfs /run && exec dockerd "$@"' dockerd \
		--host "unix://$d/docker.sock" --data-root "$d/root" --exec-root "$d/exec" \
		--pidfile "$d/docker.pid" --config-file "$d/daemon.json" --bridge=none --iptables=false \
		--ip6tables=false --ip-forward=false --ip-masq=false --cgroup-parent "/berth-sl-$1" \
		--storage-driver overlay2 >"$d/log" 2>&1 &
	local pid=$!
	pids+=("$pid")
	dk_cgroups+=("berth-sl-$1")
	for _ in $(seq 600); do
		DOCKER_HOST=unix://$d/docker.sock docker version >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	echo "dockerd $1 did not start: $(tail -3 "$d/log")" >&2
	return 1
}
