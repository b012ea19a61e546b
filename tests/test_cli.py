#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The command line as a user meets it: help, version, and usage errors that
name the flag and exit 2 before anything is loaded (no root needed)."""
import os
import subprocess
import tempfile
import unittest

EBPFLOW = os.path.join(os.environ.get("EBPFLOW_BUILD_DIR", "build"), "ebpflow")


def run(*args):
    return subprocess.run([EBPFLOW, *args], capture_output=True, text=True, timeout=10)


class Cli(unittest.TestCase):
    def test_help(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: ebpflow", r.stdout)
        self.assertIn("Examples:", r.stdout)
        for flag in ("--output", "--interval", "--duration", "--idle-timeout",
                     "--active-timeout", "--map-size", "--collector", "--ipfix-file",
                     "--template-refresh", "--observation-domain", "--pen", "--ie-profile"):
            self.assertIn(flag, r.stdout)

    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^ebpflow \d+\.\d+\.\d+\n$")

    def test_usage_errors_exit_2(self):
        cases = [
            (["--bogus"], "unknown option '--bogus'"),
            (["-i", "0"], "--interval: 0 is out of range (1-3600)"),
            (["--duration", "soon"], "--duration: 'soon' is not a whole number"),
            (["-o", "xml"], "--output: unknown mode 'xml'"),
            (["--map-size"], "--map-size needs a value"),
            (["--collector", "no-such-host.invalid:4739"], "collector 'no-such-host.invalid:4739': cannot resolve"),
            (["--collector", "127.0.0.1"], "collector '127.0.0.1' is not HOST:PORT"),
            (["--collector", "::1:4739"], "an IPv6 address goes in brackets"),
            (["--collector", "127.0.0.1:70000"], "port 70000 is out of range (1-65535)"),
            (["--ipfix-file", "/nonexistent-dir/x.ipfix"], "IPFIX file '/nonexistent-dir/x.ipfix': No such file or directory"),
            (["--ie-profile", "nprobe"], "--ie-profile: unknown profile 'nprobe'"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 2)
                self.assertIn(message, r.stderr)
                self.assertEqual(r.stdout, "")
                # nothing was loaded: no BPF message, no 'attached'
                self.assertNotIn("attached", r.stderr)


class ConfigFile(unittest.TestCase):
    """ebpflow.conf mistakes: file, line, key and what is allowed; exit 2; nothing loaded."""

    def conf(self, text, mode=0o600):
        fd, path = tempfile.mkstemp(prefix=f"ebpflow-cli-{os.getpid()}-", suffix=".conf")
        os.write(fd, text.encode())
        os.close(fd)
        os.chmod(path, mode)
        self.addCleanup(os.unlink, path)
        return path

    def test_check_config_ok(self):
        path = self.conf("[output]\nmode = none\n[ipfix]\ncollectors = 127.0.0.1:9995\n")
        r = run("-c", path, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"ebpflow: configuration OK ({path})\n")

    def test_shipped_file(self):
        r = run("--config", os.path.join(os.path.dirname(__file__), "..", "config", "ebpflow.conf"),
                "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_errors_exit_2(self):
        cases = [
            ("[flows]\nidle_timeout = -1\n", ":2: [flows] idle_timeout: '-1' is not a whole number"),
            ("[ipfix]\n\ncollectors = no-such-host.invalid:4739\n",
             "collector 'no-such-host.invalid:4739': cannot resolve"),
            ("[output]\nmood = json\n", ":2: [output] mood: unknown key"),
        ]
        for text, message in cases:
            with self.subTest(text=text):
                path = self.conf(text)
                for extra in ([], ["--check-config"]):
                    r = run("-c", path, *extra)
                    self.assertEqual(r.returncode, 2, r.stderr)
                    self.assertIn(message, r.stderr)
                    self.assertNotIn("attached", r.stderr)

    def test_writable_file_refused(self):
        path = self.conf("[output]\nmode = json\n", 0o666)
        r = run("-c", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn("is writable by everyone: refusing it", r.stderr)

    def test_missing_file(self):
        r = run("-c", "/nonexistent/ebpflow.conf")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/ebpflow.conf", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
