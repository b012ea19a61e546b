# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the tests that run the real probe: privileges, network
namespaces made and removed by this test (names from its pid), the workload
program, and eBPFlow itself as a child process.

A test that cannot run here (not root, no BTF) exits with SKIP_CODE and says
why; under CI=true that is a failure instead, because CI must run them.
"""
import atexit
import ctypes
import errno
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

SKIP_CODE = 77

# Every process a test starts through this module; whatever is still running
# when the test exits (a failure half-way through a set-up) is killed then.
_STARTED = []


@atexit.register
def _kill_leftovers():
    for p in _STARTED:
        if p.poll() is None:
            p.kill()
            p.wait()
BUILD_DIR = os.environ.get("EBPFLOW_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
EBPFLOW = os.path.join(BUILD_DIR, "ebpflow")
WORKLOAD = os.path.join(BUILD_DIR, "tests", "ebpflow-wl")
NOBODY_UID = 65534


def skip_or_fail(what, why, skip=None):
    """A test that cannot run here: under CI=true a failure ("WHAT must run in
    CI, but WHY": a skip there would hide a broken machine), elsewhere a skip
    (exit 77) that says `skip` (default: why)."""
    if os.environ.get("CI") == "true":
        print(f"FAIL: {what} must run in CI, but {why}", file=sys.stderr)
        sys.exit(1)
    print(f"SKIP: {skip or why}", file=sys.stderr)
    sys.exit(SKIP_CODE)


def require_kernel_privileges():
    """Exit with a skip (or, in CI, a failure) where the probe cannot run."""
    missing = []
    if os.geteuid() != 0:
        missing.append("not running as root")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        missing.append("the kernel has no BTF (/sys/kernel/btf/vmlinux)")
    for tool in ("ip", "setpriv"):
        if shutil.which(tool) is None:
            missing.append(f"'{tool}' is not installed")
    if not missing:
        return
    why = "; ".join(missing)
    skip_or_fail("kernel tests", why, f"kernel tests need root and BTF: {why}")


def require_tools(*tools):
    """Exit with a skip (or, in CI, a failure) when a program a test drives is
    missing; `scripts/deps.sh --test` installs them all."""
    missing = [t for t in tools if shutil.which(t) is None]
    if not missing:
        return
    skip_or_fail("this test",
                 f"{', '.join(missing)} not installed (scripts/deps.sh --test installs it)")


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class TwoHosts:
    """Two network namespaces joined by a veth pair: the client host (a) and
    the server host (b), with IPv4 and IPv6 addresses. Names carry our pid."""

    V4 = ("10.199.0.1", "10.199.0.2")
    V6 = ("fd42:199::1", "fd42:199::2")

    def __init__(self):
        pid = os.getpid()
        self.a = f"ebpflow{pid}a"
        self.b = f"ebpflow{pid}b"
        self.veth_a = f"ebf{pid}a"[:15]
        self.veth_b = f"ebf{pid}b"[:15]

    def __enter__(self):
        try:
            run("ip", "netns", "add", self.a)
            run("ip", "netns", "add", self.b)
            run("ip", "link", "add", self.veth_a, "netns", self.a, "type", "veth",
                "peer", "name", self.veth_b, "netns", self.b)
            for ns, dev, i in ((self.a, self.veth_a, 0), (self.b, self.veth_b, 1)):
                run("ip", "-n", ns, "link", "set", "lo", "up")
                run("ip", "-n", ns, "addr", "add", f"{self.V4[i]}/24", "dev", dev)
                run("ip", "-n", ns, "addr", "add", f"{self.V6[i]}/64", "dev", dev, "nodad")
                run("ip", "-n", ns, "link", "set", dev, "up")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for ns in (self.a, self.b):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


class Workload:
    """ebpflow-wl in a namespace, optionally as user nobody; a copy of the
    binary lives in a folder of ours that nobody can read and execute."""

    _dir = None

    # one copy for every subclass: set on Workload itself, where cleanup() looks
    @staticmethod
    def binary():
        if Workload._dir is None:
            Workload._dir = tempfile.mkdtemp(prefix=f"ebpflow-wl-{os.getpid()}-")
            os.chmod(Workload._dir, 0o755)
            shutil.copy(WORKLOAD, Workload._dir)
        return os.path.join(Workload._dir, "ebpflow-wl")

    @staticmethod
    def cleanup():
        if Workload._dir:
            shutil.rmtree(Workload._dir, ignore_errors=True)
            Workload._dir = None

    def __init__(self, netns, args, as_nobody=False):
        cmd = ["ip", "netns", "exec", netns]
        if as_nobody:
            cmd += ["setpriv", f"--reuid={NOBODY_UID}", f"--regid={NOBODY_UID}", "--clear-groups"]
        cmd += [self.binary()] + [str(a) for a in args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        _STARTED.append(self.proc)
        self.ready = self._line("ready")
        self.pid = self.ready["pid"]
        self.done = None

    def _line(self, word):
        line = self.proc.stdout.readline()
        if not line.startswith(word + " "):
            self.proc.kill()
            raise RuntimeError(f"workload said {line!r}, expected '{word} ...'")
        return {k: int(v) for k, v in (f.split("=") for f in line.split()[1:])}

    def wait(self, timeout=30):
        lines = {}
        for line in self.proc.stdout:
            word = line.split()[0]
            lines.setdefault(word, []).append(
                {k: int(v) for k, v in (f.split("=") for f in line.split()[1:])})
        self.proc.stdout.close()
        if self.proc.wait(timeout) != 0:
            raise RuntimeError(f"workload exited with {self.proc.returncode}")
        self.done = lines["done"][-1]
        self.sender = lines.get("sender", [None])[-1]
        self.workers = [w["pid"] for w in lines.get("worker", [])]
        return self


# a test module that forgets Workload.cleanup() leaves no copy behind either
atexit.register(Workload.cleanup)


def hooks_args():
    """--hooks TIER when the environment asks for one (the kernel matrix does)."""
    tier = os.environ.get("EBPFLOW_HOOKS", "")
    return ["--hooks", tier] if tier else []


class Ebpflow:
    """eBPFlow as a child: started, waited for until its probes are attached,
    stopped with SIGTERM (by its pid), its JSON records parsed. It runs the
    tier of hooks EBPFLOW_HOOKS names (auto when unset): .tier says which.

    Its stdout is read as it comes, by a thread: eBPFlow sees the whole host,
    and a pipe nobody reads would stop it once full. wait_for() waits for a
    record while it runs."""

    def __init__(self, *args, binary=None):
        self.proc = subprocess.Popen([binary or EBPFLOW, *hooks_args(), *args],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        _STARTED.append(self.proc)
        self._lines = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        self.stderr = ""
        # an emulated guest (the kernel matrix) needs longer to create a large
        # map: it sets EBPFLOW_START_TIMEOUT
        deadline = time.monotonic() + float(os.environ.get("EBPFLOW_START_TIMEOUT", "30"))
        while "watching" not in self.stderr:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.proc.kill()
                _, err = self.proc.communicate()
                raise RuntimeError(f"ebpflow did not start (exit {self.proc.returncode}): "
                                   f"{self.stderr}{err}")
            r, _, _ = select.select([self.proc.stderr], [], [], left)
            if r:
                self.stderr += os.read(self.proc.stderr.fileno(), 65536).decode()
        m = re.search(r"kernel \S+: (\w+) tier", self.stderr)
        self.tier = m.group(1) if m else None
        self._err = []
        self._err_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._err_reader.start()

    def _read_stderr(self):
        while True:
            chunk = os.read(self.proc.stderr.fileno(), 65536)
            if not chunk:
                return
            self._err.append(chunk)

    def _read_stdout(self):
        for line in self.proc.stdout:
            with self._cond:
                self._lines.append(line)
                self._cond.notify_all()

    def wait_for(self, pred, timeout=30):
        """Wait until a JSON record satisfies pred; returns it (RuntimeError on timeout)."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self._lines[seen:]:
                    if line.startswith("{") and pred(json.loads(line)):
                        return json.loads(line)
                seen = len(self._lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("ebpflow reported no such record in time")
                self._cond.wait(left)

    def wait_log(self, text, timeout=30, count=1):
        """Wait until eBPFlow's log (stderr) says text (count times)."""
        deadline = time.monotonic() + timeout
        while (self.stderr + b"".join(self._err).decode(errors="replace")).count(text) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"ebpflow did not log {text!r} in time")
            time.sleep(0.05)

    def stop(self, timeout=30):
        self.proc.send_signal(signal.SIGTERM)
        self.returncode = self.proc.wait(timeout)
        self._reader.join(timeout)
        self._err_reader.join(timeout)
        self.stderr += b"".join(self._err).decode(errors="replace")
        self.proc.stderr.close()
        self.stdout = "".join(self._lines)
        return self

    def records(self):
        """The flow records (stats records have a "type")."""
        return [r for r in self.all_records() if "type" not in r]

    def stats(self):
        return [r for r in self.all_records() if r.get("type") == "stats"]

    def all_records(self):
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def _bpf(cmd, attr):
    """The bpf(2) system call on a packed attribute: (result, errno, the
    attribute as the kernel left it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(bytes(attr), max(len(attr), 128))
    r = libc.syscall(321 if os.uname().machine == "x86_64" else 280, cmd, buf, len(buf))
    return r, ctypes.get_errno() if r < 0 else 0, buf.raw


def fill_bpf_map(pid, name):
    """Fill the hash map called name that process pid holds with keys 1, 2, ...
    (never a kernel address), values zero, until it refuses more: what a host
    with that many live entries looks like. Returns how many were added. The
    entries go with the process's map."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    fd = None
    try:
        for n in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{n}") != "anon_inode:bpf-map":
                    continue
            except OSError:
                continue
            got = libc.syscall(438, pidfd, int(n), 0)  # pidfd_getfd
            if got < 0:
                continue
            info = ctypes.create_string_buffer(88)
            _bpf(15, struct.pack("<IIQ", got, 88, ctypes.addressof(info)))  # GET_INFO_BY_FD
            key_size, value_size, max_entries = struct.unpack_from("<III", info.raw, 8)
            if info.raw[24:40].split(b"\0")[0].decode() == name:
                fd = got
                break
            os.close(got)
    finally:
        os.close(pidfd)
    if fd is None:
        raise RuntimeError(f"process {pid} holds no map {name}")
    added, chunk = 0, 16384
    try:
        while True:
            keys = ctypes.create_string_buffer(b"".join(
                (added + i + 1).to_bytes(key_size, "little") for i in range(chunk)))
            values = ctypes.create_string_buffer(value_size * chunk)
            r, err, out = _bpf(26, struct.pack(  # BPF_MAP_UPDATE_BATCH
                "<QQQQIIQQ", 0, 0, ctypes.addressof(keys), ctypes.addressof(values), chunk,
                fd, 0, 0))
            added += struct.unpack_from("<I", out, 32)[0]  # how many it took
            if r < 0:
                if err != errno.E2BIG:
                    raise OSError(err, f"filling {name}: {os.strerror(err)}")
                return added
    finally:
        os.close(fd)


COLLECTOR = os.path.join(BUILD_DIR, "ebpflow-collector")


def cgroup_root():
    """The cgroup v2 hierarchy: the unified one of a hybrid host, else the only one."""
    for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if os.path.exists(os.path.join(root, "cgroup.procs")):
            return root
    raise RuntimeError("no cgroup v2 hierarchy")


class CgroupDirs:
    """cgroup directories a test makes under the v2 root, removed deepest first;
    a directory that was already there is left to whoever made it."""

    def __init__(self):
        self.made = []

    def make(self, path):
        parts = path.split("/")
        for i in range(len(cgroup_root().split("/")) + 1, len(parts) + 1):
            d = "/".join(parts[:i])
            if not os.path.isdir(d):
                os.mkdir(d)
                self.made.append(d)
        return path

    def remove(self):
        for d in reversed(self.made):
            for _ in range(20):  # a cgroup just emptied may still be busy for a moment
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
        self.made = []


def udp_client_in_cgroup(cg, port, n):
    """ebpflow-wl moved into cgroup cg before it starts: n datagrams to
    127.0.0.1:port, 10 bytes each; its pid."""
    out = subprocess.run(["sh", "-c", f"echo $$ > {cg}/cgroup.procs && exec {WORKLOAD} "
                          f"udp-client 127.0.0.1 {port} {n} 10 sendto"], check=True,
                         capture_output=True, text=True).stdout
    return int(out.split("pid=")[1].split()[0])


def port_base(offset=0):
    """Ports of this test: derived from its pid, away from the usual ones."""
    return 20000 + (os.getpid() * 16 + offset) % 40000


class Process:
    """A child we started, stopped by its pid only."""

    def __init__(self, cmd, **kw):
        self.proc = subprocess.Popen(cmd, **kw)
        _STARTED.append(self.proc)

    def kill_if_running(self):
        """For a test's clean-up: nothing of ours left running when it fails."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return out, err


class Collector(Process):
    """ebpflow-collector listening on a loopback UDP port. Its output goes to a
    file of ours: a pipe nobody reads would stop it after 64 KiB."""

    def __init__(self, port, *args):
        self.out = tempfile.TemporaryFile(mode="w+", prefix=f"ebpflow-collector-{os.getpid()}-")
        super().__init__([COLLECTOR, "--udp", f"127.0.0.1:{port}", *args],
                         stdout=self.out, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        if "listening" not in line:
            self.stop()
            raise RuntimeError(f"ebpflow-collector did not start: {line}")

    def received(self):
        """The records received so far; the collector goes on."""
        self.out.seek(0)
        return [json.loads(line) for line in self.out.read().splitlines(keepends=True)
                if line.endswith("\n") and line.strip()]

    def records(self):
        _, err = self.stop()
        self.stderr = err
        self.out.seek(0)
        recs = [json.loads(line) for line in self.out if line.strip()]
        self.out.close()
        return recs


class Nfcapd(Process):
    """Debian's nfcapd on a loopback port, writing into a folder of ours."""

    def __init__(self, port):
        self.dir = tempfile.mkdtemp(prefix=f"ebpflow-nfcapd-{os.getpid()}-")
        super().__init__(["nfcapd", "-w", self.dir, "-b", "127.0.0.1", "-p", str(port),
                          "-t", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
        time.sleep(0.5)  # it binds at once; give it that moment
        if self.proc.poll() is not None:
            raise RuntimeError(f"nfcapd did not start: {self.proc.stderr.read()}")

    # what the tests read: nfdump -o csv has no column for the flows a record
    # aggregates (deltaFlowCount, TCP's count), so the columns are chosen here
    # %nbid/%nbnam: the RFC 6759 application id and "name/description" of its table
    FIELDS = ("ts", "te", "sa", "da", "sp", "dp", "pr", "fl", "ipkt", "ibyt", "opkt", "obyt",
              "dir", "nbid", "nbnam")

    def flows(self):
        """Stop it (SIGTERM writes the file) and read every flow with nfdump."""
        self.stop()
        fmt = "fmt:" + ";".join(f"%{f}" for f in self.FIELDS)
        out = subprocess.run(["nfdump", "-q", "-R", self.dir, "-o", fmt],
                             capture_output=True, text=True, check=True).stdout
        shutil.rmtree(self.dir, ignore_errors=True)
        rows = [[c.strip() for c in l.split(";")] for l in out.splitlines() if l.strip()]
        flows = [dict(zip(self.FIELDS, r)) for r in rows if len(r) == len(self.FIELDS)]
        for f in flows:  # flowDirection as -o csv shows it: 0 ingress, 1 egress
            f["dir"] = {"I": "0", "E": "1"}.get(f["dir"], f["dir"])
        return flows


def start_workload(*args):
    """ebpflow-wl on this host (loopback), once it said ready; .pid_reported is its pid."""
    p = subprocess.Popen([WORKLOAD, *map(str, args)], stdout=subprocess.PIPE, text=True)
    p.pid_reported = int(p.stdout.readline().split("pid=")[1].split()[0])
    return p


def udp_pair(port, n, spacing_ms=5):
    """n datagrams from a client to a server on loopback; (server pid, client pid)."""
    srv = start_workload("udp-server", "127.0.0.1", port, n)
    cli = subprocess.run([WORKLOAD, "udp-client", "127.0.0.1", str(port), str(n), str(spacing_ms),
                          "sendto"], capture_output=True, text=True, check=True)
    srv.communicate(timeout=20)
    return srv.pid_reported, int(cli.stdout.split("pid=")[1].split()[0])


def ipfix_calls(records, pid):
    """Calls that ebpflow-collector's records carry for one process (records are deltas)."""
    return sum(r.get("callDeltaCount", 0) for r in records if r.get("processId") == pid)


FLOW_ID = ("direction", "pid", "ip_version", "proto", "saddr", "daddr", "dport")


def flows_by_key(records):
    """Sum the records of each flow (records are deltas)."""
    flows = {}
    for r in records:
        k = tuple(r[f] for f in FLOW_ID)
        if k in flows:
            f = flows[k]
            for n in ("count", "bytes", "reverse_bytes", "failed"):
                f[n] += r[n]
            f["first_ms"] = min(f["first_ms"], r["first_ms"])
            f["last_ms"] = max(f["last_ms"], r["last_ms"])
            f["records"] += 1
        else:
            flows[k] = dict(r, records=1)
    return flows
