# Shared by bench/conformance.sh, bench/compose-check.sh and bench/pycheck.sh (source it after
# setting berth, T and only): a temporary data root with berth serve on a
# private socket, the docker CLI pointed at it (private DOCKER_HOST and
# DOCKER_CONFIG), a cleanup trap that removes everything, and check, which
# prints `PASS name` or `FAIL name: reason` and counts them in pass/failed.

work=$(mktemp -d /tmp/berth-cf.XXXXXX) # short: unix socket paths are limited
root=$work/root
sock=$work/api.sock
srv_pid="" reg_pid=""
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
export DOCKER_HOST=unix://$sock DOCKER_CONFIG=$work/docker-config
mkdir -p "$DOCKER_CONFIG"

B() { timeout -k 5 300 "$berth" --root "$root" "$@"; }

# cleanup stops the server and the registry (if any), removes every container with
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
# eq GOT WANT; has TEXT PART; hasi (has, ignoring case); hasnt TEXT PART; fails CMD...; errout CMD...: assertions that
# say what they saw.
eq() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }
has() { case $1 in *"$2"*) ;; *) echo "'$2' not in: $1"; return 1 ;; esac; }
hasi() { has "${1,,}" "${2,,}"; }
hasnt() { case $1 in *"$2"*) echo "'$2' unexpectedly in: $1"; return 1 ;; esac; }
fails() { if "$@"; then echo "$* succeeded; want an error"; return 1; fi; }
# errout CMD...: CMD's output (stdout and stderr) when it fails; when it succeeds, a
# line saying so (which the has/hasi around it then reports).
errout() { local out; if out=$("$@" 2>&1); then echo "$* succeeded; want an error: $out"; return 1; fi; printf '%s' "$out"; }
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
