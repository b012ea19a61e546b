#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A flood of new flows by one user cannot erase another user's flow (issue 25,
finding 2), as root. In a network namespace of ours, user A makes one flow of 3
sends, then user B makes FLOOD one-datagram flows (five times the flow map),
all before eBPFlow's first reading. A's flow must be exported whole; B's calls
all counted, the flows over its budget folded into its overflow flow; and the
accounting must name B with the exact number of calls folded, nothing lost.
Both users are uids nobody else has, derived from our pid; a [filter] keeps
the rest of the host out of the small map."""
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import Ebpflow, Workload, port_base, run  # noqa: E402

MAP = 1024                 # --map-size's minimum
BUDGET = MAP // 8          # --uid-flow-budget's default
FLOOD = 5 * MAP
UID_A = 200000 + (os.getpid() % 100000) * 2
UID_B = UID_A + 1
P_A = port_base(0)
P_B = 60000 - FLOOD - (os.getpid() % 1000)  # FLOOD ports of their own


class AsUid(Workload):
    """ebpflow-wl in our namespace as `uid` (a uid no account has)."""

    def __init__(self, netns, uid, args):
        cmd = ["ip", "netns", "exec", netns, "setpriv", f"--reuid={uid}", f"--regid={uid}",
               "--clear-groups", self.binary(), *map(str, args)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        testlib._STARTED.append(self.proc)
        self.ready = self._line("ready")
        self.pid = self.ready["pid"]
        self.done = None


def setUpModule():
    testlib.require_kernel_privileges()


class FloodTest(unittest.TestCase):
    def setUp(self):
        self.ns = f"ebpflow{os.getpid()}f"
        run("ip", "netns", "add", self.ns)
        self.addCleanup(subprocess.run, ["ip", "netns", "del", self.ns], stderr=subprocess.DEVNULL)
        run("ip", "-n", self.ns, "link", "set", "lo", "up")
        self.addCleanup(Workload.cleanup)
        conf = tempfile.NamedTemporaryFile("w", prefix=f"ebpflow-flood-{os.getpid()}-",
                                           suffix=".conf", delete=False)
        conf.write(f"[filter]\nusers = {UID_A}, {UID_B}\n")
        conf.close()
        self.addCleanup(os.unlink, conf.name)
        self.conf = conf.name

    def test_flood_cannot_erase_a_flow(self):
        probe = Ebpflow("-c", self.conf, "-o", "json", "-i", "10", "--map-size", str(MAP))
        try:
            a = AsUid(self.ns, UID_A, ["udp-client", "127.0.0.1", P_A, 3, 0, "sendto"]).wait()
            b = AsUid(self.ns, UID_B, ["udp-spray", "127.0.0.1", P_B, FLOOD, FLOOD]).wait(120)
        finally:
            probe.stop(timeout=120)
        self.assertEqual(a.done["ok"], 3)
        recs = probe.records()
        mine = [r for r in recs if r["uid"] == UID_A]
        self.assertEqual(sum(r["count"] for r in mine), 3, probe.stderr[-2000:])
        self.assertEqual({(r["pid"], r["dport"], r["direction"], r["proto"]) for r in mine},
                         {(a.pid, P_A, "outbound", "UDP")})

        flood = [r for r in recs if r["uid"] == UID_B]
        folded = [r for r in flood if r.get("overflow")]
        kept = [r for r in flood if not r.get("overflow")]
        self.assertEqual(sum(r["count"] for r in flood), FLOOD)
        self.assertEqual(sorted(r["dport"] for r in kept), list(range(P_B, P_B + BUDGET)))
        self.assertEqual({r["count"] for r in kept}, {1})
        self.assertEqual(sum(r["count"] for r in folded), FLOOD - BUDGET)
        self.assertEqual({(r["pid"], r["dport"], r["saddr"], r["daddr"]) for r in folded},
                         {(0, 0, "0.0.0.0", "0.0.0.0")})

        last = probe.stats()[-1]
        self.assertEqual(last["calls_lost"], 0)
        self.assertEqual(last["flows_evicted"], 0)
        self.assertEqual(last["calls_folded"], FLOOD - BUDGET)
        self.assertEqual(last["uids"], [{"uid": UID_B, "calls_folded": FLOOD - BUDGET,
                                         "calls_refused": 0, "flows_unread": 0}])
        self.assertIn(f"uid {UID_B}: {FLOOD - BUDGET} calls folded, 0 refused", probe.stderr)

    def test_budget_is_freed_as_flows_go(self):
        """B's flows removed from the map free its budget: after BUDGET - 28 flows
        ended (their process exited), as many new ones are kept whole, none folded.
        Without what eBPFlow writes back after each pass, the second batch would
        go over the budget."""
        n = BUDGET - 28
        probe = Ebpflow("-c", self.conf, "-o", "json", "-i", "1", "--map-size", str(MAP))
        try:
            AsUid(self.ns, UID_B, ["udp-spray", "127.0.0.1", P_B, n, n]).wait()
            for port in range(P_B, P_B + n):
                probe.wait_for(lambda r, port=port: r["uid"] == UID_B and r["dport"] == port)
            # removed a pass after their end; the pass after that no longer reads them
            time.sleep(3.5)
            AsUid(self.ns, UID_B, ["udp-spray", "127.0.0.1", P_B + n, n, n]).wait()
        finally:
            probe.stop(timeout=120)
        flood = [r for r in probe.records() if r["uid"] == UID_B]
        self.assertEqual([r for r in flood if r.get("overflow")], [])
        self.assertEqual(sorted(r["dport"] for r in flood), list(range(P_B, P_B + 2 * n)))
        self.assertEqual(probe.stats()[-1]["calls_folded"], 0)

    def test_unread_evictions_are_counted_and_named(self):
        """With no budget (--uid-flow-budget at --map-size), the same flood evicts
        flows before any reading: the warning counts them and names B."""
        probe = Ebpflow("-c", self.conf, "-o", "json", "-i", "10", "--map-size", str(MAP),
                        "--uid-flow-budget", str(MAP))
        try:
            AsUid(self.ns, UID_A, ["udp-client", "127.0.0.1", P_A, 3, 0, "sendto"]).wait()
            AsUid(self.ns, UID_B, ["udp-spray", "127.0.0.1", P_B, FLOOD, FLOOD]).wait(120)
        finally:
            probe.stop(timeout=120)
        last = probe.stats()[-1]
        read = len({(r["pid"], r["dport"]) for r in probe.records()})
        self.assertEqual(last["kernel_calls"], 3 + FLOOD)
        # every flow made (FLOOD + 1) was read once, or evicted unread
        self.assertEqual(last["flows_unread"], FLOOD + 1 - read)
        self.assertEqual(last["flows_evicted"], FLOOD + 1 - read)
        unread_b = last["flows_unread"] - sum(u["flows_unread"] for u in last["uids"]
                                              if u["uid"] == UID_A)
        self.assertIn({"uid": UID_B, "calls_folded": 0, "calls_refused": 0,
                       "flows_unread": unread_b}, last["uids"])
        self.assertIn(f"{last['flows_evicted']} flows evicted before they were read, "
                      f"{last['flows_unread']} of them never read", probe.stderr)


if __name__ == "__main__":
    unittest.main()
