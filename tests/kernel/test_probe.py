#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The kernel side for real: eBPFlow loads its programs (the tier of hooks
EBPFLOW_HOOKS names, or the best one this kernel has), an exact workload runs
between two network namespaces (client as user nobody, server as root), and
every field of every expected flow is checked against what was done.

The same workload gives the same flows on every tier; where a tier cannot
know something (README: "What each tier counts") the test says what it
expects there instead. The kernel matrix (tests/vm/matrix) runs this file in
Debian's kernels, once per tier.
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
XFER4 = (1000, 3000)     # TCP bytes client -> server, server -> client, per connection
XFER6 = (70000, 5)       # more than a window's worth one way

NET = None
TIER = None
RESULT = {}      # scenario -> (client Workload, server Workload or None)
FLOWS = {}
T0_MS = T1_MS = 0


def port(name):
    return BASE + SCENARIOS.index(name)


SCENARIOS = ["tcp4", "tcp6", "tcp4read", "tcp4xfer", "tcp6xfer", "tcp4refused", "tcp4fork",
             "udp4", "udp6", "udp4c", "udp4c-peer", "udp6c", "udp6c-peer", "thread", "udp4nb",
             "udp6peek", "udp4recv", "udp4refused", "udp4mapped", "udp4mappedc", "udp4cork",
             "udp6cork"]


def scenario(name, server_args, client_args):
    server = Workload(NET.b, server_args) if server_args else None
    client = Workload(NET.a, client_args, as_nobody=True)
    RESULT[name] = (client.wait(), server.wait() if server else None)


def run_workloads():
    a4, b4 = TwoHosts.V4
    a6, b6 = TwoHosts.V6

    def cli(kind, addr, name, *more):
        return [kind, addr, port(name), N, SPACING_MS, *more]

    scenario("tcp4", ["tcp-server", b4, port("tcp4"), N], cli("tcp-client", b4, "tcp4"))
    scenario("tcp6", ["tcp-server", b6, port("tcp6"), N], cli("tcp-client", b6, "tcp6"))
    # the server reads before closing: on the tracepoint tier the accept is counted there
    scenario("tcp4read", ["tcp-server", b4, port("tcp4read"), N, "read"],
             cli("tcp-client", b4, "tcp4read", "send"))
    scenario("tcp4xfer", ["tcp-server", b4, port("tcp4xfer"), N, "xfer", *XFER4],
             cli("tcp-client", b4, "tcp4xfer", "xfer", *XFER4))
    scenario("tcp6xfer", ["tcp-server", b6, port("tcp6xfer"), N, "xfer", *XFER6],
             cli("tcp-client", b6, "tcp6xfer", "xfer", *XFER6))
    # nobody listens: every connect is reset
    scenario("tcp4refused", None, cli("tcp-client", b4, "tcp4refused", "refused"))
    # accept, then a forked worker reads and closes
    scenario("tcp4fork", ["tcp-server", b4, port("tcp4fork"), N, "fork"],
             cli("tcp-client", b4, "tcp4fork", "send"))
    # unbound senders: the kernel chooses the source address
    scenario("udp4", ["udp-server", b4, port("udp4"), N], cli("udp-client", b4, "udp4", "sendto"))
    scenario("udp6", ["udp-server", b6, port("udp6"), N], cli("udp-client", b6, "udp6", "sendto"))
    scenario("udp4c", ["udp-server", b4, port("udp4c"), N, a4, port("udp4c-peer")],
             cli("udp-client", b4, "udp4c", "connected", port("udp4c-peer")))
    scenario("udp6c", ["udp-server", b6, port("udp6c"), N, a6, port("udp6c-peer")],
             cli("udp-client", b6, "udp6c", "connected", port("udp6c-peer")))
    scenario("thread", ["udp-server", b4, port("thread"), N],
             cli("udp-client", b4, "thread", "thread"))
    # an event loop: poll, then recvfrom until EAGAIN
    scenario("udp4nb", ["udp-server", b4, port("udp4nb"), N, "nonblock"],
             cli("udp-client", b4, "udp4nb", "sendto"))
    scenario("udp6peek", ["udp-server", b6, port("udp6peek"), N, "peek"],
             cli("udp-client", b6, "udp6peek", "sendto"))
    scenario("udp4recv", ["udp-server", b4, port("udp4recv"), N, "recv"],
             cli("udp-client", b4, "udp4recv", "sendto"))
    # connected to a port where nobody listens: sends fail after the ICMP errors
    scenario("udp4refused", None, cli("udp-client", b4, "udp4refused", "refused"))
    # IPv4 from dual-stack IPv6 sockets (IPv4-mapped addresses): udpv6_sendmsg hands
    # the call to udp_sendmsg, and the flow is one IPv4 flow counted once
    scenario("udp4mapped", ["udp-server", b4, port("udp4mapped"), N],
             cli("udp-client", "::ffff:" + b4, "udp4mapped", "sendto"))
    scenario("udp4mappedc", ["udp-server", b4, port("udp4mappedc"), N],
             cli("udp-client", "::ffff:" + b4, "udp4mappedc", "connected"))
    # each datagram sent in two calls, the first with MSG_MORE: a send that makes no
    # datagram, counted with the connected socket's own addresses
    scenario("udp4cork", ["udp-server", b4, port("udp4cork"), N],
             cli("udp-client", b4, "udp4cork", "corked"))
    scenario("udp6cork", ["udp-server", b6, port("udp6cork"), N],
             cli("udp-client", b6, "udp6cork", "corked"))


def setUpModule():
    global NET, FLOWS, T0_MS, T1_MS, TIER
    testlib.require_kernel_privileges()
    NET = TwoHosts().__enter__()
    try:
        T0_MS = int(time.time() * 1000)
        probe = Ebpflow("-o", "json", "-i", "1")
        TIER = probe.tier
        try:
            run_workloads()
            # every workload has exited: one more drain reports their flows as ended
            time.sleep(2.5)
        finally:
            probe.stop()
        T1_MS = int(time.time() * 1000)
        if probe.returncode != 0:
            raise RuntimeError(f"ebpflow exited with {probe.returncode}: {probe.stderr}")
        FLOWS = flows_by_key(probe.records())
        print(f"tier: {TIER}", file=sys.stderr)
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if NET:
        NET.__exit__(None, None, None)
    Workload.cleanup()


class ProbeTest(unittest.TestCase):
    def flows_of(self, pid):
        return {k: f for k, f in FLOWS.items() if k[1] == pid}

    def flow(self, direction, pid, ip, proto, saddr, daddr, port_):
        key = (direction, pid, ip, proto, saddr, daddr, port_)
        mine = list(self.flows_of(pid))
        self.assertIn(key, FLOWS, f"no flow {key}; flows of pid {pid}: {mine}")
        self.assertEqual(len(mine), 1, f"pid {pid} should have exactly one flow: {mine}")
        return FLOWS[key]

    def check(self, f, uid, user, count, nbytes, reverse=0, failed=0):
        self.assertEqual(f["comm"], COMM)
        self.assertEqual(f["uid"], uid)
        self.assertEqual(f["user"], user)
        self.assertEqual(f["container"], "")
        self.assertEqual((f["count"], f["bytes"], f["reverse_bytes"], f["failed"]),
                         (count, nbytes, reverse, failed), "count, bytes, reverse_bytes, failed")
        # the process exited before eBPFlow stopped: the kernel said the flow ended
        self.assertEqual(f["end_reason"], "end")
        self.assertGreaterEqual(f["first_ms"], T0_MS)
        self.assertLessEqual(f["last_ms"], T1_MS)
        self.assertLessEqual(f["first_ms"], f["last_ms"])

    def check_mtbs(self, f, client):
        """MTBS against the spacing the client really had (its own clock, the
        kernel's): the kernel stamps each call between its start and its return,
        so the mean is bounded by the client's stamps, whatever a call took."""
        d = client.done
        lo = (d["last_ns"] - d["first_end_ns"]) / 1e9 / (N - 1)
        hi = (d["last_end_ns"] - d["first_ns"]) / 1e9 / (N - 1)
        self.assertGreater(lo, SPACING_MS / 1000 * 0.9)
        self.assertGreaterEqual(f["mtbs_s"], lo - 1e-6, f"calls stamped at {d}")
        self.assertLessEqual(f["mtbs_s"], hi + 1e-6, f"calls stamped at {d}")

    def outbound_inbound(self, name, ip, proto, client_addr, server_addr, nbytes, reverse=0,
                         in_saddr=None):
        client, server = RESULT[name]
        out = self.flow("outbound", client.pid, ip, proto, client_addr, server_addr, port(name))
        self.check(out, NOBODY_UID, "nobody", N, nbytes, reverse)
        self.check_mtbs(out, client)
        inb = self.flow("inbound", server.pid, ip, proto, in_saddr or client_addr, server_addr,
                        port(name))
        self.check(inb, 0, "root", N, nbytes, reverse)
        self.assertIsNotNone(inb["mtbs_s"])
        return out, inb

    def test_tcp4_connect_accept(self):
        self.outbound_inbound("tcp4", 4, "TCP", *TwoHosts.V4, 0)

    def test_tcp6_connect_accept(self):
        self.outbound_inbound("tcp6", 6, "TCP", *TwoHosts.V6, 0)

    def test_tcp4_one_byte_each_connection(self):
        self.outbound_inbound("tcp4read", 4, "TCP", *TwoHosts.V4, N)

    def test_tcp4_bytes_both_ways(self):
        # the initiator is the source: the server's inbound flow carries the client's bytes
        self.outbound_inbound("tcp4xfer", 4, "TCP", *TwoHosts.V4, N * XFER4[0], N * XFER4[1])

    def test_tcp6_bytes_both_ways(self):
        self.outbound_inbound("tcp6xfer", 6, "TCP", *TwoHosts.V6, N * XFER6[0], N * XFER6[1])

    def test_tcp4_refused_connects_count_and_fail(self):
        client, _ = RESULT["tcp4refused"]
        self.assertEqual(client.done["failed"], N)
        a, b = TwoHosts.V4
        f = self.flow("outbound", client.pid, 4, "TCP", a, b, port("tcp4refused"))
        self.check(f, NOBODY_UID, "nobody", N, 0, failed=N)
        self.assertFalse([k for k in FLOWS if k[0] == "inbound" and k[6] == port("tcp4refused")])

    def test_tcp4_accept_then_fork(self):
        client, server = RESULT["tcp4fork"]
        a, b = TwoHosts.V4
        self.assertEqual(len(server.workers), N)
        if TIER == "tracepoint":
            # counted at first use: each worker that read the socket is named
            for w in server.workers:
                f = self.flow("inbound", w, 4, "TCP", a, b, port("tcp4fork"))
                self.check(f, 0, "root", 1, 1)
            self.assertFalse(self.flows_of(server.pid))
        else:
            # counted in the accepting process, whatever it does with the socket
            f = self.flow("inbound", server.pid, 4, "TCP", a, b, port("tcp4fork"))
            self.check(f, 0, "root", N, N)
            for w in server.workers:
                self.assertFalse(self.flows_of(w), f"worker {w} accepted nothing")

    def test_udp4_unbound_sender_has_the_source_the_kernel_chose(self):
        self.outbound_inbound("udp4", 4, "UDP", *TwoHosts.V4, N * PAYLOAD)

    def test_udp6_unbound_sender_has_the_source_the_kernel_chose(self):
        self.outbound_inbound("udp6", 6, "UDP", *TwoHosts.V6, N * PAYLOAD)

    def test_udp4_connected_send_recv(self):
        self.outbound_inbound("udp4c", 4, "UDP", *TwoHosts.V4, N * PAYLOAD)

    def test_udp6_connected_send_recv(self):
        self.outbound_inbound("udp6c", 6, "UDP", *TwoHosts.V6, N * PAYLOAD)

    def test_second_thread_counts_for_the_process(self):
        client, server = RESULT["thread"]
        self.assertNotEqual(client.sender["tid"], client.pid, "the sender must be another thread")
        a, b = TwoHosts.V4
        f = self.flow("outbound", client.pid, 4, "UDP", a, b, port("thread"))
        self.check(f, NOBODY_UID, "nobody", N, N * PAYLOAD)
        self.assertNotIn(client.sender["tid"], {k[1] for k in FLOWS})

    def test_udp4_nonblocking_server_no_phantom_flow(self):
        # flow() asserts the server has one flow: its EAGAINs are not receives
        client, server = RESULT["udp4nb"]
        self.assertGreater(server.done["failed"], 0, "the server saw no EAGAIN")
        self.outbound_inbound("udp4nb", 4, "UDP", *TwoHosts.V4, N * PAYLOAD)

    def test_udp6_peek_then_read_counts_once(self):
        self.outbound_inbound("udp6peek", 6, "UDP", *TwoHosts.V6, N * PAYLOAD)

    def test_udp4_recv_without_address(self):
        # the peer comes from the datagram where the tier has it, else it is unknown
        a, b = TwoHosts.V4
        self.outbound_inbound("udp4recv", 4, "UDP", a, b, N * PAYLOAD,
                              in_saddr="0.0.0.0" if TIER == "tracepoint" else a)

    def test_udp4_failed_sends_are_not_sends(self):
        client, _ = RESULT["udp4refused"]
        ok, failed = client.done["ok"], client.done["failed"]
        self.assertEqual(ok + failed, N)
        self.assertGreater(failed, 0, "no send was refused: the test proves nothing")
        # after each refused send it read the ICMP error from its error queue
        # (MSG_ERRQUEUE): flow() asserts that made no inbound flow
        self.assertGreater(client.done["errq"], 0, "no error-queue read: the test proves less")
        a, b = TwoHosts.V4
        f = self.flow("outbound", client.pid, 4, "UDP", a, b, port("udp4refused"))
        self.check(f, NOBODY_UID, "nobody", ok, ok * PAYLOAD)


    def corked(self, name, ip, a, b):
        client, server = RESULT[name]
        self.assertEqual(client.done["ok"], 2 * N)
        # one flow: the MSG_MORE call has the socket's peer, the datagram's own
        out = self.flow("outbound", client.pid, ip, "UDP", a, b, port(name))
        self.check(out, NOBODY_UID, "nobody", 2 * N, N * PAYLOAD)
        inb = self.flow("inbound", server.pid, ip, "UDP", a, b, port(name))
        self.check(inb, 0, "root", N, N * PAYLOAD)

    def test_udp4_corked_sends_each_count(self):
        self.corked("udp4cork", 4, *TwoHosts.V4)

    def test_udp6_corked_sends_each_count(self):
        self.corked("udp6cork", 6, *TwoHosts.V6)

    def test_udp4_mapped_sendto_from_ipv6_socket(self):
        self.outbound_inbound("udp4mapped", 4, "UDP", *TwoHosts.V4, N * PAYLOAD)

    def test_udp4_mapped_connected_from_ipv6_socket(self):
        self.outbound_inbound("udp4mappedc", 4, "UDP", *TwoHosts.V4, N * PAYLOAD)


if __name__ == "__main__":
    unittest.main(verbosity=2)
