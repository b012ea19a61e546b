#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The installed tree: `cmake --install` into a staging folder holds the
binaries, the configuration, both man pages and the systemd unit, `man -l`
renders both pages without a warning, and `systemd-analyze security` rates
the unit 2.5 or less."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("EBPFLOW_BUILD_DIR", "build")


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stage = tempfile.mkdtemp(prefix=f"ebpflow-stage-{os.getpid()}-")
        subprocess.run(["cmake", "--install", BUILD, "--prefix", "/usr/local"], check=True,
                       capture_output=True, env=dict(os.environ, DESTDIR=cls.stage))
        cls.root = os.path.join(cls.stage, "usr", "local")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.stage, ignore_errors=True)

    def test_files(self):
        for rel, mode in (("sbin/ebpflow", 0o755), ("bin/ebpflow-collector", 0o755),
                          ("etc/ebpflow/ebpflow.conf", 0o644),
                          ("share/man/man8/ebpflow.8", 0o644),
                          ("share/man/man5/ebpflow.conf.5", 0o644),
                          ("lib/systemd/system/ebpflow.service", 0o644)):
            path = os.path.join(self.root, rel)
            self.assertTrue(os.path.isfile(path), rel)
            self.assertEqual(os.stat(path).st_mode & 0o777, mode, rel)

    def test_man_pages_render(self):
        for page, title in (("man8/ebpflow.8", "EBPFLOW(8)"), ("man5/ebpflow.conf.5", "EBPFLOW.CONF(5)")):
            r = subprocess.run(["man", "--warnings", "-l", os.path.join(self.root, "share/man", page)],
                               capture_output=True, text=True, env=dict(os.environ, MANWIDTH="80"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr, "", page)
            self.assertIn(title, r.stdout)
            self.assertIn("SEE ALSO", r.stdout)
            self.assertNotIn("@", r.stdout.replace("user@", ""), "an unsubstituted @VARIABLE@")

    def test_unit(self):
        with open(os.path.join(self.root, "lib/systemd/system/ebpflow.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/local/sbin/ebpflow --config /usr/local/etc/ebpflow/ebpflow.conf", unit)
        self.assertIn("ExecReload=/bin/kill -HUP $MAINPID", unit)
        self.assertIn("CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN", unit)
        self.assertIn("NoNewPrivileges=yes", unit)
        for line in ("Type=notify", "User=ebpflow",
                     "AmbientCapabilities=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_SYS_RESOURCE"):
            self.assertIn(f"\n{line}\n", unit)

    def test_unit_exposure(self):
        """The installed unit's sandbox, as systemd-analyze rates it offline."""
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed (package systemd)")
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", f"--root={self.stage}",
                            "ebpflow.service"], capture_output=True, text=True)
        m = re.search(r"Overall exposure level for ebpflow.service: ([0-9.]+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        self.assertLessEqual(float(m.group(1)), 2.5, r.stdout)

    def test_installed_config_checks(self):
        conf = os.path.join(self.root, "etc/ebpflow/ebpflow.conf")
        r = subprocess.run([os.path.join(self.root, "sbin/ebpflow"), "-c", conf, "--check-config"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
