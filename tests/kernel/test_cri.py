#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Pods on a real containerd, made through the CRI API as kubelet makes them
(issue 20): Debian's containerd of our own (tests/lib/containerd.py), an
image made here from busybox-static and the static workload, pods on the
host's network (no CNI here) in the cgroups kubelet's cgroupfs driver gives.

Pod A (ns1/pod-a, container wl-a) sends N datagrams and makes M connections
to servers on the host, and runs a UDP server that takes N datagrams from
the host and then waits for one more, until its pod is removed. Pod B
(ns2/pod-b, container wl-b) sends its own datagrams. eBPFlow (naming on)
must count each exactly, carry the CRI container id from the cgroup, and
name the flows namespace/pod/container in JSON, IPFIX and ZMQ (ntopng's
TLV); the records of pod A's server that go out after its pod was stopped
and removed keep the name.
"""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import ntopng_tlv  # noqa: E402
import testlib  # noqa: E402
from testlib import BUILD_DIR, Collector, Ebpflow, port_base, start_workload  # noqa: E402

N, M, N_B = 7, 4, 6
PAYLOAD = 21
P_UDP, P_TCP, P_IN, P_UDP_B, P_IPFIX, P_ZMQ = (port_base(i) for i in range(6))
SUBSCRIBER = os.path.join(BUILD_DIR, "tests", "ebpflow-ntopng-sub")
BASE = f"/tmp/ebpflow-cri-{os.getpid()}"
IMAGE = f"docker.io/library/ebpflow-wl:{os.getpid()}"
POD_A = ("ns1", "pod-a", "wl-a")
POD_B = ("ns2", "pod-b", "wl-b")
RUN = {}
containerd = None   # tests/lib/containerd.py, once python3-grpcio is known to be there


def need_containerd():
    if importlib.util.find_spec("grpc") is None:
        testlib.skip_or_fail("kernel_cri", "python3-grpcio is not installed "
                             "(scripts/deps.sh --test installs it)")
    global containerd
    import containerd
    missing = containerd.missing_tools()
    if not os.path.exists("/usr/bin/busybox"):
        missing.append("busybox-static")
    if missing:
        testlib.skip_or_fail("kernel_cri", f"{', '.join(missing)} not installed "
                             "(scripts/deps.sh --test installs them)")


def naming_args(ctd):
    """Containers named (-d, the seed's option), containerd's state being ours."""
    return ["-d", "--containerd-state", ctd.state]


class Subscriber(testlib.Process):
    """ebpflow-ntopng-sub (ntopng's collector, as tests/kernel/test_zmq.py has
    it) on eBPFlow's --zmq endpoint; its TLV flows, decoded."""

    def __init__(self, endpoint):
        self.out = tempfile.TemporaryFile(mode="w+", prefix=f"ebpflow-cri-zmq-{os.getpid()}-")
        super().__init__([SUBSCRIBER, endpoint], stdout=self.out, stderr=subprocess.PIPE,
                         text=True)
        if "subscribed" not in self.proc.stderr.readline():
            self.stop()
            raise RuntimeError("ebpflow-ntopng-sub did not start")

    def flows(self):
        self.stop()
        self.out.seek(0)
        msgs = [json.loads(line) for line in self.out if line.strip()]
        self.out.close()
        return [f for m in msgs if "tlv" in m for f in ntopng_tlv.flows(bytes.fromhex(m["tlv"]))]


def container(name, script):
    return {"metadata": {"name": name, "attempt": 0}, "image": {"image": IMAGE},
            "command": ["/bin/sh", "-c", script], "log_path": f"{name}/0.log"}


def start_pod(ctd, names, script):
    ns, pod, name = names
    pod_config = ctd.pod_config(pod, ns)
    sandbox = ctd.run_pod(pod_config)
    config = container(name, script)
    return sandbox, pod_config, config, ctd.run_container(sandbox, pod_config, config)


def setUpModule():
    testlib.require_kernel_privileges()
    need_containerd()
    ctd = containerd.Containerd(BASE, IMAGE)
    servers = []
    try:
        t0 = time.monotonic()
        ctd.start()
        containerd.workload_image(ctd, IMAGE, os.path.join(BUILD_DIR, "tests", "ebpflow-wl-static"))
        RUN["setup_s"] = time.monotonic() - t0
        servers = [start_workload("udp-server", "127.0.0.1", P_UDP, N),
                   start_workload("tcp-server", "127.0.0.1", P_TCP, M),
                   start_workload("udp-server", "127.0.0.1", P_UDP_B, N_B)]
        collector = Collector(P_IPFIX)
        zmq = os.path.exists(SUBSCRIBER)   # a build with libzmq (test_zmq requires one)
        probe = Ebpflow(*naming_args(ctd), "-o", "json", "-i", "1",
                        "--collector", f"127.0.0.1:{P_IPFIX}",
                        *(["--zmq", f"tcp://127.0.0.1:{P_ZMQ}"] if zmq else []))
        sub = Subscriber(f"tcp://127.0.0.1:{P_ZMQ}") if zmq else None
        try:
            time.sleep(1.5 if sub else 0)   # its subscription reaches eBPFlow
            a_sandbox, a_pod, a_ctr, RUN["id_a"] = start_pod(
                ctd, POD_A,
                f"/ebpflow-wl udp-server 127.0.0.1 {P_IN} {N + 1} & "
                f"/ebpflow-wl udp-client 127.0.0.1 {P_UDP} {N} 10 sendto && "
                f"/ebpflow-wl tcp-client 127.0.0.1 {P_TCP} {M} 10 && echo clients-done; wait")
            _, _, b_ctr_conf, RUN["id_b"] = start_pod(
                ctd, POD_B,
                f"/ebpflow-wl udp-client 127.0.0.1 {P_UDP_B} {N_B} 10 sendto && "
                f"echo clients-done; exec sleep 2147483647")
            # A's server ready, its clients done: the host sends N of its N + 1
            ctd.wait_log(a_pod, a_ctr, "clients-done")
            ctd.wait_log(a_pod, a_ctr, "ready", count=3)
            subprocess.run([os.path.join(BUILD_DIR, "tests", "ebpflow-wl"), "udp-client",
                            "127.0.0.1", str(P_IN), str(N), "10", "sendto"],
                           check=True, capture_output=True)
            for s in servers:
                s.communicate(timeout=20)
            # the clients' processes exited: their records, while the pods run
            for cid, port in ((RUN["id_a"], P_TCP), (RUN["id_a"], P_UDP), (RUN["id_b"], P_UDP_B)):
                probe.wait_for(lambda r, cid=cid, port=port: r.get("container_id") == cid
                               and r["dport"] == port and r["end_reason"] == "end")
            # eBPFlow held still while pod A goes: whatever it says of A's
            # server after this is said of a pod that no longer exists
            os.kill(probe.proc.pid, signal.SIGSTOP)
            time.sleep(0.3)   # what it wrote before is read by then
            RUN["lines_before_removal"] = len(probe._lines)
            ctd.remove_pod(a_sandbox)
            RUN["bundle_a_after_removal"] = os.path.exists(ctd.bundle(RUN["id_a"]))
            os.kill(probe.proc.pid, signal.SIGCONT)
            probe.wait_for(lambda r: r["dport"] == P_IN and r["direction"] == "inbound"
                           and r["end_reason"] == "end")
        finally:
            os.kill(probe.proc.pid, signal.SIGCONT)
            probe.stop()
            time.sleep(0.3)
            RUN["collector"] = collector.records()
            RUN["zmq"] = sub.flows() if sub else None
        RUN["json"] = probe.records()
        RUN["json_lines"] = probe.stdout.splitlines()
        RUN["stderr"] = probe.stderr
    finally:
        for s in servers:
            if s.poll() is None:
                s.kill()
                s.wait()
        ctd.stop()
    print(f"containerd started and image imported in {RUN['setup_s']:.1f} s", file=sys.stderr)


def mine(records, port, direction, cid=None):
    return [r for r in records if r["dport"] == port and r["direction"] == direction
            and r["comm"] == "ebpflow-wl" and (cid is None or r["container_id"] == cid)]


class CriPods(unittest.TestCase):
    def flows(self):
        """(records, expected count, CRI container id, names) of each pod's flows."""
        return ((mine(RUN["json"], P_UDP, "outbound"), N, RUN["id_a"], POD_A),
                (mine(RUN["json"], P_TCP, "outbound"), M, RUN["id_a"], POD_A),
                (mine(RUN["json"], P_IN, "inbound"), N, RUN["id_a"], POD_A),
                (mine(RUN["json"], P_UDP_B, "outbound"), N_B, RUN["id_b"], POD_B))

    def test_counts_exact_with_cri_container_ids(self):
        for recs, count, cid, _ in self.flows():
            self.assertEqual(sum(r["count"] for r in recs), count, RUN["stderr"])
            # the 64-hex id in the cgroup is the id CreateContainer returned
            self.assertEqual({r["container_id"] for r in recs}, {cid})
        udp = mine(RUN["json"], P_UDP, "outbound")
        self.assertEqual(sum(r["bytes"] for r in udp), N * PAYLOAD)

    def test_host_servers_are_no_container(self):
        for port, direction, count in ((P_UDP, "inbound", N), (P_TCP, "inbound", M),
                                       (P_IN, "outbound", N), (P_UDP_B, "inbound", N_B)):
            recs = mine(RUN["json"], port, direction)
            self.assertEqual(sum(r["count"] for r in recs), count)
            self.assertEqual({(r["container"], r["container_id"]) for r in recs}, {("", "")})

    def test_json_names_namespace_pod_container(self):
        for recs, _, _, names in self.flows():
            self.assertEqual({r["container"] for r in recs}, {"/".join(names)}, RUN["stderr"])

    def test_ipfix_names_namespace_pod_container(self):
        for port, cid, names, count in ((P_UDP, RUN["id_a"], POD_A, N),
                                        (P_TCP, RUN["id_a"], POD_A, M),
                                        (P_UDP_B, RUN["id_b"], POD_B, N_B)):
            recs = [r for r in RUN["collector"] if r.get("containerId") == cid
                    and r.get("destinationTransportPort") == port]
            self.assertEqual(sum(r["callDeltaCount"] for r in recs), count)
            self.assertEqual({r["containerName"] for r in recs}, {"/".join(names)})

    def test_zmq_names_namespace_pod_container(self):
        if RUN["zmq"] is None:
            self.skipTest("this build has no ZMQ (kernel_zmq says why)")
        for port, cid, names, count in ((P_UDP, RUN["id_a"], POD_A, N),
                                        (P_TCP, RUN["id_a"], POD_A, M),
                                        (P_UDP_B, RUN["id_b"], POD_B, N_B)):
            recs = [f for f in RUN["zmq"] if f.get("SRC_PROC_CONTAINER_ID") == cid
                    and f["L4_DST_PORT"] == port and f["DIRECTION"] == 1]
            self.assertEqual(sum(f["callDeltaCount"] for f in recs), count)
            self.assertEqual({f["containerName"] for f in recs}, {"/".join(names)})

    def test_removed_pod_keeps_its_name(self):
        # A's server was live when its pod was removed (its bundle with it):
        # every one of its records went out after that, named
        self.assertFalse(RUN["bundle_a_after_removal"])
        after = [testlib.json.loads(l) for l in RUN["json_lines"][RUN["lines_before_removal"]:]
                 if l.startswith("{")]
        recs = mine([r for r in after if "type" not in r], P_IN, "inbound", RUN["id_a"])
        self.assertEqual(sum(r["count"] for r in recs), N)
        self.assertEqual({r["end_reason"] for r in recs}, {"end"})
        self.assertEqual({r["container"] for r in recs}, {"/".join(POD_A)}, RUN["stderr"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
