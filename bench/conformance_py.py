"""docker-py checks of bench/conformance.sh against `berth serve`.

Run by bench/conformance.sh with DOCKER_HOST (the private socket),
CF_REGISTRY (a registry on 127.0.0.1 holding cf/busybox:1), CF_TIMEOUT
(seconds per call) and CF_ONLY (a regular expression over check names).
Prints `PASS name` or `FAIL name: reason` per check; names start with `py-`. Objects it makes are
named cfpy-* and removed at the end (the shell script removes any left).
"""

import io
import os
import re
import time

import docker


def main():
    timeout = int(os.environ.get("CF_TIMEOUT", "60"))
    reg = os.environ["CF_REGISTRY"]
    client = docker.from_env(timeout=timeout)

    only = os.environ.get("CF_ONLY", "")

    def check(name):
        def wrap(fn):
            if only and not re.search(only, name):
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

    def wait_for(cond, what):
        for _ in range(timeout * 5):
            if cond():
                return
            time.sleep(0.2)
        raise AssertionError("timed out waiting for " + what)

    t0 = int(time.time())

    @check("py-ping")
    def _():
        want(client.ping(), True)

    @check("py-version")
    def _():
        v = client.version()
        want(v["Os"], "linux")
        if not v.get("ApiVersion"):
            raise AssertionError("no ApiVersion in %r" % v)

    @check("py-info")
    def _():
        if client.info()["Images"] < 1:
            raise AssertionError("info reports no images")

    def want_keys(d, keys):
        for k in keys:
            if k not in d:
                raise AssertionError("no %s among %r" % (k, sorted(d)))

    @check("py-df")
    def _():
        # API v1.53 and up answer with the per-type usage fields only.
        ver = tuple(int(x) for x in client.api.api_version.split("."))
        keys = ("ImageUsage", "ContainerUsage", "VolumeUsage") if ver >= (1, 53) else ("Images", "Containers", "Volumes")
        want_keys(client.df(), keys)

    @check("py-df-v1.43")
    def _():
        old = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], version="1.43", timeout=timeout)
        try:
            want_keys(old.df(), ("LayersSize", "Images", "Containers", "Volumes"))
        finally:
            old.close()

    @check("py-containers-run")
    def _():
        want(client.containers.run("busybox", ["echo", "py-hello"], remove=True), b"py-hello\n")

    @check("py-containers-run-detach")
    def _():
        c = client.containers.run("busybox", ["sleep", "1000"], name="cfpy-run", detach=True, labels={"cfpy": "1"})
        c.reload()
        want(c.status, "running")

    @check("py-containers-list")
    def _():
        names = [c.name for c in client.containers.list(filters={"label": "cfpy=1"})]
        want(names, ["cfpy-run"])

    @check("py-containers-list-all")
    def _():
        client.containers.create("busybox", ["true"], name="cfpy-created")
        names = [c.name for c in client.containers.list(all=True)]
        if "cfpy-created" not in names or "cfpy-run" not in names:
            raise AssertionError("list(all=True): %r" % names)

    @check("py-containers-get")
    def _():
        c = client.containers.get("cfpy-run")
        want((c.name, "busybox:latest" in c.image.tags), ("cfpy-run", True))

    @check("py-containers-logs")
    def _():
        c = client.containers.run("busybox", ["sh", "-c", "echo one; echo two >&2"], name="cfpy-logs", detach=True)
        want(c.wait(timeout=timeout)["StatusCode"], 0)
        want(c.logs(), b"one\ntwo\n")
        want(c.logs(stderr=False), b"one\n")

    @check("py-containers-logs-stream")
    def _():
        c = client.containers.get("cfpy-logs")
        want(b"".join(c.logs(stream=True, follow=True)), b"one\ntwo\n")

    @check("py-exec-run")
    def _():
        want(tuple(client.containers.get("cfpy-run").exec_run(["sh", "-c", "echo ex; exit 3"])), (3, b"ex\n"))

    @check("py-exec-run-demux")
    def _():
        r = client.containers.get("cfpy-run").exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
        want((r.exit_code, r.output), (0, (b"o\n", b"e\n")))

    @check("py-exec-run-env-workdir")
    def _():
        r = client.containers.get("cfpy-run").exec_run(["sh", "-c", "echo $V $(pwd)"], environment={"V": "v1"}, workdir="/tmp")
        want(r.output, b"v1 /tmp\n")

    @check("py-containers-stats")
    def _():
        s = client.containers.get("cfpy-run").stats(stream=False)
        if "memory_stats" not in s or "cpu_stats" not in s:
            raise AssertionError("stats lacks memory_stats/cpu_stats: %r" % list(s))

    @check("py-containers-stop")
    def _():
        c = client.containers.get("cfpy-run")
        c.stop(timeout=1)
        c.reload()
        want(c.status, "exited")

    @check("py-containers-remove")
    def _():
        for n in ("cfpy-run", "cfpy-created", "cfpy-logs"):
            client.containers.get(n).remove()
        try:
            client.containers.get("cfpy-run")
        except docker.errors.NotFound:
            return
        raise AssertionError("cfpy-run is still there")

    @check("py-containers-get-missing")
    def _():
        try:
            client.containers.get("cfpy-nope")
        except docker.errors.NotFound:
            return
        raise AssertionError("no NotFound for a missing container")

    @check("py-images-list")
    def _():
        tags = [t for i in client.images.list() for t in i.tags]
        if "busybox:latest" not in tags:
            raise AssertionError("images: %r" % tags)

    @check("py-images-get")
    def _():
        want(client.images.get("busybox").attrs["Os"], "linux")

    @check("py-images-build")
    def _():
        df = io.BytesIO(b"FROM busybox\nRUN echo py-built >/b\nCMD [\"cat\", \"/b\"]\n")
        img, _logs = client.images.build(fileobj=df, tag="cfpy-built:1", rm=True)
        want(client.containers.run(img.id, remove=True), b"py-built\n")

    @check("py-images-tag")
    def _():
        want(client.images.get("busybox").tag("cfpy/tagged", "t"), True)
        client.images.get("cfpy/tagged:t")

    @check("py-images-pull")
    def _():
        img = client.images.pull(reg + "/cf/busybox", tag="1")
        if reg + "/cf/busybox:1" not in img.tags:
            raise AssertionError("pulled image tags: %r" % img.tags)

    @check("py-images-remove")
    def _():
        for t in ("cfpy/tagged:t", "cfpy-built:1"):
            client.images.remove(t)
        try:
            client.images.get("cfpy/tagged:t")
        except docker.errors.ImageNotFound:
            return
        raise AssertionError("cfpy/tagged:t is still there")

    @check("py-networks-create")
    def _():
        n = client.networks.create("cfpy-net", driver="bridge")
        want(n.name, "cfpy-net")

    @check("py-networks-list")
    def _():
        names = [n.name for n in client.networks.list()]
        if "cfpy-net" not in names or "bridge" not in names:
            raise AssertionError("networks: %r" % names)

    @check("py-networks-connect")
    def _():
        c = client.containers.run("busybox", ["sleep", "1000"], name="cfpy-net-c", detach=True)
        n = client.networks.get("cfpy-net")
        n.connect(c)
        n.reload()
        want([x.name for x in n.containers], ["cfpy-net-c"])
        n.disconnect(c)
        c.remove(force=True)

    @check("py-networks-remove")
    def _():
        client.networks.get("cfpy-net").remove()
        if "cfpy-net" in [n.name for n in client.networks.list()]:
            raise AssertionError("cfpy-net is still listed")

    @check("py-volumes-create")
    def _():
        v = client.volumes.create("cfpy-vol", labels={"cfpy": "1"})
        want((v.name, v.attrs["Driver"]), ("cfpy-vol", "local"))

    @check("py-volumes-list")
    def _():
        want([v.name for v in client.volumes.list(filters={"label": "cfpy=1"})], ["cfpy-vol"])

    @check("py-volumes-remove")
    def _():
        client.volumes.get("cfpy-vol").remove()
        if "cfpy-vol" in [v.name for v in client.volumes.list()]:
            raise AssertionError("cfpy-vol is still listed")

    @check("py-events")
    def _():
        until = int(time.time()) + 1
        time.sleep(1.1)
        evs = list(client.events(since=t0, until=until, decode=True, filters={"type": "container"}))
        actions = {e.get("Action") for e in evs}
        for a in ("create", "start", "die", "destroy"):
            if a not in actions:
                raise AssertionError("no %s event among %r" % (a, sorted(actions)))

    @check("py-api-low-level")
    def _():
        api = client.api
        c = api.create_container("busybox", ["echo", "low"], name="cfpy-low")
        api.start(c["Id"])
        want(api.wait(c["Id"], timeout=timeout)["StatusCode"], 0)
        want(api.logs(c["Id"]), b"low\n")
        want(api.inspect_container("cfpy-low")["Name"], "/cfpy-low")
        api.remove_container(c["Id"])

    client.close()


if __name__ == "__main__":
    main()
