#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Reliability, as root. Exact counts under load: 1,000,000 UDP sends over
1,000 flows from 4 processes and 100,000 TCP connects (and as many accepts)
from 2 more, on both CPUs, exported to ebpflow-collector: per flow and in
total the exported counts are the calls made. Churn: 2,000 short-lived
processes, each its own flows. And after start eBPFlow holds no capability."""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import BUILD_DIR, Collector, Ebpflow, port_base  # noqa: E402

WL = os.path.join(BUILD_DIR, "tests", "ebpflow-wl")
P = port_base(12)
UDP_PROCS, UDP_PORTS, UDP_SENDS = 4, 250, 250000  # per process
TCP_PROCS, TCP_CONNECTS = 2, 50000
CHURN = 2000


def setUpModule():
    testlib.require_kernel_privileges()


start = testlib.start_workload
udp_pair = testlib.udp_pair


class LoadTest(unittest.TestCase):
    def test_exact_counts_under_load(self):
        collector = Collector(P)
        probe = Ebpflow("-o", "none", "-i", "1", "--collector", f"127.0.0.1:{P}")
        try:
            t0 = time.monotonic()
            udp = [start("udp-spray", "127.0.0.1", P + 10 + i * UDP_PORTS, UDP_PORTS, UDP_SENDS)
                   for i in range(UDP_PROCS)]
            tcp = [start("tcp-loop", "127.0.0.1", P + 1 + i, TCP_CONNECTS) for i in range(TCP_PROCS)]
            for p in udp + tcp:
                p.communicate(timeout=300)
                self.assertEqual(p.returncode, 0)
            elapsed = time.monotonic() - t0
            time.sleep(1.5)
        finally:
            probe.stop(timeout=120)
            time.sleep(0.5)
            recs = [r for r in collector.records() if "processId" in r]
        per = {}
        if os.environ.get("EBPFLOW_DEBUG"):
            print(probe.stderr, len(recs), collector.stderr[-3000:], file=sys.stderr)
        for r in recs:
            k = (r["processId"], r["destinationTransportPort"], r["flowDirection"], r["protocolIdentifier"])
            per[k] = per.get(k, 0) + r["callDeltaCount"]
        total_udp = 0
        for i, p in enumerate(udp):
            for port in range(P + 10 + i * UDP_PORTS, P + 10 + (i + 1) * UDP_PORTS):
                got = per.get((p.pid_reported, port, 1, 17), 0)
                self.assertEqual(got, UDP_SENDS // UDP_PORTS, f"pid {p.pid_reported} port {port}")
                total_udp += got
        self.assertEqual(total_udp, UDP_PROCS * UDP_SENDS)
        for i, p in enumerate(tcp):
            for direction in (1, 0):  # connects, accepts
                self.assertEqual(per.get((p.pid_reported, P + 1 + i, direction, 6), 0), TCP_CONNECTS)
        self.assertIn(", 0 lost", probe.stderr)
        print(f"\n{UDP_PROCS * UDP_SENDS} UDP sends and {TCP_PROCS * TCP_CONNECTS} TCP connects "
              f"and accepts in {elapsed:.1f} s: exported exactly", file=sys.stderr)

    def test_churn_of_short_processes(self):
        probe = Ebpflow("-o", "json", "-i", "1")
        try:
            srv = start("udp-server", "127.0.0.1", P + 5, CHURN * 3)
            pids = []
            for _ in range(CHURN):
                out = subprocess.run([WL, "udp-client", "127.0.0.1", str(P + 5), "3", "0", "sendto"],
                                     capture_output=True, text=True, check=True).stdout
                pids.append(int(out.split("pid=")[1].split()[0]))
            srv.communicate(timeout=60)
            time.sleep(1.5)
        finally:
            probe.stop(timeout=60)
        out = [r for r in probe.records() if r["dport"] == P + 5 and r["direction"] == "outbound"]
        by_pid = {}
        for r in out:
            by_pid.setdefault(r["pid"], []).append(r)
        self.assertEqual(sum(r["count"] for r in out), CHURN * 3)
        # one flow per process, three calls each, ended with its process
        for pid in pids:
            self.assertEqual([(r["count"], r["end_reason"]) for r in by_pid[pid]], [(3, "end")])
        inb = [r for r in probe.records() if r["dport"] == P + 5 and r["direction"] == "inbound"]
        self.assertEqual(sum(r["count"] for r in inb), CHURN * 3)

    def test_no_capability_once_attached(self):
        probe = Ebpflow("-o", "none")
        try:
            with open(f"/proc/{probe.proc.pid}/status") as f:
                status = dict(line.split(":\t", 1) for line in f if ":\t" in line)
        finally:
            probe.stop()
        for cap in ("CapEff", "CapPrm", "CapBnd"):
            self.assertEqual(int(status[cap].strip(), 16), 0, f"{cap} = {status[cap]}")
        self.assertEqual(status["NoNewPrivs"].strip(), "1")
        self.assertIn("dropped every capability", probe.stderr)


class CollectorFaultTest(unittest.TestCase):
    def test_collector_killed_and_restarted(self):
        """Killed, eBPFlow goes on (losses counted); restarted, it gets current
        flows after one template refresh."""
        port = P + 6
        first = Collector(port)
        probe = Ebpflow("-o", "json", "-i", "1", "--template-refresh", "2",
                        "--collector", f"127.0.0.1:{port}")
        try:
            _, a = udp_pair(P + 7, 3)
            time.sleep(1.5)
            before = first.records()  # killed here
            _, b = udp_pair(P + 8, 4)  # while no collector listens
            time.sleep(2.5)
            second = Collector(port)
            time.sleep(2.5)            # a template refresh reaches it
            _, c = udp_pair(P + 9, 5)
            time.sleep(1.5)
        finally:
            probe.stop()
            time.sleep(0.5)
            after = second.records()
        calls = testlib.ipfix_calls
        if os.environ.get("EBPFLOW_DEBUG"):
            print(probe.stderr, [r for r in probe.records() if r["pid"] in (a, b, c)],
                  [(r.get("processId"), r.get("flowEndMilliseconds")) for r in before], file=sys.stderr)
        self.assertEqual(calls(before, a), 3)
        if os.environ.get("EBPFLOW_DEBUG"):
            print(probe.stderr, after[:3], second.stderr, file=sys.stderr)
        self.assertEqual(calls(after, c), 5)
        self.assertEqual(probe.returncode, 0)
        self.assertIn("counted as lost until it recovers", probe.stderr)
        # JSON has every flow, the ones the collectors missed too
        self.assertEqual(sum(r["count"] for r in probe.records() if r["pid"] in (a, b, c)), 12)
        self.assertGreater(probe.stats()[-1]["ipfix_messages_lost"], 0)

    def test_ipfix_file_on_a_full_disk(self):
        """A full disk: a clear error, counted; the flows still go elsewhere."""
        import shutil
        import tempfile
        mnt = tempfile.mkdtemp(prefix=f"ebpflow-full-{os.getpid()}-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", mnt], check=True)
        try:
            probe = Ebpflow("-o", "json", "-i", "1", "--template-refresh", "1",
                            "--ipfix-file", f"{mnt}/flows.ipfix")
            try:
                srv = start("udp-server", "127.0.0.1", P + 3, 200 * 3)
                for i in range(200):  # 200 flows: more records than 12 KiB hold
                    subprocess.run([WL, "udp-client", "127.0.0.1", str(P + 3), "3", "0", "sendto"],
                                   check=True, capture_output=True)
                srv.communicate(timeout=30)
                time.sleep(2.5)
            finally:
                probe.stop()
        finally:
            subprocess.run(["umount", mnt])
            shutil.rmtree(mnt, ignore_errors=True)
        self.assertEqual(probe.returncode, 0)
        self.assertEqual(probe.stderr.count(f"IPFIX file {mnt}/flows.ipfix: No space left on device"),
                         1, probe.stderr)
        self.assertEqual(sum(r["count"] for r in probe.records() if r["dport"] == P + 3
                             and r["direction"] == "outbound"), 600)


if __name__ == "__main__":
    unittest.main(verbosity=2)
