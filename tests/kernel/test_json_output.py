#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""-o json when its output fails, as root: stdout on /dev/full and on a full
tmpfs (every line written is whole, every record not written is counted as
lost, one warning, exit status 1), and into a pipe whose reader goes away
(`| head -c 10`: eBPFlow stops by itself as after SIGTERM, exit 0, and the
IPFIX file it writes at the same time gets every record)."""
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import COLLECTOR, EBPFLOW, hooks_args, port_base, start_workload  # noqa: E402

P = port_base()
AT_EXIT = re.compile(r"at exit: calls: \d+ counted by the kernel, (\d+) reported in (\d+) records")
JSON_LINE = re.compile(r"JSON: (\d+) records written; (\d+) records \((\d+) calls\) lost")


def setUpModule():
    testlib.require_kernel_privileges()


class Probe:
    """eBPFlow with -o json on the stdout given, its log in a file of ours."""

    def __init__(self, stdout, *args):
        self.log = tempfile.TemporaryFile(prefix=f"ebpflow-json-{os.getpid()}-")
        self.proc = subprocess.Popen([EBPFLOW, *hooks_args(), "-o", "json", "-i", "1", *args],
                                     stdout=stdout, stderr=self.log)
        testlib._STARTED.append(self.proc)
        deadline = time.monotonic() + 30
        while "watching" not in self.stderr():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.proc.kill()
                raise RuntimeError(f"ebpflow did not start: {self.stderr()}")
            time.sleep(0.1)

    def stderr(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def accounting(self):
        """(calls reported, records reported) at exit; (records written, records lost,
        calls lost) by the JSON output."""
        err = self.stderr()
        reported, json_ = AT_EXIT.search(err), JSON_LINE.search(err)
        if not reported or not json_:
            raise AssertionError(f"no exit accounting in the log: {err}")
        return tuple(map(int, reported.groups())), tuple(map(int, json_.groups()))


def spray(port, flows):
    """flows one-datagram UDP flows from one process, which then exits."""
    w = start_workload("udp-spray", "127.0.0.1", port, flows, flows)
    w.communicate(timeout=60)


class JsonOutputTest(unittest.TestCase):
    def test_dev_full(self):
        """Writes fail with ENOSPC: every record reported is counted as lost."""
        with open("/dev/full", "w") as full:
            probe = Probe(full)
        try:
            spray(P, 200)
            time.sleep(2.5)  # the exit, then the records, at the next passes
        finally:
            rc = probe.stop()
        err = probe.stderr()
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.count("JSON output: No space left on device"), 1, err)
        (calls, records), (written, lost, calls_lost) = probe.accounting()
        self.assertEqual((written, lost, calls_lost), (0, records, calls), err)
        self.assertIn("exit status 1", err)

    def test_full_tmpfs_whole_lines(self):
        """The disk fills up half-way through a line: the part written is cut away;
        what the file holds is whole lines, and what it lacks is counted as lost."""
        mnt = tempfile.mkdtemp(prefix=f"ebpflow-tmpfs-{os.getpid()}-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", mnt],
                       check=True)
        try:
            path = os.path.join(mnt, "flows.json")
            with open(path, "w") as out:
                probe = Probe(out)
            try:
                spray(P + 1, 600)  # about 200 KiB of lines into 64 KiB
                time.sleep(2.5)
            finally:
                rc = probe.stop()
            err = probe.stderr()
            with open(path, "rb") as f:
                text = f.read().decode()
        finally:
            subprocess.run(["umount", mnt])
            os.rmdir(mnt)
        self.assertEqual(rc, 1, err)
        self.assertEqual(err.count("JSON output: No space left on device"), 1, err)
        self.assertTrue(text.endswith("\n"), text[-200:])
        lines = [json.loads(line) for line in text.splitlines()]  # each one whole
        recs = [r for r in lines if "type" not in r]
        (calls, records), (written, lost, calls_lost) = probe.accounting()
        self.assertEqual(len(recs), written)
        self.assertEqual(written + lost, records, err)
        self.assertEqual(sum(r["count"] for r in recs) + calls_lost, calls, err)
        self.assertGreaterEqual(lost, 600 - written)  # ours alone did not fit

    def test_reader_gone_stops_every_record_to_ipfix(self):
        """`ebpflow -o json | head -c 10`: once head is gone eBPFlow stops as on
        SIGTERM (exit 0), and its IPFIX file still gets every record."""
        d = tempfile.mkdtemp(prefix=f"ebpflow-json-{os.getpid()}-")
        path = os.path.join(d, "flows.ipfix")
        r, w = os.pipe()
        head = subprocess.Popen(["head", "-c", "10"], stdin=r, stdout=subprocess.DEVNULL)
        testlib._STARTED.append(head)
        os.close(r)
        try:
            probe = Probe(w, "--ipfix-file", path)
            os.close(w)
            spray(P + 2, 20)
            head.wait(30)  # it read its 10 bytes of the first records
            t0 = time.monotonic()
            spray(P + 3, 20)
            rc = probe.proc.wait(30)  # by itself: no signal from us
            took = time.monotonic() - t0
            err = probe.stderr()
            recs = subprocess.run([COLLECTOR, "--file", path], capture_output=True, text=True,
                                  timeout=60, check=True).stdout
        finally:
            probe.stop()
            for name in os.listdir(d):
                os.unlink(os.path.join(d, name))
            os.rmdir(d)
        self.assertEqual(rc, 0, err)
        self.assertLess(took, 10, err)
        self.assertEqual(err.count("JSON output: its reader went away: stopping"), 1, err)
        self.assertNotIn("exit status 1", err)
        (calls, records), (written, lost, calls_lost) = probe.accounting()
        self.assertEqual(written + lost, records, err)
        flows = [json.loads(line) for line in recs.splitlines() if line.strip()]
        flows = [f for f in flows if "callDeltaCount" in f]
        self.assertEqual(len(flows), records, err)
        self.assertEqual(sum(f["callDeltaCount"] for f in flows), calls, err)
        self.assertRegex(err, rf"IPFIX: {records} records \({calls} calls\)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
