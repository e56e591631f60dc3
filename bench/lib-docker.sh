# Shared by the bench scripts. Source it after setting $work; it records which
# of Docker's host directories exist now, so that stop_dockerds removes only
# those a private dockerd made.
pids=()
created=()
for h in /run/docker /run/containerd /etc/docker; do [ -e "$h" ] || created+=("$h"); done

# stop_dockerds stops the private daemons and removes their cgroups and the
# host directories they created.
stop_dockerds() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
	for c in /sys/fs/cgroup/*/berth-sl-*; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done
	for h in "${created[@]}"; do rm -rf "$h"; done
}

# start_dockerd NAME starts a private Debian dockerd
# under $work/NAME (its own socket, data root and cgroup parent; no bridge, no
# iptables, no ip_forward change) and appends its pid to the pids array.
start_dockerd() {
	local d=$work/$1
	mkdir -p "$d"
	local conf="{}"
	dockerd --version | grep -q 'version 20\.' && conf="{\"deprecated-key-path\": \"$d/key.json\"}"
	echo "$conf" >"$d/daemon.json"
	dockerd --host "unix://$d/docker.sock" --data-root "$d/root" --exec-root "$d/exec" \
		--pidfile "$d/docker.pid" --config-file "$d/daemon.json" --bridge=none --iptables=false \
		--ip6tables=false --ip-forward=false --ip-masq=false --cgroup-parent "/berth-sl-$1" \
		--storage-driver overlay2 >"$d/log" 2>&1 &
	pids+=($!)
	for _ in $(seq 150); do
		DOCKER_HOST=unix://$d/docker.sock docker version >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "dockerd $1 did not start: $(tail -3 "$d/log")" >&2
	return 1
}
