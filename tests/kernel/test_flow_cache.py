#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The kernel's per-CPU flow cache (bpf/fcache.bpf.h), as root on loopback:
calls that a CPU adds in its slot reach the flows exactly, whichever way they
leave it: a call on another flow of the same CPU, the flush eBPFlow runs on
every CPU before each read of the map (also while the calls go on: the flush
then interrupts the programs it must not disturb), and the last one at exit.

Each sender is a child pinned to one CPU, so that its calls meet one slot;
the receivers run in it too (a receive has a slot of its own)."""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import Ebpflow, port_base  # noqa: E402

P = port_base(23)

# A child that sends bursts of datagrams to the ports named, one burst after
# another (a burst: COUNT sends to PORT, each received at once), pinned to CPU;
# or, with a duration instead of bursts, as many as it can to one port for that
# long. It prints its pid first, and the number of calls it made at the end.
CHILD = r"""
import os, socket, sys, time
cpu, mode = int(sys.argv[1]), sys.argv[2]
os.sched_setaffinity(0, {cpu})
print(os.getpid(), flush=True)
out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ins = {}
def rx(port):
    if port not in ins:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        ins[port] = s
    return ins[port]
made = 0
if mode == "bursts":
    for spec in sys.argv[3:]:
        port, count, size = map(int, spec.split(":"))
        r = rx(port)
        for _ in range(count):
            out.sendto(b"x" * size, ("127.0.0.1", port))
            r.recvfrom(2048)
            made += 1
else:
    port, seconds = int(sys.argv[3]), float(sys.argv[4])
    r = rx(port)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(100):
            out.sendto(b"y" * 5, ("127.0.0.1", port))
            r.recvfrom(2048)
        made += 100
print(made, flush=True)
"""


def child(*args):
    """Run the child to its end; (pid, calls made)."""
    p = subprocess.Popen([sys.executable, "-c", CHILD, *map(str, args)],
                         stdout=subprocess.PIPE, text=True)
    pid = int(p.stdout.readline())
    made = int(p.stdout.readline())
    p.wait(timeout=60)
    p.stdout.close()
    return pid, made


def totals(records, pid, direction, port):
    rs = [r for r in records
          if r["pid"] == pid and r["direction"] == direction and r["dport"] == port
          and r["proto"] == "UDP"]
    return sum(r["count"] for r in rs), sum(r["bytes"] for r in rs), rs


BURSTS = [(P, 7, 11), (P + 1, 5, 13), (P, 9, 11), (P + 1, 1, 13), (P, 1, 11), (P + 1, 300, 13)]
RUN = {}


def setUpModule():
    """One eBPFlow (an emulated guest takes long to start one) for both workloads:
    the bursts, then the streams; a pass and a report of every flow each second."""
    testlib.require_kernel_privileges()
    RUN["t0"] = int(time.time() * 1000)
    probe = Ebpflow("-o", "json", "-i", "1", "--active-timeout", "1")
    try:
        # each burst's first call takes the slot from the other flow's calls
        RUN["bursts"] = child(0, "bursts", *(f"{p}:{n}:{s}" for p, n, s in BURSTS))
        RUN["t1"] = int(time.time() * 1000)
        # two children call as fast as they can, each on its CPU: every flush
        # meets programs in their slots
        cpus = sorted(os.sched_getaffinity(0))[:2]
        procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(c), "stream",
                                   str(P + 2 + i), "2.5"], stdout=subprocess.PIPE, text=True)
                 for i, c in enumerate(cpus)]
        pids = [int(p.stdout.readline()) for p in procs]
        made = [int(p.stdout.readline()) for p in procs]
        for p in procs:
            p.wait(timeout=60)
            p.stdout.close()
        RUN["streams"] = list(zip(pids, made))
        time.sleep(1.5)
    finally:
        probe.stop()
    RUN["probe"] = probe
    RUN["records"] = probe.records()


class FlowCacheTest(unittest.TestCase):
    def test_the_kernel_runs_the_flush(self):
        self.assertNotIn("will not run the flow cache", RUN["probe"].stderr)
        self.assertIn("0 lost", RUN["probe"].stderr)

    def test_bursts_on_two_flows_of_one_cpu(self):
        pid, made = RUN["bursts"]
        self.assertEqual(made, sum(n for _, n, _ in BURSTS))
        for port, size in ((P, 11), (P + 1, 13)):
            n = sum(c for p, c, _ in BURSTS if p == port)
            for direction in ("outbound", "inbound"):
                count, nbytes, rs = totals(RUN["records"], pid, direction, port)
                self.assertEqual((count, nbytes), (n, n * size), f"{direction} {port}: {rs}")
                self.assertGreaterEqual(min(r["first_ms"] for r in rs), RUN["t0"])
                # the last call's time is the clock at the first call of its tick,
                # never after the call
                self.assertLessEqual(max(r["last_ms"] for r in rs), RUN["t1"])
                self.assertEqual(rs[0]["comm"], "python3")

    def test_flushed_while_calls_go_on_on_both_cpus(self):
        for i, (pid, n) in enumerate(RUN["streams"]):
            self.assertGreater(n, 1000)
            for direction in ("outbound", "inbound"):
                count, nbytes, rs = totals(RUN["records"], pid, direction, P + 2 + i)
                self.assertEqual((count, nbytes), (n, 5 * n), f"{direction}: {rs}")
                # reported while they went on (active timeout), not at the end only
                self.assertGreaterEqual(len([r for r in rs if r["end_reason"] == "active"]), 1,
                                        rs)


if __name__ == "__main__":
    unittest.main()
