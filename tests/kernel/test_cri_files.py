#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Names of Kubernetes containers read from the runtimes' files, as root,
without any runtime running: the test makes what containerd's CRI plugin and
CRI-O leave on a node (a state directory with a task bundle's config.json,
mode 0700 like theirs; CRI-O's overlay-containers/<id>/userdata/config.json)
and the cgroups kubelet's cgroupfs driver makes (/kubepods/besteffort/
pod<uid>/<id>, .../crio-<id>), moves a process in, and eBPFlow pointed at
those directories must name every flow namespace/pod/container (a sandbox:
namespace/pod), with exact counts. A container whose spec is gone keeps its
name. As another user (--user nobody) the files cannot be read: flows keep
their container ids and the log says what is needed.

The real containerd, driven through CRI, is tests/kernel/test_cri.py's."""
import http.server
import json
import os
import shutil
import socketserver
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import Ebpflow, cgroup_root, port_base  # noqa: E402

N = 5
P = port_base(9)
PID = os.getpid()
ROOT = f"/tmp/ebpflow-crif-{PID}"
STATE = f"{ROOT}/containerd"
CRIO_RUN = f"{ROOT}/crio-run"
CRIO_ROOT = f"{ROOT}/crio-root"
POD_UID = "%08x-1111-4222-8333-%012x" % (PID, PID)
CRIO_POD_UID = "%08x-4444-4555-8666-%012x" % (PID, PID)
CTR_ID = "%064x" % (0xc0ffee * (PID + 1))
SANDBOX_ID = "%064x" % (0x5a4d * (PID + 1))
CRIO_ID = "%064x" % (0xc410 * (PID + 1))
DOCKER_ID = "%064x" % (0xd0c * (PID + 1))
DOCKER_POD_UID = "%08x-7777-4888-8999-%012x" % (PID, PID)
POD = f"web-{PID}"


def containerd_spec(kind, name=None):
    """A bundle's spec as containerd's CRI plugin writes it (pkg/cri/annotations)."""
    a = {"io.kubernetes.cri.container-type": kind,
         "io.kubernetes.cri.sandbox-id": SANDBOX_ID,
         "io.kubernetes.cri.sandbox-namespace": "ns1",
         "io.kubernetes.cri.sandbox-name": POD,
         "io.kubernetes.cri.sandbox-uid": POD_UID}
    if name:
        a["io.kubernetes.cri.container-name"] = name
    return {"ociVersion": "1.0.2-dev", "process": {"args": ["/bin/sh"], "cwd": "/"},
            "root": {"path": "rootfs"}, "annotations": a,
            "linux": {"cgroupsPath": f"/kubepods/besteffort/pod{POD_UID}/x"}}


def crio_spec():
    """A container's spec as CRI-O writes it: kubelet's labels as annotations."""
    a = {"io.kubernetes.pod.namespace": "ns2", "io.kubernetes.pod.name": f"cache-{PID}",
         "io.kubernetes.pod.uid": CRIO_POD_UID, "io.kubernetes.container.name": "redis",
         "io.kubernetes.cri-o.ContainerType": "container",
         "io.kubernetes.cri-o.ContainerID": CRIO_ID}
    return {"ociVersion": "1.2.0", "process": {"args": ["/redis"], "cwd": "/"},
            "root": {"path": "/merged"}, "annotations": a}


def write_spec(path, spec):
    """config.json in a directory made 0700 (and its parents 0711), as the runtimes do."""
    d = os.path.dirname(path)
    os.makedirs(os.path.dirname(d), mode=0o711, exist_ok=True)
    os.makedirs(d, mode=0o700, exist_ok=True)
    os.chmod(d, 0o700)
    with open(path, "w") as f:
        json.dump(spec, f)


def bundle(cid):
    return f"{STATE}/io.containerd.runtime.v2.task/k8s.io/{cid}"


def client_in(cg, port):
    """A process in cgroup cg: N datagrams to port; its pid."""
    return testlib.udp_client_in_cgroup(cg, port, N)


class FakeDocker(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """cri-dockerd's Docker: the Engine API, with kubelet's labels on the container."""

    daemon_threads = True

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.server.asked.append(self.path)
            labels = {"io.kubernetes.pod.namespace": "ns3", "io.kubernetes.pod.name": "dk",
                      "io.kubernetes.container.name": "ctr"}
            body = json.dumps({"Name": "/k8s_ctr_dk", "Config": {"Labels": labels}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    def __init__(self, path):
        super().__init__(path, self.Handler)
        self.asked = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.shutdown()
        self.server_close()


class CriFiles(unittest.TestCase):
    def setUp(self):
        testlib.require_kernel_privileges()
        self.cgroups = testlib.CgroupDirs()
        os.makedirs(ROOT, mode=0o711)
        os.chmod(ROOT, 0o711)  # as /run: others may pass, not list
        write_spec(f"{bundle(CTR_ID)}/config.json", containerd_spec("container", "app"))
        write_spec(f"{bundle(SANDBOX_ID)}/config.json", containerd_spec("sandbox"))
        write_spec(f"{CRIO_RUN}/overlay-containers/{CRIO_ID}/userdata/config.json", crio_spec())
        os.makedirs(f"{CRIO_ROOT}/overlay-containers", mode=0o700)
        pod = f"{cgroup_root()}/kubepods/besteffort/pod{POD_UID}"
        self.ctr = self.cgroups.make(f"{pod}/{CTR_ID}")
        self.sandbox = self.cgroups.make(f"{pod}/{SANDBOX_ID}")
        self.crio = self.cgroups.make(f"{cgroup_root()}/kubepods/besteffort/pod{CRIO_POD_UID}/"
                                f"crio-{CRIO_ID}")

    def tearDown(self):
        # the clients have exited: their cgroups are empty; a directory another
        # test made (kubepods, besteffort) is left to it
        self.cgroups.remove()
        shutil.rmtree(ROOT, ignore_errors=True)

    def args(self):
        return ["--containers", "--containerd-state", STATE, "--crio-runroot", CRIO_RUN,
                "--crio-root", CRIO_ROOT, "--docker-socket", f"{ROOT}/no-docker.sock",
                "-o", "json", "-i", "1"]

    def sent(self, recs, pid):
        """(count, {(container, container_id)}) of pid's outbound flows."""
        mine = [r for r in recs if r["pid"] == pid and r["direction"] == "outbound"]
        return sum(r["count"] for r in mine), {(r["container"], r["container_id"]) for r in mine}

    def test_named_from_specs(self):
        probe = Ebpflow(*self.args())
        try:
            in_ctr = client_in(self.ctr, P)
            in_sandbox = client_in(self.sandbox, P + 1)
            in_crio = client_in(self.crio, P + 2)
            time.sleep(2.5)  # named, reported
            # the container is gone from containerd: its cgroup keeps the name it had
            shutil.rmtree(bundle(CTR_ID))
            again = client_in(self.ctr, P + 3)
            time.sleep(1.5)
        finally:
            probe.stop()
        recs = probe.records()
        for pid, want in ((in_ctr, (f"ns1/{POD}/app", CTR_ID)),
                          (in_sandbox, (f"ns1/{POD}", SANDBOX_ID)),
                          (in_crio, (f"ns2/cache-{PID}/redis", CRIO_ID)),
                          (again, (f"ns1/{POD}/app", CTR_ID))):
            self.assertEqual(self.sent(recs, pid), (N, {want}), probe.stderr)
        # no runtime was taken as down, no spec refused
        self.assertNotIn("container runtime at", probe.stderr)

    def test_cgroupfs_docker(self):
        """A cgroupfs pod cgroup names no runtime: where containerd keeps no k8s.io
        namespace (Docker's own containerd keeps "moby"), Docker's API is asked."""
        state = f"{ROOT}/docker-containerd"
        os.makedirs(f"{state}/io.containerd.runtime.v2.task/moby", mode=0o711)
        cg = self.cgroups.make(
            f"{cgroup_root()}/kubepods/besteffort/pod{DOCKER_POD_UID}/{DOCKER_ID}")
        docker = FakeDocker(f"{ROOT}/docker.sock")
        args = self.args()
        args[args.index(STATE)] = state
        args[args.index(f"{ROOT}/no-docker.sock")] = f"{ROOT}/docker.sock"
        probe = Ebpflow(*args)
        try:
            pid = client_in(cg, P + 5)
            time.sleep(2.5)
        finally:
            probe.stop()
            docker.stop()
        self.assertEqual(self.sent(probe.records(), pid), (N, {("ns3/dk/ctr", DOCKER_ID)}),
                         probe.stderr)
        # asked once for this container (other containers of the host may be asked too)
        ours = f"/v1.41/containers/{DOCKER_ID}/json"
        self.assertEqual(docker.asked.count(ours), 1, docker.asked)
        self.assertNotIn("container runtime at", probe.stderr)

    def test_no_runtime(self):
        """Neither containerd's state nor Docker's socket: ids only, and the one
        warning says where both were looked for."""
        args = self.args()
        args[args.index(STATE)] = f"{ROOT}/no-containerd"
        probe = Ebpflow(*args)
        try:
            pid = client_in(self.ctr, P + 6)
            time.sleep(2.5)
        finally:
            probe.stop()
        self.assertEqual(self.sent(probe.records(), pid), (N, {("", CTR_ID)}), probe.stderr)
        warned = [l for l in probe.stderr.splitlines() if "container runtime at" in l]
        self.assertEqual(len(warned), 1, probe.stderr)
        self.assertIn(f"container runtime at {ROOT}/no-docker.sock: ", warned[0])
        self.assertIn(f"(and containerd has no k8s.io namespace under {ROOT}/no-containerd)",
                      warned[0])

    def test_not_root(self):
        """As nobody the bundles (root's, 0700) cannot be read: ids only, said once."""
        probe = Ebpflow(*self.args(), "--user", "nobody")
        try:
            in_ctr = client_in(self.ctr, P + 4)
            time.sleep(2.5)
        finally:
            probe.stop()
        self.assertEqual(self.sent(probe.records(), in_ctr), (N, {("", CTR_ID)}), probe.stderr)
        self.assertEqual(probe.stderr.count(f"container runtime at {STATE}: "), 1, probe.stderr)
        self.assertIn("need eBPFlow to run as uid 0, without --user", probe.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
