#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""--hooks on the running kernel: each tier either runs and says so in its
first log lines, or is refused before anything is attached, with exit 2 and
the reason; auto runs the best tier this kernel offers (fentry, then kprobe,
then tracepoint). Where the kernel is known (the kernel matrix sets
EBPFLOW_EXPECT_TIERS, e.g. "fentry,kprobe" for Debian 12's 6.1), the tiers
offered must be exactly those.
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402

TIERS = ["fentry", "kprobe", "tracepoint"]
RELEASE = os.uname().release


def run(*args):
    return subprocess.run([testlib.EBPFLOW, *args, "-o", "none", "--duration", "1"],
                          capture_output=True, text=True, timeout=120)


class Tiers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        testlib.require_kernel_privileges()
        # the kernel's log from here on: what loading each tier made it say
        kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        try:
            os.lseek(kmsg, 0, os.SEEK_END)
            cls.runs = {t: run("--hooks", t) for t in TIERS}
            cls.kernel_said = []
            while True:
                try:
                    cls.kernel_said.append(os.read(kmsg, 8192).decode(errors="replace"))
                except BlockingIOError:
                    break
                except BrokenPipeError:
                    continue  # records overwritten while read: the next one follows
        finally:
            os.close(kmsg)
        cls.offered = [t for t in TIERS if cls.runs[t].returncode == 0]

    def test_no_tier_makes_the_kernel_warn(self):
        # Debian 11's 5.10 warned (a WARNING with its stack) for a kprobe program
        # using a hash map that allocates as it runs: where panic_on_warn is set,
        # that stops the host
        warned = [m for m in self.kernel_said
                  if "WARNING:" in m or "cut here" in m or "run-time allocation" in m]
        self.assertEqual(warned, [], "the kernel warned while eBPFlow loaded its tiers")

    def test_each_tier_runs_or_is_refused_with_the_reason(self):
        for t, r in self.runs.items():
            with self.subTest(tier=t):
                if r.returncode == 0:
                    self.assertIn(f"kernel {RELEASE}: {t} tier", r.stderr)
                    self.assertRegex(r.stderr, r"counting TCP connects")
                    self.assertIn("attached", r.stderr)
                else:
                    self.assertEqual(r.returncode, 2, r.stderr)
                    m = re.search(rf"--hooks {t}: this kernel \({re.escape(RELEASE)}\) cannot run "
                                  r"that tier: (.+)", r.stderr)
                    self.assertIsNotNone(m, r.stderr)
                    self.assertGreater(len(m.group(1)), 10, "the reason is missing")
                    self.assertNotIn("attached", r.stderr)

    def test_check_config_knows_the_tiers(self):
        # --check-config validates what would run: a forced tier this kernel lacks too
        for t in TIERS:
            with self.subTest(tier=t):
                r = subprocess.run([testlib.EBPFLOW, "--hooks", t, "--check-config"],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0 if t in self.offered else 2, r.stderr)
                if t not in self.offered:
                    self.assertIn(f"--hooks {t}: this kernel", r.stderr)

    def test_auto_runs_the_best_tier_offered(self):
        self.assertTrue(self.offered, "no tier runs on this kernel")
        # a kernel the matrix knows must offer exactly what it was seen to offer
        expect = os.environ.get("EBPFLOW_EXPECT_TIERS")
        if expect:
            self.assertEqual(self.offered, expect.split(","))
        r = run()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"kernel {RELEASE}: {self.offered[0]} tier", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
