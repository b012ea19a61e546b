#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""ebpflow-collector over UDP: a malformed datagram is dropped, counted and
warned about, and the collector goes on decoding the good ones after it (it
used to exit 1 on the first). The good messages are an IPFIX file eBPFlow
wrote (the fuzz corpus's), sent one message a datagram; no root needed."""
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from testlib import COLLECTOR, Collector, port_base  # noqa: E402

FLOWS = os.path.join(os.path.dirname(__file__), "fuzz", "corpus", "collector", "flows.ipfix")


def messages(path):
    """The IPFIX messages of a file, split by their header's length."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    while data:
        version, length = struct.unpack("!HH", data[:4])
        assert version == 10 and length >= 16, (version, length)
        out.append(data[:length])
        data = data[length:]
    return out


def decoded_from_file(path):
    r = subprocess.run([COLLECTOR, "--file", path], capture_output=True, text=True, timeout=30,
                       check=True)
    return r.stdout.splitlines()


class MalformedDatagram(unittest.TestCase):
    def setUp(self):
        self.port = port_base(3)
        self.collector = Collector(self.port)
        self.addCleanup(self.collector.out.close)
        self.addCleanup(self.collector.kill_if_running)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(self.sock.close)

    def send(self, datagram):
        self.sock.sendto(datagram, ("127.0.0.1", self.port))

    def wait_lines(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.collector.out.seek(0)
            lines = self.collector.out.read().splitlines()
            if len(lines) >= n:
                return lines
            time.sleep(0.05)
        return lines

    def run_case(self, bad, dropped):
        msgs = messages(FLOWS)
        want = decoded_from_file(FLOWS)
        self.assertEqual(len(want), 14)  # what the file holds: the test's own check
        # the templates, then the bad datagrams, then the data
        for m in msgs[:-1]:
            self.send(m)
        for b in bad:
            self.send(b)
        self.send(msgs[-1])
        got = self.wait_lines(len(want))
        self.assertIsNone(self.collector.proc.poll(), "the collector exited")
        self.assertEqual(got, want)
        self.collector.proc.send_signal(signal.SIGTERM)
        _, err = self.collector.proc.communicate(timeout=10)
        self.assertEqual(self.collector.proc.returncode, 0, err)
        self.assertEqual(err.count("ebpflow-collector: dropped a datagram"), len(bad), err)
        flows = sum(1 for line in want if '"_record"' not in line)
        self.assertIn(f"ebpflow-collector: {flows} flow records, {dropped} datagrams dropped "
                      "(malformed)\n", err)

    def test_wrong_version(self):
        """Version 9 in an IPFIX header: refused by the listener itself."""
        good = messages(FLOWS)[-1]
        self.run_case([struct.pack("!H", 9) + good[2:]], 1)

    def test_bad_set_and_short(self):
        """A set shorter than its own header (refused while reading the
        message's records), and a datagram shorter than a message header."""
        good = messages(FLOWS)[-1]
        bad_set = good[:16] + struct.pack("!HH", 256, 2) + good[20:]
        self.run_case([bad_set, b"\x00\x0a\x00\x08"], 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
