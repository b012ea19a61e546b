#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Containers for real, as root: the seed's own test. A private dockerd (its
own data root, socket and no bridge: the host's network is left alone), an
image made here from Debian's busybox-static and the static workload, a
server in container test-server and a client in container test-client that
shares its network namespace, connects N times, sends N datagrams and exits.
eBPFlow in docker mode must name both containers, with exact counts, on the
console, in JSON and in IPFIX. Then the runtime API misbehaving: a fake
socket that hangs, answers garbage or a huge body; flows keep flowing with
their container ids. And cgroups made like a user's own subtree
(user@UID.service): named as the user's, never as the container or the
system unit their names claim."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import BUILD_DIR, Collector, Ebpflow, cgroup_root, port_base  # noqa: E402

N = 5
PAYLOAD = 21
P = port_base(8)
ROOT = f"/tmp/ebpflow-dk-{os.getpid()}"
SOCK = f"{ROOT}/docker.sock"
IMAGE = f"ebpflow-test:{os.getpid()}"
RUN = {}


def docker(*args, check=True):
    r = subprocess.run(["docker", "-H", f"unix://{SOCK}", *args], capture_output=True, text=True,
                       timeout=60)
    if check and r.returncode:
        raise RuntimeError(f"docker {' '.join(args)}: {r.stderr}")
    return r.stdout.strip()


def need_docker():
    missing = [t for t in ("dockerd", "docker") if shutil.which(t) is None]
    if not os.path.exists("/usr/bin/busybox") and not shutil.which("busybox"):
        missing.append("busybox-static")
    if missing:
        why = f"{', '.join(missing)} not installed"
        testlib.skip_or_fail("container tests", why, f"container tests need Docker: {why}")


class Dockerd:
    """dockerd of our own: started and stopped by its pid."""

    def start(self):
        os.makedirs(ROOT, exist_ok=True)
        self.log = open(f"{ROOT}/dockerd.log", "w")
        self.proc = subprocess.Popen(
            ["dockerd", "--iptables=false", "--ip6tables=false", "--ip-forward=false",
             "--bridge=none", "--data-root", f"{ROOT}/data", "--exec-root", f"{ROOT}/exec",
             "--pidfile", f"{ROOT}/dockerd.pid", "-H", f"unix://{SOCK}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while subprocess.run(["docker", "-H", f"unix://{SOCK}", "version"],
                             capture_output=True).returncode:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dockerd did not start: " + open(f"{ROOT}/dockerd.log").read()[-2000:])
            time.sleep(0.2)

    def build_image(self):
        rootfs = f"{ROOT}/rootfs"
        os.makedirs(f"{rootfs}/bin", exist_ok=True)
        shutil.copy(shutil.which("busybox") or "/usr/bin/busybox", f"{rootfs}/bin/busybox")
        for applet in ("sh", "sleep", "cat"):
            os.symlink("busybox", f"{rootfs}/bin/{applet}")
        shutil.copy(os.path.join(BUILD_DIR, "tests", "ebpflow-wl-static"), f"{rootfs}/ebpflow-wl")
        with subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE) as tar:
            subprocess.run(["docker", "-H", f"unix://{SOCK}", "import", "-c", 'CMD ["/bin/sh"]',
                            "-", IMAGE], stdin=tar.stdout, check=True, capture_output=True)

    def stop(self):
        for c in ("test-client", "test-server"):
            docker("rm", "-f", c, check=False)
        docker("rmi", "-f", IMAGE, check=False)
        if getattr(self, "proc", None) and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        # what dockerd left mounted under our root, then the root itself
        with open("/proc/mounts") as f:
            mounts = [l.split()[1] for l in f if l.split()[1].startswith(ROOT)]
        for m in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        shutil.rmtree(ROOT, ignore_errors=True)


DOCKERD = Dockerd()


def wait_ready(container, count):
    deadline = time.monotonic() + 30
    while docker("logs", container).count("ready") < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{container} not ready: {docker('logs', container)}")
        time.sleep(0.1)


def setUpModule():
    testlib.require_kernel_privileges()
    need_docker()
    try:
        DOCKERD.start()
        DOCKERD.build_image()
        collector = Collector(P)
        js = Ebpflow("-d", "--docker-socket", SOCK, "-o", "json", "-i", "1", "--collector",
                     f"127.0.0.1:{P}")
        console = Ebpflow("-d", "--docker-socket", SOCK, "-o", "console", "-i", "1")
        try:
            docker("run", "-d", "--name", "test-server", "--network", "none", IMAGE, "sh", "-c",
                   f"/ebpflow-wl udp-server 127.0.0.1 {P + 2} {N} & "
                   f"/ebpflow-wl tcp-server 127.0.0.1 {P + 1} {N}; wait")
            wait_ready("test-server", 2)
            docker("run", "-d", "--name", "test-client", "--network", "container:test-server",
                   IMAGE, "sh", "-c",
                   f"/ebpflow-wl tcp-client 127.0.0.1 {P + 1} {N} 20 && "
                   f"/ebpflow-wl udp-client 127.0.0.1 {P + 2} {N} 20 sendto")
            for c in ("test-client", "test-server"):
                if docker("wait", c) != "0":
                    raise RuntimeError(f"{c} failed: {docker('logs', c)}")
            RUN["ids"] = {c: docker("inspect", "-f", "{{.Id}}", c)
                          for c in ("test-client", "test-server")}
            time.sleep(2.5)  # exits read; names asked; records out
        finally:
            js.stop()
            console.stop()
            time.sleep(0.3)
            RUN["collector"] = collector.records()
        RUN["json"] = js.records()
        RUN["console"] = console.stdout
        if os.environ.get("EBPFLOW_SHOW_CONSOLE"):
            print(console.stdout.split("(at exit)")[-1], file=sys.stderr)
        RUN["stderr"] = js.stderr + console.stderr
    except BaseException:
        DOCKERD.stop()
        raise
    DOCKERD.stop()


class SeedScenario(unittest.TestCase):
    def json_flow(self, direction, proto, container):
        recs = [r for r in RUN["json"] if r["direction"] == direction and r["proto"] == proto
                and r["dport"] == (P + 1 if proto == "TCP" else P + 2)
                and r["comm"] == "ebpflow-wl"]
        mine = [r for r in recs if r["container"] == container]
        self.assertTrue(mine, f"no {direction} {proto} flow of {container}: {recs}")
        return mine

    def test_json_names_both_containers(self):
        for proto in ("TCP", "UDP"):
            out = self.json_flow("outbound", proto, "test-client")
            inb = self.json_flow("inbound", proto, "test-server")
            self.assertEqual(sum(r["count"] for r in out), N)
            self.assertEqual(sum(r["count"] for r in inb), N)
            for r in out:
                self.assertEqual(r["container_id"], RUN["ids"]["test-client"])
                # an unbound UDP sender: the source the kernel chose
                self.assertEqual((r["saddr"], r["daddr"]), ("127.0.0.1", "127.0.0.1"))
            for r in inb:
                self.assertEqual(r["container_id"], RUN["ids"]["test-server"])
            if proto == "UDP":
                self.assertEqual(sum(r["bytes"] for r in out), N * PAYLOAD)

    def test_client_that_exited_is_named(self):
        # the client's processes and its container were gone before any record
        out = self.json_flow("outbound", "TCP", "test-client")
        self.assertEqual({r["end_reason"] for r in out}, {"end"})

    def test_ipfix_carries_container(self):
        for name, port in (("test-client", P + 1), ("test-server", P + 1)):
            recs = [r for r in RUN["collector"] if r.get("containerName") == name
                    and r.get("destinationTransportPort") == port]
            self.assertEqual(sum(r["callDeltaCount"] for r in recs), N, RUN["collector"][-5:])
            self.assertEqual({r["containerId"] for r in recs}, {RUN["ids"][name]})

    def test_console_shows_process_at_container(self):
        text = RUN["console"].split("(at exit)")[-1]
        rows = [l.split() for l in text.splitlines()]
        for name, port in (("test-client", P + 1), ("test-server", P + 1),
                           ("test-client", P + 2), ("test-server", P + 2)):
            mine = [r for r in rows if r[1:4] == ["ebpflow-wl", "@", name] and str(port) in r]
            self.assertEqual(len(mine), 1, f"{name}:{port} in\n{text}")
            self.assertEqual(mine[0][-2], str(N))


def wait_log(probe, text, timeout):
    """Wait until eBPFlow's log says text (testlib reads it as it comes)."""
    try:
        probe.wait_log(text, timeout)
    except RuntimeError as e:
        raise AssertionError(f"{e}: {probe.stderr}") from None


class FakeRuntime(threading.Thread):
    """A unix socket that answers like a broken container runtime (or, "ok", a
    working one that names every container `name`; "by-id": names the ids in
    `names`, with Kubernetes labels when a name has two '/', and answers
    garbage for the others)."""

    def __init__(self, path, mode, name="", names=None):
        super().__init__(daemon=True)
        self.path, self.mode, self.name, self.names = path, mode, name, names or {}
        self.asked = []  # the container ids asked, in order
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.conns = []
        self.stopping = False

    def run(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            try:
                request = c.recv(65536).decode(errors="replace")
                cid = request.split("/containers/")[1].split("/")[0] if "/containers/" in request else ""
                self.asked.append(cid)
                if self.mode == "by-id" and cid in self.names:
                    body = json.dumps(self.inspect(self.names[cid])).encode()
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
                    c.close()
                elif self.mode == "by-id":
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nnot json {{{")
                    c.close()
                elif self.mode == "ok":
                    body = json.dumps({"Name": f"/{self.name}", "Config": {"Labels": {}}}).encode()
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
                    c.close()
                elif self.mode == "garbage":
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nnot json {{{")
                    c.close()
                elif self.mode == "huge":
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"Name\":\"")
                    for _ in range(64):  # 4 MiB, over the 1 MiB cap
                        c.sendall(b"x" * 65536)
                    c.close()
                # "hang": keep the connection open and say nothing
            except OSError:
                pass

    @staticmethod
    def inspect(name):
        if name.count("/") != 2:
            return {"Name": f"/{name}", "Config": {"Labels": {}}}
        ns, pod, ctr = name.split("/")
        return {"Name": f"/k8s_{ctr}_{pod}_{ns}_0", "Config": {"Labels": {
            "io.kubernetes.pod.namespace": ns, "io.kubernetes.pod.name": pod,
            "io.kubernetes.container.name": ctr}}}

    def stop(self):
        self.stopping = True
        self.sock.close()
        for c in self.conns:
            c.close()


def client_in(cg, port):
    """A process in cgroup cg: N datagrams to port; its pid."""
    return testlib.udp_client_in_cgroup(cg, port, N)


class MisbehavingRuntime(unittest.TestCase):
    """Flows from a process in a docker-like cgroup of ours, the runtime's socket
    broken three ways: bounded time, one warning, flows with their container id."""

    FAKE_ID = "%064x" % (0xeb9f10 * (os.getpid() + 1))

    def setUp(self):
        self.cg_parent = f"/sys/fs/cgroup/unified/ebpflow{os.getpid()}.slice"
        if not os.path.isdir("/sys/fs/cgroup/unified"):
            self.cg_parent = f"/sys/fs/cgroup/ebpflow{os.getpid()}.slice"
        self.cg = f"{self.cg_parent}/docker-{self.FAKE_ID}.scope"
        os.makedirs(self.cg)
        self.tmp = tempfile.mkdtemp(prefix=f"ebpflow-fake-{os.getpid()}-")

    def tearDown(self):
        for d in (self.cg, self.cg_parent):
            try:
                os.rmdir(d)
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_mode(self, mode, port):
        path = f"{self.tmp}/{mode}.sock"
        fake = FakeRuntime(path, mode)
        fake.start()
        t0 = time.monotonic()
        probe = Ebpflow("-d", "--docker-socket", path, "-o", "json", "-i", "1")
        try:
            srv = subprocess.Popen([os.path.join(BUILD_DIR, "tests", "ebpflow-wl"), "udp-server",
                                    "127.0.0.1", str(port), str(N)], stdout=subprocess.PIPE, text=True)
            srv.stdout.readline()
            cli = subprocess.run(["sh", "-c", f"echo $$ > {self.cg}/cgroup.procs && exec "
                                  f"{os.path.join(BUILD_DIR, 'tests', 'ebpflow-wl')} udp-client "
                                  f"127.0.0.1 {port} {N} 10 sendto"], capture_output=True, text=True)
            self.assertEqual(cli.returncode, 0, cli.stderr)
            srv.communicate(timeout=10)
            time.sleep(2.5)
        finally:
            probe.stop()
            fake.stop()
        elapsed = time.monotonic() - t0
        recs = [r for r in probe.records() if r["dport"] == port and r["direction"] == "outbound"]
        self.assertEqual(sum(r["count"] for r in recs), N, probe.stderr)
        for r in recs:
            self.assertEqual(r["container_id"], self.FAKE_ID)
            self.assertEqual(r["container"], "")
        self.assertEqual(probe.stderr.count(f"container runtime at {path}"), 1, probe.stderr)
        self.assertLess(elapsed, 15, "a broken runtime held eBPFlow up")
        return probe

    def test_hanging_socket(self):
        self.run_mode("hang", P + 3)

    def test_garbage_reply(self):
        self.run_mode("garbage", P + 4)

    def test_huge_reply(self):
        probe = self.run_mode("huge", P + 5)
        self.assertIn("reply larger than", probe.stderr)

    def test_no_socket(self):
        path = f"{self.tmp}/absent.sock"
        probe = Ebpflow("-d", "--docker-socket", path, "-o", "json", "-i", "1")
        try:
            subprocess.run(["sh", "-c", f"echo $$ > {self.cg}/cgroup.procs && exec "
                            f"{os.path.join(BUILD_DIR, 'tests', 'ebpflow-wl')} udp-client "
                            f"127.0.0.1 {P + 6} {N} 10 sendto"], check=True, capture_output=True)
            time.sleep(2.5)
        finally:
            probe.stop()
        recs = [r for r in probe.records() if r["dport"] == P + 6]
        self.assertEqual(sum(r["count"] for r in recs), N)
        self.assertEqual({r["container_id"] for r in recs}, {self.FAKE_ID})
        self.assertEqual(probe.stderr.count(f"container runtime at {path}"), 1, probe.stderr)

    def client(self, port):
        return client_in(self.cg, port)

    def test_bad_reply_fails_one_container(self):
        """A reply that names no container (garbage), then a container started
        after it whose name is Kubernetes' longest (63 + 253 + 63 bytes and two
        '/'): the runtime is not taken as down, the later container is named."""
        other_id = "%064x" % (0xb0b * (os.getpid() + 1))
        other = f"{self.cg_parent}/docker-{other_id}.scope"
        os.makedirs(other)
        long_name = f"{'n' * 63}/{'p' * 253}/{'c' * 63}"
        path = f"{self.tmp}/by-id.sock"
        fake = FakeRuntime(path, "by-id", names={other_id: long_name})
        fake.start()
        probe = Ebpflow("-d", "--docker-socket", path, "-o", "json", "-i", "1")
        try:
            bad = self.client(P + 11)
            time.sleep(2.5)  # its look-up failed
            good = client_in(other, P + 12)
            time.sleep(2.5)
        finally:
            probe.stop()
            fake.stop()
            os.rmdir(other)
        recs = probe.records()
        before = [r for r in recs if r["pid"] == bad and r["direction"] == "outbound"]
        after = [r for r in recs if r["pid"] == good and r["direction"] == "outbound"]
        self.assertEqual(sum(r["count"] for r in before), N)
        self.assertEqual({(r["container"], r["container_id"]) for r in before}, {("", self.FAKE_ID)})
        self.assertEqual(sum(r["count"] for r in after), N)
        self.assertEqual({(r["container"], r["container_id"]) for r in after},
                         {(long_name, other_id)}, probe.stderr)
        self.assertEqual(len(long_name), 381)
        # one warning, about that container; the runtime was never taken as down
        self.assertEqual(probe.stderr.count(f"container runtime at {path}"), 1, probe.stderr)
        self.assertIn(f"container {self.FAKE_ID[:12]}: a reply that is not a container", probe.stderr)
        self.assertNotIn("answers again", probe.stderr)

    def test_down_then_up(self):
        """The runtime is down when eBPFlow asks, then starts: the names come back
        (the failed look-up is asked again, with back-off, not cached for ever)."""
        path = f"{self.tmp}/restarting.sock"
        probe = Ebpflow("-d", "--docker-socket", path, "-o", "json", "-i", "1")
        fake = None
        try:
            down = self.client(P + 7)
            time.sleep(2.5)  # reported, nameless: the runtime is not there
            fake = FakeRuntime(path, "ok", "back-again")
            fake.start()
            # probed again when its back-off is over, flows or not
            wait_log(probe, f"container runtime at {path} answers again", 20)
            up = self.client(P + 8)
            time.sleep(2.5)
        finally:
            probe.stop()
            if fake:
                fake.stop()
        recs = probe.records()
        before = [r for r in recs if r["pid"] == down and r["direction"] == "outbound"]
        after = [r for r in recs if r["pid"] == up and r["direction"] == "outbound"]
        self.assertEqual(sum(r["count"] for r in before), N)
        self.assertEqual({(r["container"], r["container_id"]) for r in before}, {("", self.FAKE_ID)})
        self.assertEqual(sum(r["count"] for r in after), N)
        self.assertEqual({(r["container"], r["container_id"]) for r in after},
                         {("back-again", self.FAKE_ID)}, probe.stderr)
        self.assertEqual(probe.stderr.count(f"container runtime at {path}: "), 1, probe.stderr)
        self.assertEqual(probe.stderr.count(f"container runtime at {path} answers again"), 1,
                         probe.stderr)


class ForgedNames(unittest.TestCase):
    """What any user under systemd can make: directories in their manager's
    subtree called docker-<id>.scope or sshd.service, a process moved in.
    Its flows are the user's (`user@UID.service/...`, no container id), with
    -d no runtime is asked, and a `[filter] containers` allow-list naming
    the container or the unit leaves them out."""

    FAKE_ID = "%064x" % (0xf0f9ed * (os.getpid() + 1))
    UID = 10000 + os.getpid() % 50000

    def setUp(self):
        self.cgroups = testlib.CgroupDirs()
        self.manager = (f"{cgroup_root()}/user.slice/user-{self.UID}.slice/"
                        f"user@{self.UID}.service")
        self.docker = self.cgroups.make(f"{self.manager}/app.slice/docker-{self.FAKE_ID}.scope")
        self.sshd = self.cgroups.make(f"{self.manager}/sshd.service")
        self.tmp = tempfile.mkdtemp(prefix=f"ebpflow-forged-{os.getpid()}-")

    def tearDown(self):
        self.cgroups.remove()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_user_subtree_is_the_users(self):
        path = f"{self.tmp}/runtime.sock"
        fake = FakeRuntime(path, "ok", "forged-name")  # would name anything it is asked
        fake.start()
        conf = f"{self.tmp}/ebpflow.conf"
        with open(conf, "w") as f:
            f.write(f"[filter]\ncontainers = {self.FAKE_ID};sshd.service;forged-name\n")
        named = Ebpflow("-d", "--docker-socket", path, "-o", "json", "-i", "1")
        allowed = Ebpflow("-c", conf, "-d", "--docker-socket", path, "-o", "json", "-i", "1")
        try:
            in_docker = client_in(self.docker, P + 9)
            in_sshd = client_in(self.sshd, P + 10)
            time.sleep(2.5)
        finally:
            named.stop()
            allowed.stop()
            fake.stop()
        recs = named.records()
        for pid, unit in ((in_docker, f"docker-{self.FAKE_ID}.scope"), (in_sshd, "sshd.service")):
            mine = [r for r in recs if r["pid"] == pid and r["direction"] == "outbound"]
            self.assertEqual(sum(r["count"] for r in mine), N, named.stderr)
            self.assertEqual({(r["container"], r["container_id"]) for r in mine},
                             {(f"user@{self.UID}.service/{unit}", "")}, named.stderr)
        self.assertEqual(fake.conns, [], "the runtime was asked about a user's cgroup")
        # the allow-list meant for the container and the system unit leaves both out
        self.assertEqual([r for r in allowed.records() if r["pid"] in (in_docker, in_sshd)], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
