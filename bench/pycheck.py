"""docker-py checks of bench/pycheck.sh against `berth serve`, written as a
Python user writes them (high-level and low-level API), each with what a
private dockerd 20.10 answered for the same call.

Run by bench/pycheck.sh with DOCKER_HOST (the private socket), CF_REGISTRY
(a registry on 127.0.0.1 holding pc/busybox:1 and :2), CF_TIMEOUT (seconds
per call) and CF_ONLY (a regular expression over check names). Prints
`PASS name` or `FAIL name: reason` per check; names start with `pyx-`.
Objects it makes are named pc-* and removed at the end (the shell script
removes any left).
"""

import io
import os
import re
import socket
import tarfile
import tempfile
import threading
import time
import urllib.request

import docker


class Checker:
    """Runs named checks, printing PASS/FAIL lines."""

    def __init__(self, only):
        self.only = only

    def __call__(self, name):
        def wrap(fn):
            if self.only and not re.search(self.only, name):
                return fn
            try:
                fn()
                print("PASS " + name, flush=True)
            except Exception as e:  # the reason is what the client saw
                reason = " ".join(str(e).split())[:500] or type(e).__name__
                print("FAIL %s: %s" % (name, reason), flush=True)
            return fn
        return wrap


def want(got, expected):
    if got != expected:
        raise AssertionError("got %r, want %r" % (got, expected))


def want_in(part, whole):
    if part not in whole:
        raise AssertionError("%r not in %r" % (part, whole))


def api_error(fn, cls=docker.errors.APIError):
    """The status code and explanation of the error fn raises."""
    try:
        fn()
    except cls as e:
        return e.response.status_code, e.explanation
    raise AssertionError("no %s" % cls.__name__)


def one_tar(name, data, mode=0o640, uid=123):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as tf:
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode, ti.uid = len(data), mode, uid
        tf.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def checks_containers(c, check, timeout):
    @check("pyx-run-kwargs")
    def _():
        ct = c.containers.run(
            "busybox", ["sh", "-c", "echo web-ok >/tmp/index.html; exec httpd -f -p 8080 -h /tmp"], detach=True,
            name="pc-run", ports={"8080/tcp": ("127.0.0.1", None)}, environment={"A": "1", "B": "two"},
            volumes={"pc-vol": {"bind": "/data", "mode": "rw"}}, working_dir="/tmp", user="1000:1000",
            labels={"l": "v"}, restart_policy={"Name": "on-failure", "MaximumRetryCount": 3}, mem_limit="64m",
            stdin_open=True, tty=True)
        ct.reload()
        a = ct.attrs
        want((ct.status, ct.name, ct.labels), ("running", "pc-run", {"l": "v"}))
        want_in("busybox:latest", ct.image.tags)
        want_in("A=1", a["Config"]["Env"])
        want((a["Config"]["WorkingDir"], a["Config"]["User"], a["Config"]["Tty"], a["Config"]["OpenStdin"]),
             ("/tmp", "1000:1000", True, True))
        want(a["HostConfig"]["RestartPolicy"], {"Name": "on-failure", "MaximumRetryCount": 3})
        want(a["HostConfig"]["Memory"], 64 << 20)
        want([(m["Type"], m["Name"], m["Destination"], m["RW"]) for m in a["Mounts"]], [("volume", "pc-vol", "/data", True)])
        want(ct.exec_run("sh -c 'id -u; pwd; echo $A $B'").output, b"1000\n/tmp\n1 two\n")

    @check("pyx-run-published-port")
    def _():
        ct = c.containers.get("pc-run")
        hp = ct.ports["8080/tcp"][0]
        want(hp["HostIp"], "127.0.0.1")
        for _ in range(timeout * 5):
            try:
                body = urllib.request.urlopen("http://127.0.0.1:%s/" % hp["HostPort"], timeout=5).read()
                break
            except OSError:
                time.sleep(0.2)
        want(body, b"web-ok\n")

    @check("pyx-run-network-ipam-auto-remove")
    def _():
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="10.231.77.0/24", gateway="10.231.77.1")])
        n = c.networks.create("pc-net", driver="bridge", ipam=ipam, labels={"pc": "1"})
        want((n.attrs["IPAM"]["Config"], n.attrs["Labels"]), ([{"Subnet": "10.231.77.0/24", "Gateway": "10.231.77.1"}], {"pc": "1"}))
        out = c.containers.run("busybox", ["sh", "-c", "ip -4 addr show eth0 | grep -o 'inet [0-9./]*'"],
                               network="pc-net", auto_remove=True, name="pc-ar")
        if not re.match(rb"^inet 10\.231\.77\.\d+/24\n$", out):
            raise AssertionError("address on pc-net: %r" % out)
        for _ in range(timeout * 5):
            if "pc-ar" not in [x.name for x in c.containers.list(all=True)]:
                return
            time.sleep(0.2)
        raise AssertionError("the auto_remove container is still there")

    @check("pyx-run-remove-failing")
    def _():
        try:
            c.containers.run("busybox", ["sh", "-c", "echo oops >&2; exit 3"], remove=True)
        except docker.errors.ContainerError as e:
            want((e.exit_status, e.stderr), (3, b"oops\n"))
            return
        raise AssertionError("no ContainerError")

    @check("pyx-run-tty-logs")
    def _():
        ct = c.containers.run("busybox", ["echo", "hi"], tty=True, detach=True, name="pc-tty")
        ct.wait(timeout=timeout)
        want(ct.logs(), b"hi\r\n")

    @check("pyx-logs-stream-timestamps-since-tail")
    def _():
        ct = c.containers.run("busybox", ["sh", "-c", "echo a; echo b >&2; sleep 1; echo c"], detach=True, name="pc-logs")
        # stdout and stderr are apart: their order is the writes' race.
        want(sorted(b"".join(ct.logs(stream=True, follow=True)).splitlines()), [b"a", b"b", b"c"])
        want(ct.logs(stderr=False), b"a\nc\n")
        lines = ct.logs(timestamps=True).splitlines()
        if len(lines) != 3 or not all(re.match(rb"^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z [abc]$", x) for x in lines):
            raise AssertionError("logs(timestamps=True): %r" % lines)
        want((ct.logs(since=int(time.time()) + 100), ct.logs(until=1), ct.logs(tail=1)), (b"", b"", b"c\n"))
        want(ct.wait(timeout=timeout)["StatusCode"], 0)
        want(ct.wait(timeout=timeout, condition="not-running")["StatusCode"], 0)

    @check("pyx-start-missing-command-400")
    def _():
        code, msg = api_error(lambda: c.containers.run("busybox", ["pc-nope-cmd"], detach=True, name="pc-nocmd"))
        want(code, 400)
        want_in("pc-nope-cmd", msg)

    @check("pyx-errors")
    def _():
        want(api_error(lambda: c.containers.get("pc-nope"), docker.errors.NotFound)[0], 404)
        want(api_error(lambda: c.containers.create("busybox", name="pc-run"))[0], 409)
        want(api_error(lambda: c.containers.get("pc-run").remove())[0], 409)
        want(api_error(lambda: c.containers.get("pc-run").kill(signal="NOPE"))[0], 400)
        want(api_error(lambda: c.containers.list(filters={"bogus": "x"}))[0], 400)


def checks_exec(c, check, timeout):
    @check("pyx-exec-run")
    def _():
        ct = c.containers.get("pc-run")
        want(tuple(ct.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)), (0, (b"o\n", b"e\n")))
        want(tuple(ct.exec_run(["sh", "-c", "echo $X; pwd; id -u"], environment=["X=1"], workdir="/etc", user="0")),
             (0, b"1\n/etc\n0\n"))
        r = ct.exec_run(["sh", "-c", "echo s1; echo s2"], stream=True)
        want((r.exit_code, b"".join(r.output)), (None, b"s1\ns2\n"))
        r = ct.exec_run(["sh", "-c", "echo o; echo e >&2"], stream=True, demux=True)
        want(sorted(r.output, key=repr), [(None, b"e\n"), (b"o\n", None)])
        want(tuple(ct.exec_run("echo x", tty=True)), (0, b"x\r\n"))
        want(tuple(ct.exec_run(["true"], detach=True)), (None, ""))

    @check("pyx-exec-low-level")
    def _():
        ct = c.containers.get("pc-run")
        e = c.api.exec_create(ct.id, ["sh", "-c", "exit 2"])
        want(c.api.exec_start(e["Id"]), b"")
        i = c.api.exec_inspect(e["Id"])
        want((i["ExitCode"], i["Running"], i["ProcessConfig"]["entrypoint"], i["ProcessConfig"]["arguments"]),
             (2, False, "sh", ["-c", "exit 2"]))


def checks_files(c, check, timeout):
    @check("pyx-put-get-archive")
    def _():
        ct = c.containers.run("busybox", ["sleep", "1000"], detach=True, name="pc-files")
        want(ct.put_archive("/tmp", one_tar("dir/f.txt", b"hello\n")), True)
        strm, st = ct.get_archive("/tmp/dir")
        want((st["name"], st["mode"] & 0o777, bool(st["mode"] & (1 << 31))), ("dir", 0o755, True))
        tf = tarfile.open(fileobj=io.BytesIO(b"".join(strm)))
        want([(m.name, m.isdir(), m.uid) for m in tf.getmembers()], [("dir", True, 0), ("dir/f.txt", False, 123)])
        want(tf.extractfile("dir/f.txt").read(), b"hello\n")
        want(api_error(lambda: ct.get_archive("/nope"), docker.errors.NotFound)[0], 404)
        want(api_error(lambda: ct.put_archive("/nope", one_tar("f", b"")), docker.errors.NotFound)[0], 404)

    @check("pyx-stats")
    def _():
        ct = c.containers.get("pc-files")
        s = ct.stats(stream=False)
        for k in ("read", "preread", "cpu_stats", "precpu_stats", "memory_stats", "blkio_stats", "pids_stats", "num_procs"):
            want_in(k, s)
        want((s["name"], s["id"]), ("/pc-files", ct.id))
        g = ct.stats(stream=True, decode=True)
        next(g)
        second = next(g)
        g.close()
        if not second["precpu_stats"].get("system_cpu_usage"):
            raise AssertionError("the second sample has no precpu_stats.system_cpu_usage")
        want_in("cpu_stats", ct.stats(stream=False, one_shot=True))

    @check("pyx-top-diff")
    def _():
        ct = c.containers.get("pc-files")
        want(ct.top()["Titles"], ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        want(ct.top(ps_args="-o pid,comm")["Titles"], ["PID", "COMMAND"])
        ct.exec_run(["sh", "-c", "mkdir -p /newd && touch /newd/x && rm -f /bin/true && echo x >> /etc/passwd"])
        want(sorted((x["Path"], x["Kind"]) for x in ct.diff()),
             [("/bin", 0), ("/bin/true", 2), ("/etc", 0), ("/etc/passwd", 0), ("/newd", 1), ("/newd/x", 1),
              ("/tmp", 0), ("/tmp/dir", 1), ("/tmp/dir/f.txt", 1)])

    @check("pyx-commit")
    def _():
        ct = c.containers.get("pc-files")
        img = ct.commit(repository="pc-commit", tag="1", message="msg", author="me",
                        changes=["ENV Z=9", 'CMD ["echo","c"]'], conf={"Labels": {"k": "v"}})
        a = img.attrs
        want((img.tags, a["Author"], a["Comment"], a["Config"]["Cmd"], img.labels),
             (["pc-commit:1"], "me", "msg", ["echo", "c"], {"k": "v"}))
        want_in("Z=9", a["Config"]["Env"])
        want(c.containers.run(img.id, remove=True), b"c\n")
        h = img.history()
        want((h[0]["Comment"], h[0]["Tags"], len(h)), ("msg", ["pc-commit:1"], 3))

    @check("pyx-attach-socket")
    def _():
        ct = c.containers.create("busybox", ["sh", "-c", "read x; echo got:$x"], stdin_open=True, name="pc-att")
        s = ct.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
        ct.start()
        s._sock.sendall(b"hey\n")
        s._sock.settimeout(timeout)
        data = b""
        try:
            while True:
                chunk = s._sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        s.close()
        want(data, b"\x01\x00\x00\x00\x00\x00\x00\x08got:hey\n")
        want(ct.wait(timeout=timeout)["StatusCode"], 0)

    @check("pyx-attach-stream-logs")
    def _():
        ct = c.containers.run("busybox", ["sh", "-c", "sleep 1; echo a1; echo a2 >&2"], detach=True, name="pc-attach")
        want(b"".join(ct.attach(stream=True, logs=True)), b"a1\na2\n")

    @check("pyx-lifecycle")
    def _():
        ct = c.containers.get("pc-files")
        ct.pause()
        ct.reload()
        want(ct.status, "paused")
        ct.unpause()
        ct.restart(timeout=1)
        ct.reload()
        want(ct.status, "running")
        ct.kill(signal="SIGKILL")
        want(ct.wait(timeout=timeout)["StatusCode"], 137)
        ct.rename("pc-files2")
        ct.update(mem_limit="32m", memswap_limit="64m")
        ct.reload()
        want((ct.name, ct.status, ct.attrs["HostConfig"]["Memory"]), ("pc-files2", "exited", 32 << 20))


def checks_list(c, check, timeout):
    @check("pyx-containers-list-filters")
    def _():
        def names(**kw):
            return sorted(x.name for x in c.containers.list(all=True, **kw) if x.name.startswith("pc-"))
        run_id = c.containers.get("pc-run").id
        want(names(filters={"label": "l=v"}), ["pc-run"])
        want(names(filters={"name": "pc-run"}), ["pc-run"])
        want(names(filters={"id": run_id[:12]}), ["pc-run"])
        want(names(filters={"volume": "pc-vol"}), ["pc-run"])
        want(names(filters={"status": "exited", "exited": 137}), ["pc-files2"])
        want(names(filters={"ancestor": "busybox", "status": "running"}), ["pc-run"])
        want(names(filters={"since": "pc-attach"}), [])
        want(len(c.containers.list(all=True, limit=1)), 1)
        sparse = c.containers.list(filters={"name": "pc-run"}, sparse=True)
        want([x.id for x in sparse], [run_id])


def checks_images(c, check, timeout, reg):
    @check("pyx-images-build-path-buildargs")
    def _():
        d = tempfile.mkdtemp(prefix="pc-ctx")
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write('FROM busybox\nARG V=def\nRUN echo $V > /v\nCOPY f.txt /f.txt\nLABEL a=b\nCMD ["cat", "/v"]\n')
        with open(os.path.join(d, "f.txt"), "w") as f:
            f.write("file\n")
        img, logs = c.images.build(path=d, tag="pc-built:1", buildargs={"V": "given"}, rm=True, pull=False)
        logs = list(logs)
        want((img.tags, img.labels, logs[-1]), (["pc-built:1"], {"a": "b"}, {"stream": "Successfully tagged pc-built:1\n"}))
        if not any("aux" in x for x in logs):
            raise AssertionError("no aux (image ID) message in %r" % logs)
        want(c.containers.run(img.id, remove=True), b"given\n")
        low = list(c.api.build(path=d, tag="pc-built:2", decode=True, rm=True))
        want(low[-1], {"stream": "Successfully tagged pc-built:2\n"})

    @check("pyx-images-build-error")
    def _():
        try:
            c.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 5\n"), rm=True)
        except docker.errors.BuildError as e:
            want(e.msg, "The command '/bin/sh -c exit 5' returned a non-zero code: 5")
        else:
            raise AssertionError("no BuildError")
        want(api_error(lambda: c.images.build(fileobj=io.BytesIO(b"FROMX busybox\n"), rm=True))[0], 400)

    @check("pyx-images-get-history-tag-save-load")
    def _():
        img = c.images.get("busybox")
        want_in("busybox:latest", img.history()[0]["Tags"])
        want((img.id[:7], img.short_id[:7]), ("sha256:", "sha256:"))
        want(img.tag("pc-tag/x", "t1"), True)
        data = b"".join(c.images.get("pc-tag/x:t1").save(named=True))
        want_in("manifest.json", tarfile.open(fileobj=io.BytesIO(data)).getnames())
        c.images.remove("pc-tag/x:t1")
        # save(named=True) names the image's first tag: busybox:latest.
        want([x.tags for x in c.images.load(data)], [["busybox:latest"]])
        want(api_error(lambda: c.images.get("pc-nope:1"), docker.errors.ImageNotFound), (404, "No such image: pc-nope:1"))
        want(api_error(lambda: c.images.remove("pc-nope:1"), docker.errors.ImageNotFound)[0], 404)

    @check("pyx-images-pull-tag")
    def _():
        img = c.images.pull(reg + "/pc/busybox", tag="1")
        want_in(reg + "/pc/busybox:1", img.tags)
        want_in(reg + "/pc/busybox", [d.split("@")[0] for d in img.attrs["RepoDigests"]])
        lines = list(c.api.pull(reg + "/pc/busybox", tag="1", stream=True, decode=True))
        want(lines[-1], {"status": "Status: Image is up to date for %s/pc/busybox:1" % reg})
        want(api_error(lambda: c.images.pull(reg + "/pc/nope", tag="1"), docker.errors.NotFound)[0], 404)

    @check("pyx-images-pull-all-tags")
    def _():
        imgs = c.images.pull(reg + "/pc/busybox", all_tags=True)
        want(sorted(t for i in imgs for t in i.tags if "/pc/" in t), [reg + "/pc/busybox:1", reg + "/pc/busybox:2"])

    @check("pyx-images-remove-pulled-tags")
    def _():
        c.images.remove(reg + "/pc/busybox:1")
        c.images.remove(reg + "/pc/busybox:2")
        left = [(i.tags, i.attrs["RepoDigests"]) for i in c.images.list() if any("/pc/" in r for r in i.attrs["RepoDigests"])]
        want(left, [])


def checks_objects(c, check, timeout):
    @check("pyx-networks-connect-aliases-ip")
    def _():
        ct = c.containers.run("busybox", ["sleep", "1000"], detach=True, name="pc-net1")
        n = c.networks.get("pc-net")
        n.connect(ct, aliases=["al1"], ipv4_address="10.231.77.50")
        ct.reload()
        ep = ct.attrs["NetworkSettings"]["Networks"]["pc-net"]
        want(("al1" in ep["Aliases"], ep["IPAddress"], ep["IPPrefixLen"]), (True, "10.231.77.50", 24))
        n.reload()
        want([(v["Name"], v["IPv4Address"]) for v in n.attrs["Containers"].values()], [("pc-net1", "10.231.77.50/24")])
        want([x.name for x in c.networks.list(filters={"label": "pc=1"})], ["pc-net"])
        n.disconnect(ct)
        ct.reload()
        want(sorted(ct.attrs["NetworkSettings"]["Networks"]), ["bridge"])
        want(api_error(lambda: c.networks.get("pc-nonet"), docker.errors.NotFound)[0], 404)

    @check("pyx-volumes")
    def _():
        v = c.volumes.create("pc-vol2", labels={"a": "b"}, driver="local")
        want((v.attrs["Labels"], v.attrs["Scope"], v.attrs["Driver"], v.attrs["Mountpoint"].endswith("/_data")),
             ({"a": "b"}, "local", "local", True))
        anon = c.volumes.create(labels={"anon": "1"})
        want(len(anon.name), 64)
        anon.remove()
        want([x.name for x in c.volumes.list(filters={"label": "a=b"})], ["pc-vol2"])
        want_in("pc-vol2", [x.name for x in c.volumes.list(filters={"dangling": True})])
        want(api_error(lambda: c.volumes.get("pc-novol"), docker.errors.NotFound)[0], 404)
        want(api_error(lambda: c.volumes.get("pc-vol").remove())[0], 409)
        v.remove()

    @check("pyx-events-thread")
    def _():
        evs = []
        since = int(time.time()) - 1

        def read():
            for e in c.events(decode=True, filters={"type": "container", "container": "pc-ev"}, since=since):
                evs.append(e)
                if e.get("Action") == "destroy":
                    break
        th = threading.Thread(target=read, daemon=True)
        th.start()
        ct = c.containers.run("busybox", ["true"], name="pc-ev", detach=True)
        ct.wait(timeout=timeout)
        ct.remove()
        th.join(timeout)
        want([e["Action"] for e in evs], ["create", "start", "die", "destroy"])
        want((evs[0]["status"], evs[0]["Actor"]["Attributes"]["name"]), ("create", "pc-ev"))

    @check("pyx-df-info-version")
    def _():
        d = c.df()
        for k in ("Images", "Containers", "Volumes") if "Images" in d else ("ImageUsage", "ContainerUsage", "VolumeUsage"):
            want_in(k, d)
        i, v = c.info(), c.version()
        for k in ("Containers", "Images", "Driver", "KernelVersion", "NCPU", "MemTotal", "ServerVersion"):
            want_in(k, i)
        want_in("Engine", [x["Name"] for x in v["Components"]])

    @check("pyx-prune")
    def _():
        want(c.containers.prune(filters={"label": "pc-nothing"})["SpaceReclaimed"], 0)
        want(c.volumes.prune(filters={"label": "pc-nothing"})["SpaceReclaimed"], 0)
        want_in("NetworksDeleted", c.networks.prune(filters={"label": "pc-nothing"}))
        want_in("ImagesDeleted", c.images.prune(filters={"dangling": True}))


def cleanup(c):
    for ct in c.containers.list(all=True):
        if ct.name.startswith("pc-"):
            ct.remove(force=True)
    for n in c.networks.list(names=["pc-net"]):
        n.remove()
    for v in c.volumes.list():
        if v.name.startswith("pc-"):
            v.remove()
    for i in ("pc-built:1", "pc-built:2", "pc-commit:1"):
        try:
            c.images.remove(i, force=True)
        except docker.errors.ImageNotFound:
            pass


def main():
    timeout = int(os.environ.get("CF_TIMEOUT", "60"))
    reg = os.environ["CF_REGISTRY"]
    version = os.environ.get("CF_API_VERSION") or None
    c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], timeout=timeout, version=version)
    check = Checker(os.environ.get("CF_ONLY", ""))
    checks_containers(c, check, timeout)
    checks_exec(c, check, timeout)
    checks_files(c, check, timeout)
    checks_list(c, check, timeout)
    checks_images(c, check, timeout, reg)
    checks_objects(c, check, timeout)
    cleanup(c)
    c.close()


if __name__ == "__main__":
    main()
