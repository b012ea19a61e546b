#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The kernel side for real: eBPFlow loads its programs, an exact workload
runs between two network namespaces (client as user nobody, server as root),
and every field of every expected flow is checked against what was done.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import NOBODY_UID, Ebpflow, TwoHosts, Workload, flows_by_key  # noqa: E402

N = 5            # calls per scenario
SPACING_MS = 40  # between the client's calls
PAYLOAD = 21     # bytes of each datagram (tests/workload.c)
BASE = 20000 + os.getpid() % 20000  # our ports
COMM = "ebpflow-wl"

NET = None
RESULT = {}      # scenario -> (client Workload, server Workload)
FLOWS = {}
T0_MS = T1_MS = 0


def scenario(name, net, server_args, client_args):
    server = Workload(net.b, server_args)
    client = Workload(net.a, client_args, as_nobody=True)
    RESULT[name] = (client.wait(), server.wait())


def setUpModule():
    global NET, FLOWS, T0_MS, T1_MS
    testlib.require_kernel_privileges()
    NET = TwoHosts().__enter__()
    try:
        T0_MS = int(time.time() * 1000)
        probe = Ebpflow("-o", "json", "-i", "1")
        a4, b4 = TwoHosts.V4
        a6, b6 = TwoHosts.V6
        try:
            p = BASE
            scenario("tcp4", NET, ["tcp-server", b4, p, N], ["tcp-client", b4, p, N, SPACING_MS])
            scenario("tcp6", NET, ["tcp-server", b6, p + 1, N],
                     ["tcp-client", b6, p + 1, N, SPACING_MS])
            # the server reads before closing: the accept is counted at that read
            scenario("tcp4read", NET, ["tcp-server", b4, p + 9, N, "read"],
                     ["tcp-client", b4, p + 9, N, SPACING_MS, "send"])
            scenario("udp4", NET, ["udp-server", b4, p + 2, N],
                     ["udp-client", b4, p + 2, N, SPACING_MS, "sendto"])
            scenario("udp6", NET, ["udp-server", b6, p + 3, N],
                     ["udp-client", b6, p + 3, N, SPACING_MS, "sendto"])
            scenario("udp4c", NET, ["udp-server", b4, p + 4, N, a4, p + 5],
                     ["udp-client", b4, p + 4, N, SPACING_MS, "connected", p + 5])
            scenario("udp6c", NET, ["udp-server", b6, p + 6, N, a6, p + 7],
                     ["udp-client", b6, p + 6, N, SPACING_MS, "connected", p + 7])
            scenario("thread", NET, ["udp-server", b4, p + 8, N],
                     ["udp-client", b4, p + 8, N, SPACING_MS, "thread"])
            # every workload has exited: one more drain reports their flows as ended
            time.sleep(1.5)
        finally:
            probe.stop()
        T1_MS = int(time.time() * 1000)
        if probe.returncode != 0:
            raise RuntimeError(f"ebpflow exited with {probe.returncode}: {probe.stderr}")
        FLOWS = flows_by_key(probe.records())
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if NET:
        NET.__exit__(None, None, None)
    Workload.cleanup()


class ProbeTest(unittest.TestCase):
    def flow(self, direction, proc, ip, proto, saddr, daddr, port):
        key = (direction, proc.pid, ip, proto, saddr, daddr, port)
        mine = [k for k in FLOWS if k[1] == proc.pid]
        self.assertIn(key, FLOWS, f"no flow {key}; flows of pid {proc.pid}: {mine}")
        self.assertEqual(len(mine), 1, f"pid {proc.pid} should have exactly one flow: {mine}")
        return FLOWS[key]

    def check(self, f, proc, uid, user, count, nbytes):
        self.assertEqual(f["comm"], COMM)
        self.assertEqual(f["uid"], uid)
        self.assertEqual(f["user"], user)
        self.assertEqual(f["container"], "")
        self.assertEqual(f["count"], count)
        self.assertEqual(f["bytes"], nbytes)
        # the process exited before eBPFlow stopped: the kernel said the flow ended
        self.assertEqual(f["end_reason"], "end")
        self.assertEqual(f["records"], 1)
        self.assertGreaterEqual(f["first_ms"], T0_MS)
        self.assertLessEqual(f["last_ms"], T1_MS)
        self.assertLessEqual(f["first_ms"], f["last_ms"])

    def check_mtbs(self, f, client):
        """MTBS against the spacing the client really had (its own clock)."""
        real = (client.done["last_ns"] - client.done["first_ns"]) / 1e9 / (N - 1)
        self.assertGreater(real, SPACING_MS / 1000 * 0.9)
        self.assertAlmostEqual(f["mtbs_s"], real, delta=0.002)

    def outbound_inbound(self, name, ip, proto, client_addr, server_addr, port, nbytes,
                         out_saddr=None):
        client, server = RESULT[name]
        out = self.flow("outbound", client, ip, proto, out_saddr or client_addr, server_addr, port)
        self.check(out, client, NOBODY_UID, "nobody", N, nbytes)
        self.check_mtbs(out, client)
        inb = self.flow("inbound", server, ip, proto, client_addr, server_addr, port)
        self.check(inb, server, 0, "root", N, nbytes)
        self.assertIsNotNone(inb["mtbs_s"])

    def test_tcp4_connect_accept(self):
        a, b = TwoHosts.V4
        self.outbound_inbound("tcp4", 4, "TCP", a, b, BASE, 0)

    def test_tcp6_connect_accept(self):
        a, b = TwoHosts.V6
        self.outbound_inbound("tcp6", 6, "TCP", a, b, BASE + 1, 0)

    def test_tcp4_accept_counted_at_first_read(self):
        a, b = TwoHosts.V4
        self.outbound_inbound("tcp4read", 4, "TCP", a, b, BASE + 9, 0)

    def test_udp4_unconnected_sendto_recvfrom(self):
        # an unbound sender has no source address of its own: 0.0.0.0
        a, b = TwoHosts.V4
        self.outbound_inbound("udp4", 4, "UDP", a, b, BASE + 2, N * PAYLOAD, out_saddr="0.0.0.0")

    def test_udp6_unconnected_sendto_recvfrom(self):
        a, b = TwoHosts.V6
        self.outbound_inbound("udp6", 6, "UDP", a, b, BASE + 3, N * PAYLOAD, out_saddr="::")

    def test_udp4_connected_send_recv(self):
        a, b = TwoHosts.V4
        self.outbound_inbound("udp4c", 4, "UDP", a, b, BASE + 4, N * PAYLOAD)

    def test_udp6_connected_send_recv(self):
        a, b = TwoHosts.V6
        self.outbound_inbound("udp6c", 6, "UDP", a, b, BASE + 6, N * PAYLOAD)

    def test_second_thread_counts_for_the_process(self):
        client, server = RESULT["thread"]
        self.assertNotEqual(client.sender["tid"], client.pid, "the sender must be another thread")
        a, b = TwoHosts.V4
        f = self.flow("outbound", client, 4, "UDP", "0.0.0.0", b, BASE + 8)
        self.check(f, client, NOBODY_UID, "nobody", N, N * PAYLOAD)
        self.assertNotIn(client.sender["tid"], {k[1] for k in FLOWS})


if __name__ == "__main__":
    unittest.main(verbosity=2)
