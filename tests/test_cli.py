#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The command line as a user meets it: help, version, and usage errors that
name the flag and exit 2 before anything is loaded (no root needed)."""
import os
import shutil
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
                     "--active-timeout", "--map-size", "--hooks", "--collector", "--ipfix-file",
                     "--template-refresh", "--observation-domain", "--pen", "--ie-profile",
                     "--zmq"):
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
            (["-o", "xml"], "--output: 'xml' is not one of: console, json, none"),
            (["--map-size"], "--map-size needs a value"),
            # a name that does not resolve: --check-config says so (a start goes on and
            # retries it: tests/kernel/test_startup.py)
            (["--collector", "no-such-host.invalid:4739", "--check-config"],
             "collector 'no-such-host.invalid:4739': cannot resolve"),
            (["--collector", "127.0.0.1"], "collector '127.0.0.1' is not HOST:PORT"),
            (["--collector", "::1:4739"], "an IPv6 address goes in brackets"),
            (["--collector", "127.0.0.1:70000"], "port 70000 is out of range (1-65535)"),
            (["--ipfix-file", "/nonexistent-dir/x.ipfix"], "IPFIX file '/nonexistent-dir/x.ipfix': No such file or directory"),
            (["--ie-profile", "nprobe"], "--ie-profile: 'nprobe' is not one of: ebpflow, ntop"),
            # the syntax, or, in a build without libzmq, that it has none: both name it
            (["--zmq", "udp://127.0.0.1:5556"], "--zmq udp://127.0.0.1:5556: "),
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
            ("[flows]\nidle_timeout = -1\n", ":2: [flows] idle_timeout: '-1' is not a whole number",
             True),
            # a start goes on without a collector that does not resolve; --check-config refuses it
            ("[ipfix]\n\ncollectors = no-such-host.invalid:4739\n",
             "collector 'no-such-host.invalid:4739': cannot resolve", False),
            ("[output]\nmood = json\n", ":2: [output] mood: unknown key", True),
            ("[ipfix]\nfile = /tmp/x.ipfix\nfile_rotate_size = 10\n",
             "[ipfix] file_rotate_size: 10 KiB is less than 64 KiB", True),
            # a translation, which GKeyFile used to drop without a word
            ("[output]\ninterval[de] = garbage\n",
             ":2: [output] interval[de]: a translated key (key[locale])", True),
            ("[output]\nmode = none\n\0\ninterval = x\n", ":3: a NUL byte: the file is not text",
             True),
            ("[output]\ninterval = " + "9" * 100000 + "\n",
             ":2: [output] interval: " + "9" * 64 + "... (100000 bytes) is out of range", True),
            ("#\n" * (1 << 20), ": 2097152 bytes, more than a configuration file may have (1 MiB)",
             True),
        ]
        for text, message, at_start in cases:
            with self.subTest(text=text):
                path = self.conf(text)
                for extra in ([], ["--check-config"]) if at_start else (["--check-config"],):
                    r = run("-c", path, *extra)
                    self.assertEqual(r.returncode, 2, r.stderr)
                    self.assertIn(message, r.stderr)
                    self.assertNotIn("attached", r.stderr)
                    self.assertLess(len(r.stderr), 400)

    def test_byte_order_mark_skipped(self):
        path = self.conf("\ufeff[output]\nmode = none\n")
        r = run("-c", path, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_writable_file_refused(self):
        path = self.conf("[output]\nmode = json\n", 0o666)
        r = run("-c", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn("is writable by everyone: refusing it", r.stderr)

    def test_missing_file(self):
        r = run("-c", "/nonexistent/ebpflow.conf")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/ebpflow.conf", r.stderr)


class Spellings(unittest.TestCase):
    """Every spelling getopt accepts works, or exits 2 saying why (the
    exhaustive cases, generated from the table, are in tests/unit/test_cmdline.c).
    --conf FILE and -dc FILE used to run without the file."""

    def setUp(self):
        fd, self.path = tempfile.mkstemp(prefix=f"ebpflow-cli-{os.getpid()}-", suffix=".conf")
        os.write(fd, b"[output]\nmode = none\n")
        os.close(fd)
        os.chmod(self.path, 0o600)
        self.addCleanup(os.unlink, self.path)

    def test_config_file_however_spelled(self):
        for args in (["--conf", self.path], [f"--conf={self.path}"], ["-dc", self.path],
                     [f"-dc{self.path}"], ["-c", self.path], ["--config", self.path]):
            with self.subTest(args=args):
                r = run(*args, "--check")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout, f"ebpflow: configuration OK ({self.path})\n")
            with self.subTest(args=args, missing=True):
                r = run(*[a.replace(self.path, "/nonexistent/x.conf") for a in args],
                        "--check-config")
                self.assertEqual(r.returncode, 2)
                self.assertIn("/nonexistent/x.conf: No such file or directory", r.stderr)
                self.assertEqual(r.stdout, "")

    def test_refused_spellings_exit_2(self):
        cases = [
            (["--d"], "option '--d' is ambiguous (--duration, --docker, --docker-socket)"),
            (["--docker=yes"], "--docker takes no value"),
            (["--check-config=no"], "--check-config takes no value"),
            (["-dZ"], "unknown option '-Z'"),
            (["-di"], "--interval needs a value"),
            (["--int=0"], "--interval: 0 is out of range (1-3600)"),
            (["--hooks", "ebpf"], "--hooks: 'ebpf' is not one of: auto, fentry, kprobe, tracepoint"),
            (["--coll", "no-such-host.invalid:4739", "--check-config"], "cannot resolve"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 2)
                self.assertIn(message, r.stderr)
                self.assertEqual(r.stdout, "")


@unittest.skipUnless(os.geteuid() == 0, "making a file of another user needs root")
class ForeignIpfixFile(unittest.TestCase):
    """An IPFIX file another user (nobody) made beforehand in a directory everyone may
    write into (sticky, as /tmp) is refused, at --check-config and at start, and left
    as it was: taken over, it would stay theirs, and they would read every flow."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=f"ebpflow-cli-{os.getpid()}-")
        os.chmod(self.dir, 0o1777)
        self.path = os.path.join(self.dir, "flows.ipfix")
        with open(self.path, "w") as f:
            f.write("theirs")
        os.chown(self.path, 65534, 65534)
        os.chmod(self.path, 0o644)
        self.addCleanup(shutil.rmtree, self.dir)

    def test_refused(self):
        want = (f"IPFIX file '{self.path}' belongs to user nobody (uid 65534), not to "
                "eBPFlow's user root (uid 0): refused")
        for extra in (["--check-config"], []):
            with self.subTest(extra=extra):
                r = run("-o", "none", "--ipfix-file", self.path, *extra)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(want, r.stderr)
                self.assertNotIn("attached", r.stderr)
                st = os.stat(self.path)
                self.assertEqual((st.st_uid, st.st_mode & 0o7777, st.st_size), (65534, 0o644, 6))

    def test_own_user_takes_it(self):
        """Running as nobody, the file is eBPFlow's own."""
        r = run("-o", "none", "--ipfix-file", self.path, "--user", "nobody", "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
