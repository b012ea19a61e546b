#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""How healthy TCP connections were (issue 21), against the kernel's own
figures, in two network namespaces of this test joined by a veth pair:

- clean connections: every one has its handshake and RTT measured, on both
  sides, and no retransmission (the namespaces' TcpRetransSegs are 0);
- loss made by nftables in the server's namespace during a transfer: each
  side's retransmitted segments equal its namespace's TcpRetransSegs, and
  the client's bytes what TCP_INFO says of its socket;
- failures: a closed port (refused), SYNs dropped with tcp_syn_retries=1
  (timed out), a connect closed before its answer (other);
- connections that carry no byte: counted, but no figure of theirs (their
  close touches no flow, which keeps the TCP state program's cost);
- with netem (the guests of tests/vm/matrix load sch_netem; this host has
  none): a delay on both veth ends, handshake and RTT near twice it.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import Ebpflow, TwoHosts, port_base, run  # noqa: E402

P = port_base()
PORT_CLEAN, PORT_LOSS, PORT_SYN, PORT_CLOSED, PORT_DELAY = P, P + 1, P + 2, P + 3, P + 4
PORT_EMPTY, PORT_FULL = P + 5, P + 6
EMPTY_CONNS = 4
CLEAN_CONNS = 5
LOSS_BYTES = 8 << 20
TIMED_OUT, REFUSED = 2, 3
DELAY_MS = 50
HEALTH_SUMS = ("handshakes", "rtt_samples", "retrans_segs", "failed",
               "failed_refused", "failed_timeout", "failed_other", "count", "bytes")

# The server: accepts n connections on port, reads each to its end, closes it.
SERVER = r"""
import os, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(64)
print(os.getpid(), flush=True)
for _ in range(n):
    c, _ = s.accept()
    while c.recv(65536):
        pass
    c.close()
"""

# The client: n connections each sending size bytes; once the server's end is
# read, every byte (and our FIN) is acknowledged, so TCP_INFO holds the
# socket's final retransmissions; prints them.
CLIENT = r"""
import json, os, socket, struct, sys
host, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
segs = 0
rtts = []
for _ in range(n):
    c = socket.create_connection((host, port))
    c.sendall(b"x" * size)
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536):
        pass
    info = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    rtts.append(struct.unpack_from("I", info, 68)[0])
    segs += struct.unpack_from("I", info, 100)[0]
    c.close()
print(json.dumps({"pid": os.getpid(), "segs": segs, "rtts": rtts}), flush=True)
"""

# Failures: timed out connects (in threads, at once), refused ones, and one
# closed by us before any answer.
FAILER = r"""
import errno, json, os, socket, sys, threading
host, syn_port, closed_port, timed_out, refused = sys.argv[1], *map(int, sys.argv[2:])
errs = []
def connect(port):
    c = socket.socket()
    errs.append(c.connect_ex((host, port)))
    c.close()
ts = [threading.Thread(target=connect, args=(syn_port,)) for _ in range(timed_out)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for _ in range(refused):
    connect(closed_port)
c = socket.socket()
c.setblocking(False)
errs.append(c.connect_ex((host, syn_port)))
c.close()
print(json.dumps({"pid": os.getpid(), "errs": errs}), flush=True)
"""


def setUpModule():
    testlib.require_kernel_privileges()
    testlib.require_tools("nft")


def in_ns(ns, script, *args):
    return ["ip", "netns", "exec", ns, sys.executable, "-c", script, *map(str, args)]


def retrans_segs(ns):
    """The namespace's TcpRetransSegs (/proc/net/snmp is per namespace)."""
    out = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"], check=True,
                         capture_output=True, text=True).stdout
    names, values = [line.split() for line in out.splitlines() if line.startswith("Tcp:")]
    return int(values[names.index("RetransSegs")])


def health(records, pid, direction, port):
    """The records of one flow added up: sums and counts added, min of the
    mins, max of the maxes (each record's are the flow's so far)."""
    mine = [r for r in records if r["pid"] == pid and r["direction"] == direction
            and r["dport"] == port and r["proto"] == "TCP"]
    if not mine:
        raise AssertionError(f"no record of pid {pid} {direction} port {port}")
    out = {n: sum(r[n] for r in mine) for n in HEALTH_SUMS}
    for n in ("handshake_us", "rtt_us"):
        mins = [r[n + "_min"] for r in mine if r[n + "_min"] is not None]
        maxes = [r[n + "_max"] for r in mine if r[n + "_max"] is not None]
        out[n + "_min"] = min(mins) if mins else None
        out[n + "_max"] = max(maxes) if maxes else None
    return out


def netem_available(hosts):
    """True where tc can put a netem qdisc on our veth (after modprobe)."""
    if shutil.which("modprobe"):
        subprocess.run(["modprobe", "sch_netem"], stderr=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)
    r = subprocess.run(["ip", "netns", "exec", hosts.a, "tc", "qdisc", "add", "dev",
                        hosts.veth_a, "root", "netem", "delay", f"{DELAY_MS}ms"],
                       stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        return False
    run("ip", "netns", "exec", hosts.b, "tc", "qdisc", "add", "dev", hosts.veth_b, "root",
        "netem", "delay", f"{DELAY_MS}ms")
    return True


class TcpHealthTest(unittest.TestCase):
    def setUp(self):
        self.hosts = TwoHosts().__enter__()
        self.addCleanup(self.hosts.__exit__, None, None, None)
        self.server_ip = TwoHosts.V4[1]

    def hosts_know_each_other(self):
        h = self.hosts
        for ns, dev, peer_ns, peer_dev, ip in ((h.a, h.veth_a, h.b, h.veth_b, TwoHosts.V4[1]),
                                               (h.b, h.veth_b, h.a, h.veth_a, TwoHosts.V4[0])):
            link = json.loads(subprocess.run(["ip", "-n", peer_ns, "-j", "link", "show", peer_dev],
                                             check=True, capture_output=True, text=True).stdout)
            run("ip", "-n", ns, "neigh", "replace", ip, "lladdr", link[0]["address"], "dev", dev,
                "nud", "permanent")

    def serve(self, port, n):
        p = subprocess.Popen(in_ns(self.hosts.b, SERVER, port, n), stdout=subprocess.PIPE,
                             text=True)
        testlib._STARTED.append(p)
        return p, int(p.stdout.readline())

    def client(self, script, *args):
        out = subprocess.run(in_ns(self.hosts.a, script, *args), check=True,
                             capture_output=True, text=True, timeout=120).stdout
        return json.loads(out)

    def transfer(self, port, n, size):
        """n connections of size bytes: (client's report, server's pid)."""
        server, spid = self.serve(port, n)
        got = self.client(CLIENT, self.server_ip, port, n, size)
        self.assertEqual(server.wait(60), 0)
        time.sleep(1)  # the last closes (LAST_ACK, TIME_WAIT) reach CLOSE
        return got, spid

    def test_clean_and_loss(self):
        a, b = self.hosts.a, self.hosts.b
        # on the way in at the server: a drop on the way out would be a send
        # that failed, which TCP sends again without calling it a retransmission
        run("ip", "netns", "exec", b, "nft", "add table inet ebpflow_loss")
        run("ip", "netns", "exec", b, "nft",
            "add chain inet ebpflow_loss in { type filter hook input priority 0 ; }")
        # the client's data segments only (not its SYN): a handshake stays quick
        run("ip", "netns", "exec", b, "nft",
            f"add rule inet ebpflow_loss in tcp dport {PORT_LOSS} ip length > 1000 "
            f"numgen random mod 100 < 10 drop")
        probe = Ebpflow("-o", "json", "-i", "1")
        try:
            clean, clean_server = self.transfer(PORT_CLEAN, CLEAN_CONNS, 1000)
            self.assertEqual((retrans_segs(a), retrans_segs(b)), (0, 0))
            loss, loss_server = self.transfer(PORT_LOSS, 1, LOSS_BYTES)
            segs_a, segs_b = retrans_segs(a), retrans_segs(b)
        finally:
            probe.stop()
        records = probe.records()

        out = health(records, clean["pid"], "outbound", PORT_CLEAN)
        inb = health(records, clean_server, "inbound", PORT_CLEAN)
        for f in (out, inb):
            self.assertEqual((f["count"], f["handshakes"], f["rtt_samples"]),
                             (CLEAN_CONNS, CLEAN_CONNS, CLEAN_CONNS), f)
            self.assertEqual((f["retrans_segs"], f["failed"]), (0, 0))
            # a veth between namespaces: well under a second, never nothing
            for n in ("handshake_us", "rtt_us"):
                self.assertTrue(0 < f[n + "_min"] <= f[n + "_max"] < 1_000_000, f)
        # the client's last RTT reading before its close is the kernel's own srtt
        self.assertLessEqual(out["rtt_us_min"], min(clean["rtts"]) * 2, (out, clean))

        out = health(records, loss["pid"], "outbound", PORT_LOSS)
        inb = health(records, loss_server, "inbound", PORT_LOSS)
        self.assertGreater(segs_a, 0, "the nft rule dropped nothing: no loss to count")
        self.assertEqual(out["retrans_segs"], segs_a)
        self.assertEqual(out["retrans_segs"], loss["segs"])
        self.assertEqual(inb["retrans_segs"], segs_b)
        self.assertEqual(out["bytes"], LOSS_BYTES)
        self.assertEqual((out["handshakes"], inb["handshakes"]), (1, 1))

    def test_no_payload_no_figures(self):
        """A connection without a byte either way is counted, and its close adds
        nothing to its flow: no handshake, no RTT (docs/PERFORMANCE.md: what a
        flow update at every such close costs)."""
        probe = Ebpflow("-o", "json", "-i", "1")
        try:
            got, spid = self.transfer(PORT_EMPTY, EMPTY_CONNS, 0)
        finally:
            probe.stop()
        records = probe.records()
        for f in (health(records, got["pid"], "outbound", PORT_EMPTY),
                  health(records, spid, "inbound", PORT_EMPTY)):
            self.assertEqual((f["count"], f["bytes"], f["failed"], f["handshakes"],
                              f["rtt_samples"], f["retrans_segs"]),
                             (EMPTY_CONNS, 0, 0, 0, 0, 0), f)

    def test_connections_hash_full(self):
        """With the connections hash full (its 262,144 entries, as on a host with
        that many live connections), a connection is still followed to its
        close where socket storage takes the overflow (Linux 5.11, every tier
        but kprobe), and counted as unfollowed, its bytes lost, where nothing
        can."""
        probe = Ebpflow("-o", "json", "-i", "1")
        try:
            self.assertGreater(testlib.fill_bpf_map(probe.proc.pid, "conn_hash"), 0)
            got, spid = self.transfer(PORT_FULL, CLEAN_CONNS, 1000)
        finally:
            probe.stop()
        records = probe.records()
        unfollowed = max(s["connections_unfollowed"] for s in probe.stats())
        out = health(records, got["pid"], "outbound", PORT_FULL)
        inb = health(records, spid, "inbound", PORT_FULL)
        # socket storage: tracing programs may use it from 5.11, kprobes never
        release = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
        if probe.tier == "kprobe" or release < (5, 11):
            self.assertGreaterEqual(unfollowed, CLEAN_CONNS)
            self.assertEqual((out["count"], out["bytes"], inb["count"], inb["bytes"]),
                             (CLEAN_CONNS, 0, CLEAN_CONNS, 0))
            return
        self.assertEqual(unfollowed, 0)
        for f in (out, inb):
            self.assertEqual((f["count"], f["bytes"], f["handshakes"], f["rtt_samples"]),
                             (CLEAN_CONNS, CLEAN_CONNS * 1000, CLEAN_CONNS, CLEAN_CONNS), f)

    def test_failures(self):
        a, b = self.hosts.a, self.hosts.b
        run("ip", "netns", "exec", a, "sysctl", "-q", "net.ipv4.tcp_syn_retries=1")
        run("ip", "netns", "exec", b, "nft", "add table inet ebpflow_syn")
        run("ip", "netns", "exec", b, "nft",
            "add chain inet ebpflow_syn in { type filter hook input priority 0 ; }")
        run("ip", "netns", "exec", b, "nft",
            f"add rule inet ebpflow_syn in tcp dport {PORT_SYN} tcp flags syn drop")
        probe = Ebpflow("-o", "json", "-i", "1")
        try:
            got = self.client(FAILER, self.server_ip, PORT_SYN, PORT_CLOSED, TIMED_OUT,
                              REFUSED)
            time.sleep(1)
        finally:
            probe.stop()
        records = probe.records()
        errno_timedout, errno_refused = 110, 111
        self.assertEqual(sorted(got["errs"][:TIMED_OUT + REFUSED]),
                         sorted([errno_timedout] * TIMED_OUT + [errno_refused] * REFUSED))
        syn = health(records, got["pid"], "outbound", PORT_SYN)
        closed = health(records, got["pid"], "outbound", PORT_CLOSED)
        # the one we closed ourselves before any answer is "other"
        self.assertEqual((syn["count"], syn["failed"], syn["failed_timeout"],
                          syn["failed_refused"], syn["failed_other"]),
                         (TIMED_OUT + 1, TIMED_OUT + 1, TIMED_OUT, 0, 1))
        self.assertEqual((closed["count"], closed["failed"], closed["failed_refused"],
                          closed["failed_timeout"], closed["failed_other"]),
                         (REFUSED, REFUSED, REFUSED, 0, 0))
        for f in (syn, closed):
            self.assertEqual((f["handshakes"], f["rtt_samples"], f["retrans_segs"]), (0, 0, 0))

    def test_delay(self):
        """netem delay on both ends: the handshake and the RTT are twice the
        delay, within 40% above (the kernel's own processing, a slow guest); the
        RTT may hold a delayed ACK too."""
        if not netem_available(self.hosts):
            self.skipTest("no netem qdisc here (this host's kernel has no sch_netem); "
                          "the kernel matrix's guests run it")
        # neighbours known: a first connection's ARP would cross the delay twice more
        self.hosts_know_each_other()
        probe = Ebpflow("-o", "json", "-i", "1")
        try:
            got, spid = self.transfer(PORT_DELAY, 3, 1000)
        finally:
            probe.stop()
        records = probe.records()
        low, high = 2 * DELAY_MS * 1000, int(2 * DELAY_MS * 1000 * 1.4)
        # an RTT sample may wait for the peer's delayed ACK too (40 ms at least on
        # Linux, TCP_DELACK_MIN): seen in a 6.12 guest, srtt 156 ms for 100 ms of delay
        high_rtt = int((2 * DELAY_MS + 40) * 1000 * 1.4)
        out = health(records, got["pid"], "outbound", PORT_DELAY)
        inb = health(records, spid, "inbound", PORT_DELAY)
        for f in (out, inb):
            self.assertEqual((f["handshakes"], f["rtt_samples"]), (3, 3), f)
            for n, top in (("handshake_us", high), ("rtt_us", high_rtt)):
                self.assertTrue(low <= f[n + "_min"] <= f[n + "_max"] <= top, (n, f))


if __name__ == "__main__":
    unittest.main()
