#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Who made a flow, exactly (issue 19), with real processes on loopback:
COMM is the process's name (ps -o comm), not its sending thread's; exe,
cmdline, ppid and parent are the kernel's for a process that execs, sends and
exits within milliseconds, for a script (exe is its interpreter), for a
process renamed after exec, for one in a chroot (the path from its root), for a
forked worker that never execs (its parent's
program), for one whose executable was deleted after exec
(the path it had), and for one that was running before eBPFlow started (from
/proc; unit_proctable has /proc's " (deleted)"). [flows] cmdline_bytes cuts the
command line (cmdline_cut) and 0 keeps none. Each sender makes N calls and N
are counted. Runs on the tier EBPFLOW_HOOKS names (every tier in the matrix).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402

N = 3
PYTHON = "/usr/bin/python3"
# a script run through its interpreter; its sending thread has a name of its own
SCRIPT = textwrap.dedent("""\
    #!/usr/bin/python3
    import ctypes, os, socket, sys, threading
    port, n, rename = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    libc = ctypes.CDLL(None)
    if rename == "wait":
        # started before eBPFlow: sends once told to
        print(f"ready pid={os.getpid()}", flush=True)
        sys.stdin.readline()
    elif rename not in ("-", "fork"):
        libc.prctl(15, rename.encode(), 0, 0, 0)  # PR_SET_NAME on the main thread
    def send(thread=True):
        if thread:
            libc.prctl(15, b"sender-thread", 0, 0, 0)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(n):
            s.sendto(b"x", ("127.0.0.1", port))
    if rename == "fork":
        # a preforked worker: a process of its own that never execs
        child = os.fork()
        if child == 0:
            send(thread=False)
            os._exit(0)
        os.waitpid(child, 0)
        print(f"child={child}", end=" ")
    else:
        t = threading.Thread(target=send)
        t.start()
        t.join()
    with open("/proc/self/comm") as f:
        print(f"pid={os.getpid()} comm={f.read().strip()}", flush=True)
    """)


def my_comm():
    with open("/proc/self/comm") as f:
        return f.read().strip()


def cmdline_of(argv, limit=None):
    """What the kernel keeps of argv (NULs as spaces), at most limit bytes."""
    raw = "\0".join(argv) + "\0"
    if limit is not None:
        raw = raw[:limit]
    return raw.rstrip("\0").replace("\0", " ")


def run_client(argv, child=False):
    """Run a sender to its end; its pid and name (and its forked child's pid)."""
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30).stdout
    fields = dict(f.split("=", 1) for f in out.split() if "=" in f)
    if child:
        return int(fields["pid"]), fields.get("comm"), int(fields["child"])
    return int(fields["pid"]), fields.get("comm")


def records_of(ebpflow, pid, direction):
    return [r for r in ebpflow.records() if r["pid"] == pid and r["direction"] == direction]


class Process(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        testlib.require_kernel_privileges()
        if not os.path.exists(PYTHON):
            testlib.skip_or_fail("test_process", f"{PYTHON} is missing")
        cls.dir = tempfile.mkdtemp(prefix=f"ebpflow-proc-{os.getpid()}-")
        os.chmod(cls.dir, 0o755)
        cls.script = os.path.join(cls.dir, "client.py")
        with open(cls.script, "w") as f:
            f.write(SCRIPT)
        os.chmod(cls.script, 0o755)
        cls.port = testlib.port_base(3)
        # a root of its own for a chroot: the static workload alone
        cls.jail = os.path.join(cls.dir, "jail")
        os.makedirs(os.path.join(cls.jail, "bin"))
        shutil.copy(testlib.WORKLOAD + "-static", os.path.join(cls.jail, "bin", "wl"))
        cls.parent = (os.getpid(), my_comm())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check_proc(self, rec, exe, cmdline, parent=None):
        self.assertEqual(rec["exe"], exe, rec)
        self.assertEqual(rec["cmdline"], cmdline, rec)
        self.assertNotIn("cmdline_cut", rec)
        self.assertEqual((rec["ppid"], rec["parent"]), parent or self.parent, rec)

    def wait_count(self, ebpflow, pid, direction, n):
        ebpflow.wait_for(lambda r: r["pid"] == pid and r["direction"] == direction)
        return pid, direction, n

    def test_identity(self):
        wl = testlib.WORKLOAD
        new = os.path.join(self.dir, "wl-new")
        shutil.copy(wl, new)
        port = self.port
        # running before eBPFlow starts (which may take longer than a workload
        # server waits, in a guest): it sends once eBPFlow runs
        before_argv = [PYTHON, self.script, str(port), str(N), "wait"]
        before = testlib.Process([self.script] + before_argv[2:], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        self.addCleanup(before.kill_if_running)
        self.assertTrue(before.proc.stdout.readline().startswith("ready"))
        e = testlib.Ebpflow("-o", "json", "-i", "1")
        try:
            before.proc.stdin.write("go\n")
            before.proc.stdin.close()
            # deleted after its exec, which the kernel saw
            new_argv = [new, "udp-server", "127.0.0.1", str(port + 2), str(N)]
            after = testlib.Process(new_argv, stdout=subprocess.PIPE, text=True)
            self.addCleanup(after.kill_if_running)
            self.assertTrue(after.proc.stdout.readline().startswith("ready"))
            os.unlink(new)
            # execs, sends and exits within milliseconds
            fast_argv = [wl, "udp-client", "127.0.0.1", str(port + 1), str(N), "0", "sendto"]
            fast, _ = run_client(fast_argv)
            run_client([wl, "udp-client", "127.0.0.1", str(port + 2), str(N), "0", "sendto"])
            # in a chroot: the path as the process sees it (its root's)
            jail_argv = ["/bin/wl", "udp-client", "127.0.0.1", str(port + 1), str(N), "0",
                         "sendto"]
            jailed, _ = run_client(["chroot", self.jail] + jail_argv)
            # a script, whose sending thread has a name of its own
            script, script_comm = run_client([self.script, str(port), str(N), "-"])
            # renamed after its exec
            rename = f"rn{os.getpid() % 100000}"
            renamed, renamed_comm = run_client([self.script, str(port), str(N), rename])
            # forks a worker that sends and never execs
            forker, forker_comm, worker = run_client([self.script, str(port), str(N), "fork"],
                                                     child=True)
            before.proc.wait(20)
            after.proc.wait(20)
            waits = [self.wait_count(e, fast, "outbound", N),
                     self.wait_count(e, script, "outbound", N),
                     self.wait_count(e, renamed, "outbound", N),
                     self.wait_count(e, worker, "outbound", N),
                     self.wait_count(e, jailed, "outbound", N),
                     self.wait_count(e, before.proc.pid, "outbound", N),
                     self.wait_count(e, after.proc.pid, "inbound", N)]
        finally:
            e.stop()
        self.assertEqual(e.returncode, 0, e.stderr)
        recs = {}
        for pid, direction, n in waits:
            with self.subTest(pid=pid, direction=direction):
                rs = records_of(e, pid, direction)
                self.assertEqual(sum(r["count"] for r in rs), n, rs)
                recs[pid] = rs[0]
        python_exe = os.path.realpath(PYTHON)
        with self.subTest("a process that execs, sends and exits at once"):
            self.assertEqual(recs[fast]["comm"], "ebpflow-wl")
            self.check_proc(recs[fast], os.path.realpath(wl), cmdline_of(fast_argv))
        with self.subTest("a script: COMM the process's, not its thread's; exe the interpreter"):
            self.assertEqual(script_comm, "client.py")  # the kernel names it after the script
            self.assertEqual(recs[script]["comm"], script_comm)
            self.check_proc(recs[script], python_exe,
                            cmdline_of([PYTHON, self.script, str(port), str(N), "-"]))
        with self.subTest("renamed after exec: the new name, the same executable"):
            self.assertEqual(renamed_comm, rename)
            self.assertEqual(recs[renamed]["comm"], rename)
            self.check_proc(recs[renamed], python_exe,
                            cmdline_of([PYTHON, self.script, str(port), str(N), rename]))
        with self.subTest("a forked worker that never execs: its parent's program"):
            self.assertEqual(recs[worker]["comm"], forker_comm)
            self.check_proc(recs[worker], python_exe,
                            cmdline_of([PYTHON, self.script, str(port), str(N), "fork"]),
                            (forker, forker_comm))
        with self.subTest("in a chroot: the path from the process's root"):
            self.assertEqual(recs[jailed]["comm"], "wl")
            self.check_proc(recs[jailed], "/bin/wl", cmdline_of(jail_argv))
        with self.subTest("running before eBPFlow: /proc's answer"):
            self.assertEqual(recs[before.proc.pid]["comm"], "client.py")
            self.check_proc(recs[before.proc.pid], python_exe, cmdline_of(before_argv))
        with self.subTest("deleted after an exec the kernel saw: the path it had"):
            self.assertEqual(recs[after.proc.pid]["comm"], "wl-new")
            self.check_proc(recs[after.proc.pid], new, cmdline_of(new_argv))
        self.assertIn("records named from the kernel's notes", e.stderr)

    def run_cut(self, cmdline_bytes):
        argv = [testlib.WORKLOAD, "udp-client", "127.0.0.1", str(self.port + 3), str(N), "0",
                "sendto"]
        e = testlib.Ebpflow("-o", "json", "-i", "1", "--cmdline-bytes", str(cmdline_bytes))
        try:
            pid, _ = run_client(argv)
            e.wait_for(lambda r: r["pid"] == pid)
        finally:
            e.stop()
        rs = records_of(e, pid, "outbound")
        self.assertEqual(sum(r["count"] for r in rs), N, rs)
        return argv, rs[0]

    def test_cmdline_bytes_cut(self):
        argv, rec = self.run_cut(16)
        self.assertEqual(rec["cmdline"], cmdline_of(argv, 16), rec)
        self.assertIs(rec.get("cmdline_cut"), True, rec)
        self.assertEqual(rec["exe"], os.path.realpath(testlib.WORKLOAD))

    def test_cmdline_bytes_zero_keeps_none(self):
        argv, rec = self.run_cut(0)
        self.assertEqual(rec["cmdline"], "", rec)
        self.assertNotIn("cmdline_cut", rec)
        self.assertEqual(rec["exe"], os.path.realpath(testlib.WORKLOAD))
        self.assertEqual((rec["ppid"], rec["parent"]), self.parent)


if __name__ == "__main__":
    unittest.main()
