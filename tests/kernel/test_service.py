#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""eBPFlow run from ebpflow.conf, as root: the filter in the kernel (a workload
that matches is exported, one that does not is not), SIGHUP with a new
collector (new flows go there, none lost), SIGHUP with a broken file (the
running configuration stays)."""
import os
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import Collector, Ebpflow, port_base  # noqa: E402

P = port_base(11)
TMP = None


def setUpModule():
    global TMP
    testlib.require_kernel_privileges()
    TMP = tempfile.mkdtemp(prefix=f"ebpflow-service-{os.getpid()}-")


def tearDownModule():
    import shutil
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def conf(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


udp = testlib.udp_pair


class FilterTest(unittest.TestCase):
    def test_only_matching_flows_are_exported(self):
        path = conf("filter.conf", f"[output]\nmode = json\ninterval = 1\n"
                                   f"[filter]\nports = {P}\nprotocols = udp\n"
                                   f"directions = outbound\n")
        probe = Ebpflow("-c", path)
        try:
            udp(P, 4)          # matches
            udp(P + 1, 6)      # another port: left out
            time.sleep(1.5)
        finally:
            probe.stop()
        recs = probe.records()
        self.assertEqual(sum(r["count"] for r in recs if r["dport"] == P
                             and r["direction"] == "outbound"), 4)
        self.assertEqual([r for r in recs if r["dport"] == P + 1], [])
        # inbound of the matching port is left out too (directions = outbound)
        self.assertEqual([r for r in recs if r["direction"] == "inbound"], [])
        # 4 + 6 sends and as many receives; all but the 4 matching sends filtered
        # (other processes of the host may add calls: they are filtered out too)
        last = probe.stats()[-1]
        self.assertEqual((last["calls_reported"], last["calls_live"], last["calls_lost"]), (4, 0, 0))
        self.assertGreaterEqual(last["calls_filtered"], 16)
        self.assertEqual(last["kernel_calls"], last["calls_filtered"] + 4)
        self.assertIn(f"filtered out, 0 lost", probe.stderr)


    def test_container_filter_counts_as_filtered(self):
        # [filter] containers is applied in user space, before a record is counted:
        # what it leaves out is filtered, never reported
        path = conf("containers.conf", "[output]\nmode = json\ninterval = 1\n"
                                       "[filter]\ncontainers = no-such-container\n")
        probe = Ebpflow("-c", path)
        try:
            _, pid = udp(P + 10, 4)
            time.sleep(1.5)
        finally:
            probe.stop()
        self.assertEqual(probe.records(), [])
        last = probe.stats()[-1]
        self.assertEqual((last["calls_reported"], last["records"], last["calls_live"],
                          last["calls_lost"]), (0, 0, 0, 0))
        self.assertGreaterEqual(last["calls_filtered"], 8)  # 4 sends, 4 receives, and others'
        self.assertEqual(last["kernel_calls"], last["calls_filtered"])


class ReloadTest(unittest.TestCase):
    def test_sighup_new_collector(self):
        first, second = Collector(P + 2), Collector(P + 3)
        path = conf("reload.conf", f"[output]\nmode = json\ninterval = 1\n"
                                   f"[ipfix]\ncollectors = 127.0.0.1:{P + 2}\ntemplate_refresh = 60\n")
        probe = Ebpflow("-c", path)
        try:
            _, before = udp(P + 4, 3)
            time.sleep(1.5)  # its exit reported to the first collector
            with open(path, "w") as f:
                f.write(f"[output]\nmode = json\ninterval = 1\n"
                        f"[ipfix]\ncollectors = 127.0.0.1:{P + 3}\ntemplate_refresh = 60\n")
            probe.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            _, after = udp(P + 5, 5)
            time.sleep(1.5)
        finally:
            probe.stop()
            time.sleep(0.3)
            a, b = first.records(), second.records()
        calls = testlib.ipfix_calls
        self.assertEqual(calls(a, before), 3)
        self.assertEqual(calls(b, after), 5, probe.stderr)
        self.assertEqual(calls(a, after), 0)
        self.assertIn("configuration reloaded; IPFIX outputs replaced", probe.stderr)
        # JSON saw both, and nothing was lost across the reload
        js = probe.records()
        self.assertEqual(sum(r["count"] for r in js if r["pid"] in (before, after)), 8)

    def test_sighup_restart_only_keys_keep_running_values(self):
        # map_size and mode need a restart: said once each, the running values stay
        # (JSON records go on), while the new filter takes effect at once
        path = conf("restart.conf", f"[output]\nmode = json\ninterval = 1\n")
        probe = Ebpflow("-c", path)
        try:
            with open(path, "w") as f:
                f.write(f"[output]\nmode = none\ninterval = 1\n[flows]\nmap_size = 2048\n"
                        f"[filter]\nports = {P + 9}\n")
            probe.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            _, left_out = udp(P + 8, 2)
            _, kept = udp(P + 9, 3)
            time.sleep(1.5)
        finally:
            probe.stop()
        self.assertIn("reload: [output] mode takes effect at restart", probe.stderr)
        self.assertIn("reload: [flows] map_size takes effect at restart", probe.stderr)
        self.assertIn("configuration reloaded\n", probe.stderr)
        recs = probe.records()
        self.assertEqual(sum(r["count"] for r in recs if r["pid"] == kept), 3)
        self.assertEqual([r for r in recs if r["pid"] == left_out], [])

    def test_sighup_broken_file_keeps_running(self):
        collector = Collector(P + 6)
        path = conf("broken.conf", f"[output]\nmode = json\ninterval = 1\n"
                                   f"[ipfix]\ncollectors = 127.0.0.1:{P + 6}\n")
        probe = Ebpflow("-c", path)
        try:
            with open(path, "w") as f:
                f.write("[output]\nmode = json\ninterval = never\n")
            probe.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            _, pid = udp(P + 7, 4)
            time.sleep(1.5)
        finally:
            probe.stop()
            time.sleep(0.3)
            recs = collector.records()
        self.assertIn(f"reload failed, the running configuration stays: {path}:3: [output] "
                      "interval: 'never' is not a whole number (1-3600)", probe.stderr)
        self.assertEqual(testlib.ipfix_calls(recs, pid), 4)
        self.assertEqual(probe.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
