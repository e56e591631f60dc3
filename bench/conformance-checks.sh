# The docker CLI checks of bench/conformance.sh, by area (sourced by it: uses
# check, dk, eq, has, hasnt, fails, until_ok, state, $work, $reg, $sock).
# Objects the checks make are named cf-*; later checks use earlier ones, so a
# failure early on may fail the ones after it too (the first names the cause).

checks_system() {
	check ping 'eq "$(curl -sf --max-time 10 --unix-socket "$sock" http://d/_ping)" OK'
	check version 'v=$(dk version --format "{{.Server.APIVersion}} {{.Server.Os}}"); has "$v" " linux"'
	check info 'n=$(dk info --format "{{.Images}}"); [ "$n" -ge 1 ] || { echo "info Images: $n"; false; }'
	check images 'has "$(dk images --format "{{.Repository}}:{{.Tag}}")" busybox:latest'
	check images-q 'eq "$(dk images -q busybox | wc -l)" 1'
	check image-inspect 'eq "$(dk image inspect -f "{{.Os}}/{{.Architecture}}" busybox)" "linux/$(uname -m | sed "s/x86_64/amd64/; s/aarch64/arm64/")"'
	check ps 'has "$(dk ps)" "CONTAINER ID"'
	check system-df 'has "$(dk system df)" Images'
}

checks_run() {
	check run-rm-echo 'eq "$(dk run --rm busybox echo hello)" hello'
	check run-rm-removed 'dk run --rm --name cf-gone busybox true; eq "$(dk ps -aq --filter name=cf-gone)" ""'
	check run-exit-code 'rc=0; dk run --rm busybox sh -c "exit 7" || rc=$?; eq "$rc" 7'
	check run-i-stdin 'eq "$(echo piped-in | dk run --rm -i busybox cat)" piped-in'
	check run-env-workdir-user 'eq "$(dk run --rm -e FOO=bar -w /tmp -u 1000 busybox sh -c "echo \$FOO \$(pwd) \$(id -u)")" "bar /tmp 1000"'
	check run-entrypoint 'eq "$(dk run --rm --entrypoint echo busybox x y)" "x y"'
	check run-groups 'eq "$(dk run --rm busybox grep ^Groups: /proc/self/status | awk "{print \$2, \$3}")" "0 10"'
	check run-hostname 'eq "$(dk run --rm -h cfhost busybox hostname)" cfhost'
	check run-network-none 'eq "$(dk run --rm --network none busybox ls /sys/class/net)" lo'
	check run-read-only 'has "$(errout dk run --rm --read-only busybox touch /x)" "Read-only file system"'
	check run-bind-mount 'mkdir -p "$work/bind"; echo bound >"$work/bind/f"; eq "$(dk run --rm -v "$work/bind:/b:ro" busybox cat /b/f)" bound'
	check run-stderr 'eq "$(dk run --rm busybox sh -c "echo out; echo err >&2" 2>&1 >/dev/null)" err'
	check run-t 'eq "$(dk run --rm -t busybox echo tty | od -An -c | tr -s " ")" " t t y \r \n"'
	check run-shm-size 'eq "$(dk run --rm --shm-size 128m busybox sh -c "df -k /dev/shm | tail -1" | awk "{print \$2}")" 131072'
	check run-memory 'dk run -d --name cf-mem -m 32m busybox sleep 1000 >/dev/null
		eq "$(dk inspect -f "{{.HostConfig.Memory}} {{.State.Running}}" cf-mem)" "33554432 true"; dk rm -f cf-mem >/dev/null'
	check run-d-p 'dk run -d --name cf-web -l cf=web -p 127.0.0.1::8080 busybox sh -c \
		"mkdir -p /www && echo hello-web >/www/index.html && exec httpd -f -p 8080 -h /www" >/dev/null
		eq "$(state cf-web)" running'
	check port 'p=$(dk port cf-web 8080); [[ $p =~ ^127\.0\.0\.1:[0-9]+$ ]] || { echo "port: $p"; false; }'
	check port-all 'has "$(dk port cf-web)" "8080/tcp -> 127.0.0.1:"'
	check published-port 'p=$(dk port cf-web 8080 | head -1)
		until_ok "curl -sf --max-time 5 http://$p/ | grep -qx hello-web"'
	check ps-running 'has "$(dk ps --format "{{.Names}} {{.Status}}")" "cf-web Up"'
	check ps-filter-label 'id=$(dk ps -q --filter label=cf=web); [ -n "$id" ] || { echo "no container with label cf=web"; false; }; eq "$id" "$(dk ps -q --filter name=cf-web)"'
	check ps-filter-labels-and 'eq "$(dk ps -aq --filter label=cf=web --filter label=cf-other)" ""'
	check ps-a-format 'has "$(dk ps -a --no-trunc --format "{{.ID}} {{.Image}} {{.Command}}")" "busybox \"sh -c"'
	check inspect 'eq "$(dk inspect -f "{{.State.Running}} {{.Name}} {{.Config.Image}}" cf-web)" "true /cf-web busybox"'
	check inspect-image-generic 'eq "$(dk inspect -f "{{.Os}}" busybox)" linux'
	check ps-size 'has "$(dk ps -s --format "{{.Names}} {{.Size}}")" "cf-web "'
	check create-start-a 'dk create --name cf-cr busybox echo created >/dev/null; eq "$(dk start -a cf-cr)" created'
}

checks_lifecycle() {
	check logs 'dk run -d --name cf-log busybox sh -c "for i in 1 2 3 4 5; do echo line\$i; done; exec sleep 1000" >/dev/null
		until_ok "dk logs cf-log | grep -qx line5"; eq "$(dk logs cf-log | tr "\n" " ")" "line1 line2 line3 line4 line5 "'
	check logs-tail 'eq "$(dk logs --tail 2 cf-log | tr "\n" " ")" "line4 line5 "'
	check logs-timestamps 'l=$(dk logs -t --tail 1 cf-log); [[ $l =~ ^20[0-9-]+T[0-9:.]+Z\ line5$ ]] || { echo "logs -t: $l"; false; }'
	check logs-stderr 'dk run --name cf-err busybox sh -c "echo out; echo err >&2" >/dev/null 2>&1
		eq "$(dk logs cf-err 2>/dev/null)/$(dk logs cf-err 2>&1 >/dev/null)" out/err'
	check logs-follow-to-exit 'dk run -d --name cf-follow busybox sh -c "sleep 1; for i in 1 2 3; do echo f\$i; sleep 0.2; done" >/dev/null
		eq "$(dk logs -f cf-follow | tr "\n" " ")" "f1 f2 f3 "'
	check logs-follow-timeout 'rc=0; out=$(timeout -k 1 3 docker logs -f cf-log) || rc=$?; eq "$rc" 124; has "$out" line5'
	# docker stats (streaming) ignores SIGTERM: timeout -k ends it with SIGKILL.
	check stats-no-stream 'has "$(dk stats --no-stream --format "{{.Name}} {{.MemUsage}}" cf-web)" "cf-web "'
	check stats-no-stream-all 'has "$(dk stats --no-stream)" cf-web'
	check stats-stream 'rc=0; out=$(timeout -k 1 4 docker stats --format "{{.Name}}" cf-web) || rc=$?
		[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] || { echo "docker stats ended by itself: exit $rc"; false; }; has "$out" cf-web'
	check exec 'eq "$(dk exec cf-web echo in-exec)" in-exec'
	check exec-i 'eq "$(echo piped | dk exec -i cf-web cat)" piped'
	check exec-exit-code 'rc=0; dk exec cf-web sh -c "exit 5" || rc=$?; eq "$rc" 5'
	check exec-env-workdir-user 'eq "$(dk exec -e X=1 -w /tmp -u 1000 cf-web sh -c "echo \$X \$(pwd) \$(id -u)")" "1 /tmp 1000"'
	check exec-d 'dk exec -d cf-web touch /tmp/exec-d; until_ok "dk exec cf-web test -e /tmp/exec-d"'
	check attach 'dk run -d -i --name cf-att busybox sh -c "read x; echo got:\$x" >/dev/null
		eq "$(echo hello | dk attach cf-att)" got:hello'
	check wait 'dk run -d --name cf-wait busybox sh -c "sleep 1; exit 3" >/dev/null; eq "$(dk wait cf-wait)" 3'
	check top 'has "$(dk top cf-web)" httpd'
	check top-ps-options 'out=$(dk top cf-web -o pid,comm); has "$out" COMMAND; has "$out" httpd'
	check update-memory 'dk update --memory 64m --memory-swap 128m cf-web >/dev/null
		eq "$(dk inspect -f "{{.HostConfig.Memory}}" cf-web)" 67108864'
	check rename 'dk run -d --name cf-ren1 busybox sleep 1000 >/dev/null; dk rename cf-ren1 cf-ren2
		eq "$(dk inspect -f "{{.Name}}" cf-ren2)" /cf-ren2'
	check pause 'dk pause cf-ren2 >/dev/null; eq "$(state cf-ren2)" paused'
	check unpause 'dk unpause cf-ren2 >/dev/null; eq "$(state cf-ren2)" running'
	check stop 'dk stop -t 1 cf-ren2 >/dev/null; eq "$(state cf-ren2)" exited'
	check stop-stopped 'eq "$(dk stop cf-ren2)" cf-ren2'
	check start 'dk start cf-ren2 >/dev/null; eq "$(state cf-ren2)" running'
	check start-started 'eq "$(dk start cf-ren2)" cf-ren2'
	check restart 'a=$(dk inspect -f "{{.State.StartedAt}}" cf-ren2); dk restart -t 1 cf-ren2 >/dev/null
		eq "$(state cf-ren2)" running; b=$(dk inspect -f "{{.State.StartedAt}}" cf-ren2); [ "$a" != "$b" ] || { echo "StartedAt unchanged: $a"; false; }'
	check kill 'dk kill cf-ren2 >/dev/null; eq "$(dk inspect -f "{{.State.Status}} {{.State.ExitCode}}" cf-ren2)" "exited 137"'
	check kill-signal 'dk run -d --name cf-sig busybox sh -c "trap \"exit 42\" USR1; while :; do sleep 0.1; done" >/dev/null
		sleep 0.5; dk kill -s USR1 cf-sig >/dev/null; eq "$(dk wait cf-sig)" 42'
	check rm 'dk rm cf-ren2 >/dev/null; fails dk inspect cf-ren2 >/dev/null 2>&1'
	check rm-f-running 'dk run -d --name cf-rmf busybox sleep 1000 >/dev/null; dk rm -f cf-rmf >/dev/null; eq "$(dk ps -aq --filter name=cf-rmf)" ""'
	check container-prune 'dk container prune -f >/dev/null; eq "$(dk ps -aq --filter name=cf-cr --filter status=exited)" ""'
}

checks_files() {
	check diff 'dk exec cf-web sh -c "echo x >/cf-new"; has "$(dk diff cf-web)" "A /cf-new"'
	check cp-in 'echo copied-in >"$work/cpfile"; dk cp "$work/cpfile" cf-web:/tmp/cpfile; eq "$(dk exec cf-web cat /tmp/cpfile)" copied-in'
	check cp-out 'dk cp cf-web:/www/index.html "$work/out.html"; eq "$(cat "$work/out.html")" hello-web'
	check cp-out-tar 'eq "$(dk cp cf-web:/www - | tar -tf - | sort | tr "\n" " ")" "www/ www/index.html "'
	check cp-in-owner 'echo owned >"$work/cpown"; chown 1234:5678 "$work/cpown"; dk cp "$work/cpown" cf-web:/tmp/
		eq "$(dk exec cf-web stat -c %u:%g /tmp/cpown)" 1234:5678'
	check cp-in-tar 'tar -C "$work" -cf - cpfile | dk cp - cf-web:/tmp/; eq "$(dk exec cf-web ls /tmp/cpfile)" /tmp/cpfile'
	check commit 'dk commit cf-web cf-img:committed >/dev/null; eq "$(dk run --rm cf-img:committed cat /cf-new)" x'
	check commit-change 'dk commit -c "ENV CF=1" -c "CMD [\"sh\",\"-c\",\"echo \$CF\"]" cf-web cf-img:env >/dev/null
		eq "$(dk run --rm cf-img:env)" 1'
	check export 'dk export -o "$work/export.tar" cf-web; has "$(tar -tf "$work/export.tar")" bin/busybox'
	check export-stdout 'has "$(dk export cf-web | tar -tf -)" www/index.html'
}

checks_networks() {
	check network-ls-defaults 'l=$(dk network ls --format "{{.Name}}"); has "$l" bridge; has "$l" host; has "$l" none'
	check network-create 'dk network create cf-net >/dev/null'
	check network-ls 'has "$(dk network ls --format "{{.Name}} {{.Driver}}")" "cf-net bridge"'
	check network-inspect 'eq "$(dk network inspect -f "{{.Name}} {{.Driver}} {{len .IPAM.Config}}" cf-net)" "cf-net bridge 1"'
	check network-options-as-given 'eq "$(dk network inspect -f "{{json .Options}}" cf-net)" "{}"'
	check network-create-duplicate 'has "$(errout dk network create cf-net)" "already exists"'
	check network-connect 'dk network connect cf-net cf-web; has "$(dk inspect -f "{{range \$k, \$v := .NetworkSettings.Networks}}{{\$k}} {{end}}" cf-web)" cf-net'
	check network-dns-by-name 'until_ok "dk run --rm --network cf-net busybox wget -q -O - http://cf-web:8080/ | grep -qx hello-web"'
	check run-network-alias 'dk run -d --name cf-al --network cf-net --network-alias cf-alias busybox sh -c \
		"mkdir /w && echo alias >/w/index.html && exec httpd -f -p 80 -h /w" >/dev/null
		until_ok "dk run --rm --network cf-net busybox wget -q -O - http://cf-alias/ | grep -qx alias"'
	check run-link 'until_ok "dk run --rm --network cf-net --link cf-al:linked busybox wget -q -O - http://linked/ | grep -qx alias"'
	check run-add-host-gateway 'gw=$(dk network inspect -f "{{(index .IPAM.Config 0).Gateway}}" bridge)
		has "$(dk run --rm --add-host host.docker.internal:host-gateway --add-host eq.test=192.0.2.7 busybox cat /etc/hosts)" "$gw	host.docker.internal"'
	check run-rm-failed-start 'dk create --name cf-idle busybox true >/dev/null; n=$(dk ps -aq | wc -l)
		has "$(errout dk run --rm --link cf-idle:x busybox true)" "non-running"; eq "$(dk ps -aq | wc -l)" "$n"; dk rm cf-idle >/dev/null'
	check network-disconnect 'dk network disconnect cf-net cf-web; hasnt "$(dk inspect -f "{{range \$k, \$v := .NetworkSettings.Networks}}{{\$k}} {{end}}" cf-web)" cf-net'
	check network-rm 'dk rm -f cf-al >/dev/null; dk network rm cf-net >/dev/null; hasnt "$(dk network ls --format "{{.Name}}")" cf-net'
	check network-prune 'dk network create cf-net2 >/dev/null; dk network prune -f >/dev/null; hasnt "$(dk network ls --format "{{.Name}}")" cf-net2'
}

checks_volumes() {
	check volume-create 'eq "$(dk volume create cf-vol)" cf-vol'
	check volume-ls 'has "$(dk volume ls --format "{{.Driver}} {{.Name}}")" "local cf-vol"'
	check volume-inspect 'm=$(dk volume inspect -f "{{.Mountpoint}}" cf-vol); [ -n "$m" ] || { echo "no Mountpoint"; false; }'
	check volume-use 'dk run --rm -v cf-vol:/data busybox sh -c "echo kept >/data/f"; eq "$(dk run --rm -v cf-vol:/data:ro busybox cat /data/f)" kept'
	check volume-rm-in-use 'dk create --name cf-volc -v cf-vol:/d busybox >/dev/null; fails dk volume rm cf-vol'
	check volume-rm 'dk rm cf-volc >/dev/null; dk volume rm cf-vol >/dev/null; hasnt "$(dk volume ls -q)" cf-vol'
	check volume-anonymous 'dk run --name cf-anon -v /data busybox true; v=$(dk inspect -f "{{range .Mounts}}{{.Name}}{{end}}" cf-anon)
		[ -n "$v" ] || { echo "no anonymous volume"; false; }; dk rm -v cf-anon >/dev/null; hasnt "$(dk volume ls -q)" "$v"'
	check volume-prune 'dk volume create cf-vol2 >/dev/null; dk volume prune -af >/dev/null; hasnt "$(dk volume ls -q)" cf-vol2'
}

checks_images() {
	check tag 'dk tag busybox cf/bb:t1; has "$(dk images --format "{{.Repository}}:{{.Tag}}")" cf/bb:t1'
	check history 'n=$(dk history -q busybox | wc -l); [ "$n" -ge 1 ] || { echo "history rows: $n"; false; }'
	check save 'dk save -o "$work/bb.tar" cf/bb:t1; has "$(tar -tf "$work/bb.tar")" manifest.json'
	check save-stdout 'has "$(dk save busybox | tar -tf -)" manifest.json'
	check rmi-untag 'has "$(dk rmi cf/bb:t1)" "Untagged: cf/bb:t1"'
	check load 'has "$(dk load -i "$work/bb.tar")" "Loaded image: cf/bb:t1"'
	check load-stdin 'dk rmi cf/bb:t1 >/dev/null; has "$(dk load <"$work/bb.tar")" "Loaded image: cf/bb:t1"'
	check import 'dk import "$work/export.tar" cf-img:imported >/dev/null; eq "$(dk run --rm cf-img:imported /bin/busybox echo imported)" imported'
	check import-stdin-change 'dk import -c "CMD [\"echo\",\"from-import\"]" - cf-img:imp2 <"$work/export.tar" >/dev/null; eq "$(dk run --rm cf-img:imp2)" from-import'
	check push 'dk tag busybox "$reg/cf/busybox:1"; out=$(dk push "$reg/cf/busybox:1"); has "$out" "digest: sha256:"'
	check pull 'dk rmi "$reg/cf/busybox:1" >/dev/null; dk pull "$reg/cf/busybox:1" >/dev/null; has "$(dk images --format "{{.Repository}}:{{.Tag}}")" "$reg/cf/busybox:1"'
	check run-pulled 'eq "$(dk run --rm "$reg/cf/busybox:1" echo pulled)" pulled'
	check pull-digest 'd=$(dk image inspect -f "{{index .RepoDigests 0}}" "$reg/cf/busybox:1"); dk pull "$d" >/dev/null'
	check login 'has "$(echo secret | dk login -u cf --password-stdin "$reg" 2>&1)" "Login Succeeded"'
	check logout 'has "$(dk logout "$reg")" "Removing login credentials"'
	check push-committed 'dk tag cf-img:committed "$reg/cf/committed:1"; dk push "$reg/cf/committed:1" >/dev/null
		dk rmi "$reg/cf/committed:1" >/dev/null; dk pull "$reg/cf/committed:1" >/dev/null; eq "$(dk run --rm "$reg/cf/committed:1" cat /cf-new)" x'
	check rmi-id 'id=$(dk image inspect -f "{{.Id}}" cf-img:imported); dk rmi cf-img:imported cf-img:imp2 >/dev/null; fails dk image inspect "$id" >/dev/null 2>&1'
	check image-prune 'dk image prune -f >/dev/null'
}

checks_build() {
	mkdir -p "$work/ctx"
	echo from-context >"$work/ctx/hello.txt"
	cat >"$work/ctx/Dockerfile" <<-'EOF'
		FROM busybox
		ARG GREETING=default
		RUN echo "$GREETING" >/arg && echo built >/built
		COPY hello.txt /hello.txt
		ENV B=1
		WORKDIR /tmp
		CMD ["sh", "-c", "cat /built /arg /hello.txt; echo $B $(pwd)"]
	EOF
	check build 'DOCKER_BUILDKIT=0 dk build -q -t cf-built:1 --build-arg GREETING=hi "$work/ctx" >/dev/null
		eq "$(dk run --rm cf-built:1 | tr "\n" " ")" "built hi from-context 1 /tmp "'
	check build-stdin 'printf "FROM busybox\nRUN echo stdin >/s\nCMD [\"cat\", \"/s\"]\n" | DOCKER_BUILDKIT=0 dk build -t cf-built:2 - >/dev/null
		eq "$(dk run --rm cf-built:2)" stdin'
	check build-fails 'rc=0; out=$(printf "FROM busybox\nRUN exit 9\n" | DOCKER_BUILDKIT=0 dk build -t cf-built:3 - 2>&1) || rc=$?
		[ "$rc" -ne 0 ] || { echo "a failing RUN built"; false; }; has "$out" "returned a non-zero code: 9"'
	check build-history 'has "$(dk history --no-trunc --format "{{.CreatedBy}}" cf-built:1)" "COPY"'
}

# The error checks match case-insensitively, except err-message-text, which
# wants Docker's exact words (scripts grep for them).
checks_errors() {
	check err-inspect-missing 'hasi "$(errout dk container inspect cf-nope)" "No such container: cf-nope"'
	check err-rm-missing 'hasi "$(errout dk rm cf-nope)" "No such container: cf-nope"'
	check err-start-missing 'hasi "$(errout dk start cf-nope)" "No such container: cf-nope"'
	check err-message-text 'has "$(errout dk stop cf-nope)" "Error response from daemon: No such container: cf-nope"'
	check err-rm-running 'out=$(errout dk rm cf-web); has "$out" "cannot remove"; eq "$(state cf-web)" running'
	check err-run-missing-image 'hasi "$(errout dk run --pull never --rm cf-nope:none true)" "No such image: cf-nope:none"'
	check err-rmi-missing 'hasi "$(errout dk rmi cf-nope:none)" "No such image: cf-nope:none"'
	check err-name-conflict 'has "$(errout dk create --name cf-web busybox)" "already in use"'
	check err-exec-stopped 'dk create --name cf-stopped busybox >/dev/null; has "$(errout dk exec cf-stopped true)" "is not running"'
	check err-run-network-missing 'out=$(errout dk run --rm --network cf-nope busybox true); has "$out" "network cf-nope not found"
		hasnt "$out" "Unable to find image"'
	check err-run-workdir-relative 'has "$(errout dk run --rm -w cf-rel busybox true)" "it needs to be an absolute path"'
	check err-network-missing 'has "$(errout dk network inspect cf-nope)" "network cf-nope not found"'
	check err-volume-missing 'hasi "$(errout dk volume inspect cf-nope)" "no such volume"'
}

checks_events_prune() {
	check events-since-until 't0=$(date +%s); dk run --rm --name cf-ev busybox true; sleep 1
		e=$(dk events --since "$t0" --until "$(date +%s)" --filter container=cf-ev --format "{{.Action}}" | tr "\n" " ")
		has "$e" create; has "$e" start; has "$e" die; has "$e" destroy'
	check events-stream 'timeout 30 docker events --filter container=cf-ev2 --format "{{.Action}}" >"$work/events" 2>&1 &
		ev=$!; sleep 1; dk run --rm --name cf-ev2 busybox true; until_ok "grep -qx destroy $work/events"; kill $ev 2>/dev/null || true'
	check events-json 't0=$(date +%s); dk network create cf-evnet >/dev/null; dk network rm cf-evnet >/dev/null
		e=$(dk events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=network --filter network=cf-evnet --format "{{json .}}")
		has "$e" "\"Type\":\"network\""; has "$e" "\"Action\":\"create\""; has "$e" "\"Action\":\"destroy\""'
	check events-network-connect 't0=$(date +%s); id=$(dk run -d --name cf-evc busybox true); dk wait cf-evc >/dev/null; dk rm cf-evc >/dev/null
		e=$(dk events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=network --format "{{.Action}} {{.Actor.Attributes.container}}")
		has "$e" "connect $id"; has "$e" "disconnect $id"'
	check image-prune-until 'n=$(dk images -aq | wc -l); dk image prune -a -f --filter until=2000-01-01T00:00:00Z >/dev/null
		eq "$(dk images -aq | wc -l)" "$n"'
	check builder-prune-until 'has "$(dk builder prune -f --filter until=24h)" "Total reclaimed space"'
	check system-prune 'dk run --name cf-pr busybox true; dk system prune -f >/dev/null; eq "$(dk ps -aq --filter name=cf-pr)" ""'
	check info-after 'dk info >/dev/null'
	check rm-f-all 'dk rm -f $(dk ps -aq) >/dev/null; eq "$(dk ps -aq)" ""'
}
