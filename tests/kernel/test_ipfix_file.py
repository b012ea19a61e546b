#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The IPFIX file, as root: a restart and a reload append a new stream
(templates first) and the whole file decodes, message by message, with
ebpflow-collector and ipfixDump; the file is 0600 (0640 with a group); a
symbolic link is refused at start and at reload; on a full tmpfs (mounted
here) the file keeps whole messages only and writing resumes when there is
room; rotation by size and by time gives files that each decode alone."""
import grp
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import COLLECTOR, Ebpflow, port_base, start_workload  # noqa: E402

P = port_base(13)
TMP = None
NOGROUP = "nogroup"


def setUpModule():
    global TMP
    testlib.require_kernel_privileges()
    if shutil.which("ipfixDump") is None:
        print("SKIP: ipfixDump (libfixbuf-tools) is not installed", file=sys.stderr)
        sys.exit(testlib.SKIP_CODE if os.environ.get("CI") != "true" else 1)
    TMP = tempfile.mkdtemp(prefix=f"ebpflow-file-{os.getpid()}-")
    os.chmod(TMP, 0o755)


def tearDownModule():
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def messages(path):
    """(length, set ids, observation domain) of each message, walking the file
    by the lengths in the headers: a hole or a cut message fails here."""
    with open(path, "rb") as f:
        data = f.read()
    out, off = [], 0
    while off < len(data):
        if len(data) - off < 16:
            raise AssertionError(f"{path}: {len(data) - off} bytes after the last whole message")
        version, length = struct.unpack_from("!HH", data, off)
        if version != 10 or length < 16 or off + length > len(data):
            raise AssertionError(f"{path}: no whole IPFIX message at offset {off} "
                                 f"(version {version}, length {length}, {len(data)} bytes)")
        domain = struct.unpack_from("!I", data, off + 12)[0]
        sets, p = [], off + 16
        while p + 4 <= off + length:
            sid, slen = struct.unpack_from("!HH", data, p)
            sets.append(sid)
            if slen < 4:
                break
            p += slen
        out.append((length, sets, domain))
        off += length
    return out


def streams(msgs):
    """Where each stream starts: a message with templates (set 2) after data."""
    starts, data_seen = [], True
    for i, (_, sets, _) in enumerate(msgs):
        if 2 in sets and data_seen:
            starts.append(i)
            data_seen = False
        elif any(s >= 256 for s in sets):
            data_seen = True
    return starts


def decode(path):
    """Every record of the file, as ebpflow-collector --file reads it."""
    r = subprocess.run([COLLECTOR, "--file", path], capture_output=True, text=True, timeout=60)
    if r.returncode:
        raise AssertionError(f"ebpflow-collector --file {path}: {r.stderr}")
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def ipfixdump_messages(path):
    r = subprocess.run(["ipfixDump", "-i", path], capture_output=True, text=True, timeout=60)
    if r.returncode:
        raise AssertionError(f"ipfixDump -i {path}: {r.stderr[-2000:]}")
    m = re.search(r"File Stats: (\d+) Messages", r.stdout)
    return int(m.group(1))


def octets(stderr):
    """What eBPFlow says it wrote: the octets of the IPFIX messages."""
    return int(re.search(r"in \d+ messages, (\d+) octets", stderr).group(1))


calls = testlib.ipfix_calls


def conf(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def wait_log(probe, text, timeout=10):
    """Wait until eBPFlow's log says text (testlib reads it as it comes)."""
    try:
        probe.wait_log(text, timeout)
    except RuntimeError as e:
        raise AssertionError(f"{e}: {probe.stderr}") from None


class AppendTest(unittest.TestCase):
    def test_restart_appends_a_new_stream(self):
        path = os.path.join(TMP, "restart.ipfix")
        old = os.umask(0o022)  # what made the old files 0644
        try:
            runs = []
            for i in range(2):
                probe = Ebpflow("-o", "none", "-i", "1", "--ipfix-file", path)
                try:
                    _, pid = testlib.udp_pair(P + i, 3 + i)
                    time.sleep(1.5)
                finally:
                    probe.stop()
                self.assertEqual(probe.returncode, 0, probe.stderr)
                runs.append((pid, 3 + i, octets(probe.stderr)))
        finally:
            os.umask(old)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        # both runs whole, one after the other: nothing truncated
        self.assertEqual(os.path.getsize(path), runs[0][2] + runs[1][2])
        msgs = messages(path)
        self.assertEqual(len(streams(msgs)), 2)
        self.assertIn(2, msgs[0][1])  # templates first
        recs = decode(path)
        for pid, n, _ in runs:
            self.assertEqual(calls(recs, pid), n)
        self.assertEqual(ipfixdump_messages(path), len(msgs))

    def test_reload_flushes_then_appends(self):
        path = os.path.join(TMP, "reload.ipfix")
        cfg = conf("reload.conf", f"[output]\nmode = none\ninterval = 1\n"
                                  f"[ipfix]\nfile = {path}\ntemplate_refresh = 60\n")
        probe = Ebpflow("-c", cfg)
        try:
            _, before = testlib.udp_pair(P + 2, 4)
            time.sleep(1.5)
            # a new observation domain: the IPFIX outputs are replaced
            conf("reload.conf", f"[output]\nmode = none\ninterval = 1\n"
                                f"[ipfix]\nfile = {path}\ntemplate_refresh = 60\n"
                                f"observation_domain = 7\n")
            probe.proc.send_signal(signal.SIGHUP)
            wait_log(probe, "IPFIX outputs replaced")
            _, after = testlib.udp_pair(P + 3, 5)
            time.sleep(1.5)
        finally:
            probe.stop()
        self.assertEqual(probe.returncode, 0, probe.stderr)
        msgs = messages(path)  # no hole, no message cut
        starts = streams(msgs)
        self.assertEqual(len(starts), 2)
        # the old stream (domain 0) is whole before the new one (domain 7) begins
        self.assertEqual({d for _, _, d in msgs[:starts[1]]}, {0})
        self.assertEqual({d for _, _, d in msgs[starts[1]:]}, {7})
        recs = decode(path)
        self.assertEqual(calls(recs, before), 4)
        self.assertEqual(calls(recs, after), 5)
        self.assertEqual(ipfixdump_messages(path), len(msgs))


class SafetyTest(unittest.TestCase):
    def test_symlink_refused_at_start(self):
        target = os.path.join(TMP, "target")
        link = os.path.join(TMP, "link.ipfix")
        with open(target, "w") as f:
            f.write("precious")
        os.symlink(target, link)
        r = subprocess.run([testlib.EBPFLOW, "-o", "none", "--ipfix-file", link, "--duration", "1"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"IPFIX file '{link}' is a symbolic link: refused", r.stderr)
        self.assertNotIn("attached", r.stderr)
        with open(target) as f:
            self.assertEqual(f.read(), "precious")

    def test_symlink_refused_at_reload(self):
        path = os.path.join(TMP, "kept.ipfix")
        link = os.path.join(TMP, "link2.ipfix")
        os.symlink(os.path.join(TMP, "elsewhere"), link)
        cfg = conf("sym.conf", f"[output]\nmode = none\ninterval = 1\n[ipfix]\nfile = {path}\n")
        probe = Ebpflow("-c", cfg)
        try:
            conf("sym.conf", f"[output]\nmode = none\ninterval = 1\n[ipfix]\nfile = {link}\n")
            probe.proc.send_signal(signal.SIGHUP)
            wait_log(probe, "reload failed")
            _, pid = testlib.udp_pair(P + 4, 3)
            time.sleep(1.5)
        finally:
            probe.stop()
        self.assertIn(f"reload failed, the running configuration stays: IPFIX file '{link}' "
                      "is a symbolic link: refused", probe.stderr)
        self.assertFalse(os.path.exists(os.path.join(TMP, "elsewhere")))
        self.assertEqual(calls(decode(path), pid), 3)  # the running file goes on

    def test_group_and_setgid_directory(self):
        gid = grp.getgrnam(NOGROUP).gr_gid
        d = os.path.join(TMP, "shared")
        os.mkdir(d)
        os.chown(d, 0, gid)
        os.chmod(d, 0o2750)  # setgid: files made after start get the group too
        path = os.path.join(d, "flows.ipfix")
        probe = Ebpflow("-o", "none", "-i", "1", "--ipfix-file", path, "--ipfix-file-group",
                        NOGROUP, "--ipfix-file-rotate", "1")
        try:
            # the first file (made at start, with every capability) is checked
            # below with the others: stat-ing PATH now would race the first
            # rotation, due as soon as eBPFlow watches
            time.sleep(3.5)  # rotations, after every capability was dropped
        finally:
            probe.stop()
        self.assertEqual(probe.returncode, 0, probe.stderr)
        names = sorted(os.listdir(d))
        self.assertGreaterEqual(len(names), 3, names)
        self.assertIn(os.path.basename(path), names)
        for name in names:
            st = os.stat(os.path.join(d, name))
            self.assertEqual((name, st.st_mode & 0o777, st.st_gid), (name, 0o640, gid))
        self.assertNotIn("cannot give it to group", probe.stderr)


class FullDiskTest(unittest.TestCase):
    def test_full_tmpfs_whole_messages_then_resumes(self):
        mnt = tempfile.mkdtemp(prefix=f"ebpflow-tmpfs-{os.getpid()}-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", mnt],
                       check=True)
        try:
            filler = os.path.join(mnt, "filler")
            with open(filler, "wb") as f:
                f.write(b"x" * 40 * 1024)
            path = os.path.join(mnt, "flows.ipfix")
            probe = Ebpflow("-o", "none", "-i", "1", "--ipfix-file", path)
            try:
                # 600 flows from one process: far more than the 24 KiB left
                spray = start_workload("udp-spray", "127.0.0.1", P + 100, 600, 600)
                spray.communicate(timeout=60)
                wait_log(probe, "No space left on device")
                time.sleep(1.5)
                os.unlink(filler)  # room again
                _, pid = testlib.udp_pair(P + 5, 5)
                time.sleep(2.5)
            finally:
                probe.stop()
            self.assertEqual(probe.returncode, 0, probe.stderr)
            self.assertEqual(probe.stderr.count(f"IPFIX file {path}: No space left on device"), 1)
            lost = int(re.search(rf"IPFIX file {path}: \d+ messages sent, (\d+) lost",
                                 probe.stderr).group(1))
            self.assertGreater(lost, 0)
            msgs = messages(path)  # whole messages, up to the last byte
            recs = decode(path)
            self.assertEqual(calls(recs, pid), 5)  # written after the disk had room again
            self.assertEqual(ipfixdump_messages(path), len(msgs))
            # no call lost: what the file could not take is counted as lost messages
            self.assertRegex(probe.stderr, r"at exit: calls: .*, 0 lost")
            self.assertLess(calls(recs, spray.pid_reported), 600)
        finally:
            subprocess.run(["umount", mnt])
            os.rmdir(mnt)


class RotationTest(unittest.TestCase):
    def rotated(self, d, base):
        names = sorted(n for n in os.listdir(d) if n.startswith(base + "."))
        for n in names:
            self.assertRegex(n, re.escape(base) + r"\.\d{8}T\d{6}Z(\.\d+)?$")
        return [os.path.join(d, n) for n in names]

    def test_rotation_by_size(self):
        d = tempfile.mkdtemp(prefix="rot-", dir=TMP)
        path = os.path.join(d, "flows.ipfix")
        probe = Ebpflow("-o", "none", "-i", "1", "--ipfix-file", path,
                        "--ipfix-file-rotate-size", "64")
        try:
            spray = start_workload("udp-spray", "127.0.0.1", P + 1000, 2000, 2000)
            spray.communicate(timeout=60)
            time.sleep(2.5)
        finally:
            probe.stop()
        self.assertEqual(probe.returncode, 0, probe.stderr)
        files = self.rotated(d, "flows.ipfix") + [path]
        self.assertGreaterEqual(len(files), 3, files)
        total = 0
        for f in files:
            msgs = messages(f)
            self.assertIn(2, msgs[0][1], f"{f} does not start with the templates")
            # past the size: at most the message that crossed it, and the one that
            # was being filled (its records go to the old file before the rotation)
            if f != path:
                self.assertLess(os.path.getsize(f), 64 * 1024 + 2 * 1420)
                self.assertGreaterEqual(os.path.getsize(f), 64 * 1024)
            total += calls(decode(f), spray.pid_reported)  # each file decodes alone
        self.assertEqual(total, 2000)

    def test_rotation_by_time(self):
        d = tempfile.mkdtemp(prefix="rot-", dir=TMP)
        path = os.path.join(d, "flows.ipfix")
        probe = Ebpflow("-o", "none", "-i", "1", "--ipfix-file", path, "--ipfix-file-rotate", "2")
        try:
            _, a = testlib.udp_pair(P + 6, 3)
            time.sleep(2.5)
            _, b = testlib.udp_pair(P + 7, 4)
            time.sleep(2.5)
        finally:
            probe.stop()
        files = self.rotated(d, "flows.ipfix")
        self.assertGreaterEqual(len(files), 2, files)
        stamps = [int(re.search(r"T(\d{6})Z", f).group(1)) for f in files]
        for s in stamps:
            self.assertEqual(s % 2, 0, stamps)  # on the clock: even seconds
        recs = [r for f in files + [path] for r in decode(f)]
        self.assertEqual((calls(recs, a), calls(recs, b)), (3, 4))


if __name__ == "__main__":
    unittest.main(verbosity=2)
