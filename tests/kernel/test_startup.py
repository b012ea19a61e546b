#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Start-up and collectors, as root. SIGHUPs sent while the programs load do
not kill eBPFlow. A collector name that does not resolve at start (a private
mount namespace with our own /etc/hosts) is not fatal: eBPFlow starts, says
so, retries with back-off, and once the name resolves the collector gets the
templates and then every record. A collector with no route (a network
namespace of ours) is retried the same way. A reload keeps the sockets, and
the 8 MiB send buffers, of the collectors it keeps."""
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import COLLECTOR, EBPFLOW, Collector, port_base  # noqa: E402

P = port_base(14)
TMP = None
NAME = "ebpflow-test-collector.invalid"


def setUpModule():
    global TMP
    testlib.require_kernel_privileges()
    TMP = tempfile.mkdtemp(prefix=f"ebpflow-startup-{os.getpid()}-")


def tearDownModule():
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


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


class UnresolvedCollectorTest(unittest.TestCase):
    """The host's name service is replaced, for eBPFlow only, by files of ours."""

    def setUp(self):
        self.hosts = os.path.join(TMP, "hosts")
        with open(self.hosts, "w") as f:
            f.write("127.0.0.1 localhost\n")
        resolv = os.path.join(TMP, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        nss = os.path.join(TMP, "nsswitch.conf")
        with open(nss, "w") as f:
            f.write("passwd: files\ngroup: files\nhosts: files\n")
        self.prefix = ["unshare", "-m", "sh", "-c",
                       f"mount --bind {self.hosts} /etc/hosts && "
                       f"mount --bind {resolv} /etc/resolv.conf && "
                       f"mount --bind {nss} /etc/nsswitch.conf && exec \"$@\"", "sh"]

    def test_check_config_refuses_it(self):
        r = subprocess.run(self.prefix + [EBPFLOW, "--collector", f"{NAME}:{P}", "--check-config"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"collector '{NAME}:{P}': cannot resolve '{NAME}'", r.stderr)

    def test_start_then_resolves(self):
        collector = Collector(P)
        d = Daemon(self.prefix + [EBPFLOW, *testlib.hooks_args(), "-o", "none", "-i", "1",
                                  "--template-refresh", "600", "--collector", f"{NAME}:{P}"])
        try:
            d.wait_for("watching")
            _, lost = testlib.udp_pair(P + 1, 3)   # while the name does not resolve
            time.sleep(1.5)
            with open(self.hosts, "a") as f:       # in place: the bind mount shows it
                f.write(f"127.0.0.1 {NAME}\n")
            d.wait_for(f"collector {NAME}:{P}: resolved to 127.0.0.1; sending", timeout=30)
            _, sent = testlib.udp_pair(P + 2, 4)
            time.sleep(1.5)
        finally:
            rc = d.stop()
            time.sleep(0.3)
            recs = collector.records()
        self.assertEqual(rc, 0, d.log)
        self.assertEqual(d.log.count(f"collector {NAME}:{P}: cannot resolve '{NAME}'"), 1, d.log)
        # templates went first (the template refresh is ten minutes away): every record decoded
        self.assertEqual(testlib.ipfix_calls(recs, sent), 4)
        self.assertEqual(testlib.ipfix_calls(recs, lost), 0)
        m = re.search(rf"collector {NAME}:{P}: (\d+) messages sent, (\d+) lost", d.log)
        self.assertGreater(int(m.group(2)), 0)


class HeldNameServer(threading.Thread):
    """A name server of ours on a loopback address of the test's own: it answers
    every query for NAME with 127.0.0.1 (no IPv6 address), but only once
    release() is called; until then a resolver waits."""

    def __init__(self, addr):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 53))
        self.sock.settimeout(0.1)
        self.released = threading.Event()
        self.done = threading.Event()
        self.queries = 0

    @staticmethod
    def answer(query):
        qid, flags = struct.unpack("!HH", query[:4])
        end = 12
        while query[end]:
            end += query[end] + 1
        qtype = struct.unpack("!H", query[end + 1:end + 3])[0]
        question = query[12:end + 5]
        a = qtype == 1  # A: 127.0.0.1; AAAA and others: no data
        rr = struct.pack("!HHHIH4s", 0xC00C, 1, 1, 60, 4, socket.inet_aton("127.0.0.1"))
        return (struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, int(a), 0, 0) +
                question + (rr if a else b""))

    def run(self):
        held = []
        while not self.done.is_set():
            try:
                query, peer = self.sock.recvfrom(512)
                self.queries += 1
                held.append((query, peer))
            except socket.timeout:
                pass
            if self.released.is_set():
                for query, peer in held:
                    self.sock.sendto(self.answer(query), peer)
                held = []
        self.sock.close()

    def release(self):
        self.released.set()

    def stop(self):
        self.done.set()
        self.join(5)


class SlowNameServerTest(unittest.TestCase):
    """A collector's name asked of a name server that has not answered yet:
    eBPFlow starts watching at once (the look-up goes on in a worker thread
    made after the privilege drop), and sends once the answer comes."""

    def test_start_does_not_wait_for_the_name(self):
        pid = os.getpid()
        server_addr = f"127.53.{(pid >> 8) & 255}.{pid & 255 or 1}"
        name = f"collector-{pid}.ebpflow-test.example"
        server = HeldNameServer(server_addr)
        server.start()
        hosts, resolv, nss = (os.path.join(TMP, f"slow-{f}") for f in ("hosts", "resolv", "nss"))
        with open(hosts, "w") as f:
            f.write("127.0.0.1 localhost\n")
        with open(resolv, "w") as f:  # longer than the start may take
            f.write(f"nameserver {server_addr}\noptions timeout:5 attempts:1\n")
        with open(nss, "w") as f:
            f.write("passwd: files\ngroup: files\nhosts: files dns\n")
        prefix = ["unshare", "-m", "sh", "-c",
                  f"mount --bind {hosts} /etc/hosts && mount --bind {resolv} /etc/resolv.conf && "
                  f"mount --bind {nss} /etc/nsswitch.conf && exec \"$@\"", "sh"]
        port = P + 20
        collector = Collector(port)
        d = Daemon(prefix + [EBPFLOW, *testlib.hooks_args(), "-o", "none", "-i", "1",
                             "--template-refresh", "600", "--collector", f"{name}:{port}"])
        try:
            d.wait_for("watching", timeout=20)
            server.release()
            d.wait_for(f"collector {name}:{port}: resolved to 127.0.0.1; sending", timeout=30)
            _, sent = testlib.udp_pair(port + 1, 4)
            time.sleep(1.5)
        finally:
            rc = d.stop()
            server.stop()
            time.sleep(0.3)
            recs = collector.records()
        self.assertEqual(rc, 0, d.log)
        # the start did not wait for the answer, nor give up on the name
        self.assertNotIn("cannot resolve", d.log)
        self.assertLess(d.log.index("watching"), d.log.index("resolved to"), d.log)
        self.assertGreater(server.queries, 0)
        # the templates went out once it was reached: every record decoded
        self.assertEqual(testlib.ipfix_calls(recs, sent), 4)


class UnreachableCollectorTest(unittest.TestCase):
    """eBPFlow in a network namespace of ours with no route to its collector."""

    def test_no_route_then_route(self):
        ns = f"ebpflow{os.getpid()}s"
        addr = "10.198.0.1"
        subprocess.run(["ip", "netns", "add", ns], check=True)
        collector = None
        try:
            subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
            # nsenter, not ip netns exec: that one mounts a sysfs of its own over /sys
            d = Daemon(["nsenter", f"--net=/run/netns/{ns}", EBPFLOW, *testlib.hooks_args(), "-o", "none",
                        "-i", "1", "--template-refresh", "600", "--collector", f"{addr}:{P + 3}"])
            try:
                d.wait_for("watching")
                self.assertIn(f"collector {addr}:{P + 3}: cannot reach it: Network is unreachable",
                              d.log)
                subprocess.run(["ip", "-n", ns, "addr", "add", f"{addr}/32", "dev", "lo"],
                               check=True)
                out = open(os.path.join(TMP, "collector.json"), "w+")
                collector = subprocess.Popen(["ip", "netns", "exec", ns, COLLECTOR, "--udp",
                                              f"{addr}:{P + 3}"], stdout=out,
                                             stderr=subprocess.PIPE, text=True)
                collector.stderr.readline()  # listening
                d.wait_for(f"collector {addr}:{P + 3}: resolved to {addr}; sending", timeout=30)
                _, pid = testlib.udp_pair(P + 4, 5)  # on the host: eBPFlow sees every process
                time.sleep(1.5)
            finally:
                rc = d.stop()
            time.sleep(0.3)
            collector.send_signal(signal.SIGTERM)
            collector.communicate(timeout=10)
            out.seek(0)
            import json
            recs = [json.loads(line) for line in out if line.strip()]
            out.close()
        finally:
            if collector and collector.poll() is None:
                collector.kill()
            subprocess.run(["ip", "netns", "del", ns])
        self.assertEqual(rc, 0, d.log)
        self.assertEqual(testlib.ipfix_calls(recs, pid), 5)


def send_buffers(pid):
    """The send buffer (tb, bytes the kernel grants: twice what was asked) of each
    UDP socket of pid, by the peer's port."""
    out = subprocess.run(["ss", "-u", "-a", "-m", "-p", "-n"], capture_output=True, text=True,
                         check=True).stdout
    found, port = {}, None
    for line in out.splitlines():
        if f"pid={pid}," in line:
            port = int(line.split()[4].rsplit(":", 1)[1])
        elif port is not None and "skmem:" in line:
            found[port] = int(re.search(r"tb(\d+)", line).group(1))
            port = None
    return found


class ReloadBufferTest(unittest.TestCase):
    def test_reload_keeps_sockets_and_send_buffers(self):
        path = os.path.join(TMP, "buf.conf")

        def conf(collectors):
            with open(path, "w") as f:
                f.write(f"[output]\nmode = none\ninterval = 1\n[ipfix]\ncollectors = {collectors}\n")
            os.chmod(path, 0o600)

        with open("/proc/sys/net/core/wmem_max") as f:
            wmem_max = int(f.read())
        conf(f"127.0.0.1:{P + 5}")
        d = Daemon([EBPFLOW, *testlib.hooks_args(), "-c", path])
        try:
            d.wait_for("watching")
            before = send_buffers(d.proc.pid)
            conf(f"127.0.0.1:{P + 5}, 127.0.0.1:{P + 6}")
            d.proc.send_signal(signal.SIGHUP)
            d.wait_for("IPFIX outputs replaced")
            after = send_buffers(d.proc.pid)
        finally:
            d.stop()
        self.assertEqual(before, {P + 5: 2 * 8 * 1024 * 1024})
        # the collector kept keeps its buffer; the new one gets what wmem_max allows
        self.assertEqual(after, {P + 5: 2 * 8 * 1024 * 1024,
                                 P + 6: 2 * min(wmem_max, 8 * 1024 * 1024)})
        if wmem_max < 8 * 1024 * 1024:
            self.assertIn(f"collector 127.0.0.1:{P + 6}: send buffer {wmem_max // 1024} KiB",
                          d.log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
