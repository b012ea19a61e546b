#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Start-up, as root: SIGHUPs sent while the programs load do not kill
eBPFlow; the reload is done once it runs."""
import os
import select
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import EBPFLOW  # noqa: E402


def setUpModule():
    testlib.require_kernel_privileges()


class Daemon:
    """eBPFlow started by a command of ours; its log read as it goes."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log = ""

    def read(self, timeout):
        r, _, _ = select.select([self.proc.stderr], [], [], timeout)
        if r:
            self.log += os.read(self.proc.stderr.fileno(), 65536).decode()
        return bool(r)

    def wait_for(self, text, timeout=20):
        deadline = time.monotonic() + timeout
        while text not in self.log:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.read(0.1)
                raise AssertionError(f"'{text}' not in the log: {self.log}")
            self.read(min(left, 0.5))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=60)
        self.log += err.decode()
        return self.proc.returncode


class SignalsTest(unittest.TestCase):
    def test_sighup_during_startup(self):
        d = Daemon([EBPFLOW, *testlib.hooks_args(), "-o", "none", "-i", "1"])
        try:
            # its first word: the configuration is read, the kernel is being probed
            d.read(10)
            hups = 0
            while "watching" not in d.log and d.proc.poll() is None:
                d.proc.send_signal(signal.SIGHUP)
                hups += 1
                d.read(0.005)
            self.assertIsNone(d.proc.poll(), d.log)
            self.assertGreater(hups, 0)
            time.sleep(1.5)  # the loop runs: the reload is done then
        finally:
            rc = d.stop()
        self.assertEqual(rc, 0, d.log)
        self.assertIn("watching", d.log)
        self.assertIn("SIGHUP: reading the configuration again", d.log)
        self.assertIn("at exit:", d.log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
