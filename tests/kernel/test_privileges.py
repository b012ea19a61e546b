#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""No privilege once attached, as root: with -d (the container threads at
work, asking a runtime of ours) every thread of eBPFlow holds no capability
(CAP_BPF alone where the kernel wants it for the maps it holds), no bounding
set, no new privileges; with --user every thread runs as that user, the flows
are still read exactly, and SIGHUP re-reads a file that user can read. The
flow map's kernel memory: logged at start as the kernel counts it, and a map
over [flows] map_memory_max refused with exit 2 before anything is attached.
The console view on a terminal: no capability there either, and a terminal
that hangs up stops eBPFlow with every record exported."""
import fcntl
import json
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import BUILD_DIR, EBPFLOW, Collector, Ebpflow, cgroup_root, port_base  # noqa: E402

N = 7
P = port_base(13)
FAKE_ID = "%064x" % (0x9817 * (os.getpid() + 3))
NAME = f"privtest-{os.getpid()}"
CAP_BPF = 1 << 39
WL = os.path.join(BUILD_DIR, "tests", "ebpflow-wl")
TMP = None


def setUpModule():
    global TMP
    testlib.require_kernel_privileges()
    TMP = tempfile.mkdtemp(prefix=f"ebpflow-priv-{os.getpid()}-")
    os.chmod(TMP, 0o755)  # the fake runtime's socket is reached as nobody too


def tearDownModule():
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


def possible_cpus():
    """As the kernel counts them for per-CPU maps: /sys/devices/system/cpu/possible."""
    with open("/sys/devices/system/cpu/possible") as f:
        n = 0
        for part in f.read().strip().split(","):
            lo, _, hi = part.partition("-")
            n += int(hi or lo) - int(lo) + 1
        return n


def flow_map_bytes(entries, cpus):
    """docs/deploy/README.md's formula: 832 + 32 per CPU + 16 per bucket (a
    power of two) + per flow a 112-byte element and 144 bytes per CPU."""
    buckets = 1
    while buckets < entries:
        buckets *= 2
    return 832 + 32 * cpus + 16 * buckets + entries * (112 + 144 * cpus)


def threads(pid):
    """Every thread of pid: its name and its status lines."""
    out = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task")):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        except (FileNotFoundError, ProcessLookupError):  # the thread ended meanwhile
            continue
        out.append((tid, status["Name"], status))
    return out


def bpf_reads_need_cap_bpf():
    """Before 5.19, kernel.unprivileged_bpf_disabled refused every bpf()
    command to a process without CAP_BPF, reads of maps it holds too."""
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
        return (major, minor) < (5, 19) and f.read().strip() != "0"


class FakeRuntime(threading.Thread):
    """A unix socket answering like Docker's Engine API: every container is NAME."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(16)
        self.requests = 0

    def run(self):
        body = json.dumps({"Name": "/" + NAME, "Config": {"Labels": {}}}).encode()
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                c.recv(65536)
                self.requests += 1
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def stop(self):
        self.sock.close()


class Threads(unittest.TestCase):
    def setUp(self):
        self.cg_parent = os.path.join(cgroup_root(), f"ebpflow{os.getpid()}.slice")
        self.cg = f"{self.cg_parent}/docker-{FAKE_ID}.scope"
        os.makedirs(self.cg)
        self.sock = os.path.join(TMP, f"docker-{self.id().split('.')[-1]}.sock")
        self.fake = FakeRuntime(self.sock)
        self.fake.start()

    def tearDown(self):
        self.fake.stop()
        for d in (self.cg, self.cg_parent):
            try:
                os.rmdir(d)
            except OSError:
                pass

    def watch_with_threads(self, port, *args):
        """eBPFlow -d while a process of a docker-like cgroup sends N datagrams and
        its container is asked of the runtime: every thread's status, and eBPFlow."""
        probe = Ebpflow("-d", "--docker-socket", self.sock, "-o", "json", "-i", "1", *args)
        try:
            srv = testlib.start_workload("udp-server", "127.0.0.1", port, N)
            cli = subprocess.run(["sh", "-c", f"echo $$ > {self.cg}/cgroup.procs && exec {WL} "
                                  f"udp-client 127.0.0.1 {port} {N} 5 sendto"],
                                 capture_output=True, text=True)
            self.assertEqual(cli.returncode, 0, cli.stderr)
            srv.communicate(timeout=20)
            deadline = time.monotonic() + 10
            while self.fake.requests == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # the worker that asked is idle in the pool now
            seen = threads(probe.proc.pid)
        finally:
            probe.stop()
        self.assertGreater(self.fake.requests, 0, "the runtime was never asked")
        recs = [r for r in probe.records() if r["dport"] == port and r["direction"] == "outbound"]
        self.assertEqual(sum(r["count"] for r in recs), N, probe.stderr)
        self.assertEqual({(r["container"], r["container_id"]) for r in recs}, {(NAME, FAKE_ID)})
        self.assertEqual(probe.returncode, 0, probe.stderr)
        return probe, seen

    def assert_no_capability(self, probe, seen, uid):
        names = [name for _, name, _ in seen]
        # the main thread, GLib's worker (signals) and the pool's, whichever GLib made them
        self.assertGreaterEqual(len(seen), 3, names)
        self.assertTrue(any(n.startswith("pool") for n in names), names)
        keep = CAP_BPF if bpf_reads_need_cap_bpf() else 0
        self.assertEqual("but CAP_BPF" in probe.stderr, bool(keep), probe.stderr)
        for tid, name, st in seen:
            for cap, want in (("CapInh", 0), ("CapPrm", keep), ("CapEff", keep), ("CapAmb", 0)):
                self.assertEqual(int(st[cap], 16), want, f"thread {tid} ({name}): {cap} {st[cap]}")
            self.assertEqual(int(st["CapBnd"], 16), keep, f"thread {tid} ({name}): CapBnd")
            self.assertEqual(st["NoNewPrivs"], "1", f"thread {tid} ({name})")
            self.assertEqual(st["Uid"].split(), [str(uid)] * 4, f"thread {tid} ({name})")
        self.assertIn("in every thread", probe.stderr)

    def test_every_thread_as_root(self):
        probe, seen = self.watch_with_threads(P)
        self.assert_no_capability(probe, seen, 0)
        self.assertIn("running as user root (uid 0)", probe.stderr)

    def test_every_thread_as_nobody(self):
        probe, seen = self.watch_with_threads(P + 1, "--user", "nobody")
        self.assert_no_capability(probe, seen, testlib.NOBODY_UID)
        self.assertIn(f"running as user nobody (uid {testlib.NOBODY_UID})", probe.stderr)
        for _, name, st in seen:
            self.assertEqual(st["Gid"].split(), [str(pwd.getpwnam("nobody").pw_gid)] * 4, name)


class Terminal(unittest.TestCase):
    """The console view on a terminal (the README's first command): it watches
    keys and size changes there, and still no thread keeps a capability; when
    its terminal hangs up it stops, every record delivered."""

    def on_terminal(self, *args):
        """eBPFlow on a new pseudo-terminal, its controlling one, as a shell starts
        it; what it draws is read as it comes (or its writes would block)."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))

        def controlling_terminal():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen([EBPFLOW, "-i", "1", *args], stdin=slave, stdout=slave,
                                stderr=subprocess.PIPE, text=True,
                                preexec_fn=controlling_terminal)
        testlib._STARTED.append(proc)
        os.close(slave)
        screen, log = [], []
        readers = [threading.Thread(target=drain_pty, args=(master, screen), daemon=True),
                   threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True)]
        for r in readers:
            r.start()
        deadline = time.monotonic() + 60
        while not any("watching" in line for line in log):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                os.close(master)
                self.fail(f"eBPFlow did not watch on a terminal (exit {proc.poll()}): {''.join(log)}")
            time.sleep(0.1)
        return proc, master, screen, log, readers

    def test_console_on_a_terminal(self):
        proc, master, screen, log, readers = self.on_terminal()
        try:
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
            proc.send_signal(signal.SIGWINCH)
            _, cli = testlib.udp_pair(P + 8, N)
            time.sleep(1.5)  # a refresh or two, resized
            seen = threads(proc.pid)
            self.assertIsNone(proc.poll(), "".join(log))
        finally:
            os.write(master, b"\x03")  # Ctrl-C, as a user types it
            try:
                proc.wait(30)
            finally:
                for r in readers:
                    r.join(10)
                os.close(master)
        self.assertEqual(proc.returncode, 0, "".join(log))
        keep = CAP_BPF if bpf_reads_need_cap_bpf() else 0
        # the main thread and GLib's (it handles the signals, SIGWINCH among them)
        self.assertGreaterEqual(len(seen), 2, [name for _, name, _ in seen])
        for tid, name, st in seen:
            for cap in ("CapPrm", "CapEff", "CapBnd"):
                self.assertEqual(int(st[cap], 16), keep, f"thread {tid} ({name}): {cap} {st[cap]}")
        # the view at exit: the client's flow, counted exactly, in the table's columns
        text = b"".join(screen).decode(errors="replace")
        self.assertIn("(at exit)", text)
        rows = [line.split() for line in text.splitlines()
                if line.split()[:1] == [str(cli)] and "UDP" in line]
        self.assertTrue(rows, f"no row of pid {cli} on the terminal:\n{text[-3000:]}")
        self.assertEqual({r[7] for r in rows}, {str(P + 8)}, rows)  # RPORT
        self.assertEqual(int(rows[-1][8]), N, rows)  # COUNT

    def test_terminal_hangs_up(self):
        """A closed window or a dropped ssh session: its SIGHUP is no reload to
        keep a console running for nobody; eBPFlow stops, its records exported."""
        col = Collector(P + 9)
        proc, master, _, log, readers = self.on_terminal("--collector", f"127.0.0.1:{P + 9}")
        try:
            _, cli = testlib.udp_pair(P + 10, N)
            time.sleep(0.5)  # counted in the kernel, not yet reported, maybe
        finally:
            os.close(master)  # the terminal hangs up
            try:
                proc.wait(30)
            finally:
                for r in readers:
                    r.join(10)
            got = col.records()
        self.assertEqual(proc.returncode, 0, "".join(log))
        self.assertIn("terminal hung up: stopping", "".join(log))
        self.assertEqual(testlib.ipfix_calls(got, cli), N, "".join(log))


def drain_pty(fd, into):
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side is closed
            return
        if not chunk:
            return
        into.append(chunk)


def conf(name, text, mode=0o644):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


class User(unittest.TestCase):
    def test_reload_as_nobody(self):
        """SIGHUP as nobody: a readable file with a new collector takes effect (its
        flows arrive there, exactly); an unreadable one is refused, nothing lost."""
        a, b = Collector(P + 2), Collector(P + 3)
        # mode none: nothing on a stdout that is read only at the end (a busy host's
        # records would fill the pipe and hold eBPFlow, and its SIGHUP, up)
        path = conf("user.conf", f"[output]\nmode = none\ninterval = 1\n[service]\nuser = nobody\n"
                                 f"[ipfix]\ncollectors = 127.0.0.1:{P + 2}\n")
        probe = Ebpflow("-c", path)
        calls = testlib.ipfix_calls

        def arrived(col, pid, n):
            """Wait until col has pid's n calls (a loaded host, an emulated
            guest: no fixed sleep is long enough)."""
            deadline = time.monotonic() + 60
            while calls(col.received(), pid) < n and time.monotonic() < deadline:
                time.sleep(0.2)

        try:
            _, first = testlib.udp_pair(P + 4, 3)
            arrived(a, first, 3)
            conf("user.conf", f"[output]\nmode = none\ninterval = 1\n[service]\nuser = nobody\n"
                              f"[ipfix]\ncollectors = 127.0.0.1:{P + 3}\n")
            probe.proc.send_signal(signal.SIGHUP)
            probe.wait_log("configuration reloaded")
            _, second = testlib.udp_pair(P + 5, 4)
            arrived(b, second, 4)
            os.chmod(path, 0o600)  # root's alone now: nobody cannot read it
            probe.proc.send_signal(signal.SIGHUP)
            probe.wait_log("reload failed")
            _, third = testlib.udp_pair(P + 6, 5)
            arrived(b, third, 5)
        finally:
            probe.stop()
            got_a, got_b = a.records(), b.records()
        self.assertEqual(probe.returncode, 0, probe.stderr)
        self.assertIn("running as user nobody", probe.stderr)
        self.assertEqual((calls(got_a, first), calls(got_b, first)), (3, 0))
        self.assertEqual((calls(got_a, second), calls(got_b, second)), (0, 4), probe.stderr)
        self.assertEqual((calls(got_a, third), calls(got_b, third)), (0, 5))
        self.assertIn("reload failed, the running configuration stays", probe.stderr)
        self.assertIn("Permission denied", probe.stderr)
        self.assertIn(", 0 lost", probe.stderr)

    def test_user_with_zmq(self):
        """libzmq's threads, made before the drop, run as the user too (glibc
        changes every thread's uid, and aborts if one cannot follow), and have
        no_new_privs (each thread's own, inherited from the thread that made it)."""
        if "--zmq" not in subprocess.run([EBPFLOW, "--help"], capture_output=True,
                                         text=True).stdout:
            self.skipTest("this build has no libzmq (--zmq)")
        probe = Ebpflow("-o", "none", "--user", "nobody", "--zmq", f"tcp://127.0.0.1:{P + 7}")
        try:
            seen = threads(probe.proc.pid)
        finally:
            probe.stop()
        self.assertEqual(probe.returncode, 0, probe.stderr)
        self.assertTrue(any(name.startswith("ZMQbg") for _, name, _ in seen), seen)
        keep = CAP_BPF if bpf_reads_need_cap_bpf() else 0
        for tid, name, st in seen:
            self.assertEqual(st["Uid"].split(), [str(testlib.NOBODY_UID)] * 4, name)
            # set before libzmq made its threads, so theirs too
            self.assertEqual(st["NoNewPrivs"], "1", f"thread {tid} ({name})")
            # libzmq's threads gave up everything themselves; the others hold what
            # the main thread kept
            held = 0 if name.startswith("ZMQbg") else keep
            for cap, want in (("CapInh", 0), ("CapPrm", held), ("CapEff", held), ("CapAmb", 0),
                              ("CapBnd", held)):
                self.assertEqual(int(st[cap], 16), want, f"thread {tid} ({name}): {cap}")

    def test_unknown_user_refused(self):
        user = f"no-such-user-{os.getpid()}"
        for extra in ([], ["--check-config"]):
            r = subprocess.run([EBPFLOW, "-o", "none", "--user", user, *extra],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(f"[service] user: no user '{user}' on this host", r.stderr)
            self.assertNotIn("attached", r.stderr)

    def test_switch_needs_setuid(self):
        """Started without CAP_SETUID (as a unit's User= would), switching is refused."""
        binary = os.path.join(TMP, "ebpflow")  # where nobody may run it
        shutil.copy(EBPFLOW, binary)
        r = subprocess.run(["setpriv", f"--reuid={testlib.NOBODY_UID}",
                            f"--regid={pwd.getpwnam('nobody').pw_gid}", "--clear-groups",
                            "--inh-caps=-all", binary, "-o", "none", "--user", "root",
                            "--check-config"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("needs CAP_SETUID and CAP_SETGID", r.stderr)


class MapBudget(unittest.TestCase):
    def test_start_says_what_the_map_takes(self):
        probe = Ebpflow("-o", "none", "--map-size", "100000")
        probe.stop()
        cpus = possible_cpus()
        want = flow_map_bytes(100000, cpus)
        line = [l for l in probe.stderr.splitlines() if "flow map:" in l]
        self.assertEqual(len(line), 1, probe.stderr)
        self.assertIn(f"flow map: 100000 flows, {want / 2**20:.1f} MiB of kernel memory on "
                      f"{cpus} possible CPUs ({want} bytes; the kernel counts ", line[0])
        counted = int(line[0].rsplit(" ", 1)[1].rstrip(")"))
        release = tuple(int(x) for x in os.uname().release.split(".")[:2])
        if (5, 11) <= release < (6, 4):
            # these count the keys and values only (bpf_map_memory_footprint)
            self.assertEqual(counted, -(-100000 * (56 + 144 * cpus) // 4096) * 4096, line[0])
        else:
            # the kernel's own accounting (6.4 on: htab_map_mem_usage; 5.10: the
            # pages charged, without the fixed part); struct bpf_htab's size
            # depends on the configuration: within a page
            self.assertLess(abs(counted - want), 4096, line[0])

    def test_over_budget_refused(self):
        cpus = possible_cpus()
        need = flow_map_bytes(1000000, cpus)
        budget = need // 2**20 - 1  # a MiB short
        lo, hi = 1024, 1000000  # the most flows that fit: the size grows with them
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if flow_map_bytes(mid, cpus) <= budget * 2**20 else (lo, mid - 1)
        fit = lo
        path = conf("budget.conf", f"[flows]\nmap_size = 1000000\nmap_memory_max = {budget}\n")
        for args in (["--map-size", "1000000", "--map-memory-max", str(budget)], ["-c", path],
                     ["-c", path, "--check-config"]):
            r = subprocess.run([EBPFLOW, "-o", "none", *args], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(r.stderr, (
                f"ebpflow: [flows] map_size = 1000000 flows would take {need / 2**20:.1f} MiB of "
                f"kernel memory on {cpus} possible CPUs (144 bytes per flow and CPU), more than "
                f"[flows] map_memory_max = {budget} MiB: lower map_size (--map-size) to at most "
                f"{fit}, or raise map_memory_max (--map-memory-max)\n"))
        # the largest map that fits does start
        probe = Ebpflow("-o", "none", "--map-size", str(fit), "--map-memory-max", str(budget))
        probe.stop()
        self.assertEqual(probe.returncode, 0, probe.stderr)
        self.assertIn(f"flow map: {fit} flows", probe.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
