#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The exporter under valgrind for a short session with real work (TCP and
UDP flows, IPFIX to a collector, a process exit, a SIGHUP): no memory error,
nothing definitely lost. tests/valgrind.supp holds the one false alarm
(valgrind's model of bpf(2) attributes in libbpf's calls)."""
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import BUILD_DIR, EBPFLOW, Collector, port_base  # noqa: E402

P = port_base(13)
WL = os.path.join(BUILD_DIR, "tests", "ebpflow-wl")
SUPP = os.path.join(os.path.dirname(__file__), "..", "valgrind.supp")


class Valgrind(unittest.TestCase):
    def test_short_session_is_clean(self):
        testlib.require_kernel_privileges()
        if shutil.which("valgrind") is None:
            if os.environ.get("CI") == "true":
                self.fail("valgrind must run in CI")
            self.skipTest("valgrind is not installed")
        collector = Collector(P)
        vg = subprocess.Popen(["valgrind", f"--suppressions={SUPP}", "--error-exitcode=99",
                               "--leak-check=full", "--errors-for-leak-kinds=definite",
                               EBPFLOW, "-o", "json", "-i", "1", "--template-refresh", "2",
                               "--collector", f"127.0.0.1:{P}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        early = ""
        try:
            # valgrind is slow to load it (over 10 s on a busy 2-CPU host): wait
            # until it watches rather than for a fixed time
            deadline = time.monotonic() + 120
            while "watching" not in early and time.monotonic() < deadline:
                r, _, _ = select.select([vg.stderr], [], [], 1)
                if r:
                    early += os.read(vg.stderr.fileno(), 65536).decode()
            self.assertIn("watching", early)
            srv = subprocess.Popen([WL, "tcp-server", "127.0.0.1", str(P + 1), "5"],
                                   stdout=subprocess.PIPE, text=True)
            srv.stdout.readline()
            subprocess.run([WL, "tcp-client", "127.0.0.1", str(P + 1), "5", "10"], check=True,
                           capture_output=True)
            srv.communicate(timeout=20)
            userv = subprocess.Popen([WL, "udp-server", "127.0.0.1", str(P + 2), "7"],
                                     stdout=subprocess.PIPE, text=True)
            userv.stdout.readline()
            subprocess.run([WL, "udp-client", "127.0.0.1", str(P + 2), "7", "10", "sendto"],
                           check=True, capture_output=True)
            userv.communicate(timeout=20)
            time.sleep(3)
            vg.send_signal(signal.SIGHUP)
            time.sleep(2)
        finally:
            vg.send_signal(signal.SIGTERM)
            out, err = vg.communicate(timeout=120)
            err = early + err
            collector.records()
        self.assertEqual(vg.returncode, 0, err[-3000:])
        self.assertRegex(err, r"ERROR SUMMARY: 0 errors from 0 contexts")
        self.assertRegex(err, r"definitely lost: 0 bytes in 0 blocks|no leaks are possible")
        counts = {}
        for line in out.splitlines():
            if '"dport"' in line:
                r = __import__("json").loads(line)
                counts[(r["dport"], r["direction"])] = counts.get((r["dport"], r["direction"]), 0) + r["count"]
        self.assertEqual(counts.get((P + 1, "outbound")), 5)
        self.assertEqual(counts.get((P + 2, "inbound")), 7)


if __name__ == "__main__":
    unittest.main(verbosity=2)
