# SPDX-License-Identifier: GPL-2.0-only
"""Another Debian release's userland for the tests: a root made by
mmdebstrap, cached, and the mounts a chroot into it needs. Python's
standard library only.

mmdebstrap rather than debootstrap: it downloads with apt, several packages
at a time, and unpacks them in one dpkg run: the same trixie root took 4m14s
with it here, 6m45s with debootstrap, and CI makes it on every fresh machine.

The root is made whole or not at all (in NAME.tmp, renamed when complete),
named after its package list, so a changed list makes a new one. Every mount
this module makes lives in a private mount namespace of the calling process
(private_mounts()): whatever a run leaves mounted, even when killed, goes
away with that process and is never seen by the host.
"""
import ctypes
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import time

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEBIAN_SOURCES = "/etc/apt/sources.list.d/debian.sources"
CLONE_NEWNS = 0x00020000
STAMP = ".ebpflow-userland"   # in a finished root: its suite and package list


class Unavailable(Exception):
    """The root cannot be had here (no mmdebstrap, no archive entry, apt failed)."""


def deps_packages(var="BUILD_PACKAGES"):
    """The packages scripts/deps.sh names in VAR: the build's, one list for every userland."""
    with open(os.path.join(SOURCE, "scripts", "deps.sh")) as f:
        m = re.search(rf'(?ms)^{var}="(.*?)"', f.read())
    return [w for line in m.group(1).splitlines() for w in line.split("#")[0].split()]


def mirror():
    """The host's Debian archive (its main entry's first URI): copied, never named here."""
    try:
        with open(DEBIAN_SOURCES) as f:
            stanzas = [s for s in re.split(r"\n\s*\n", f.read()) if "Suites:" in s]
    except OSError as e:
        raise Unavailable(f"{DEBIAN_SOURCES}: {e.strerror}: no Debian archive to copy") from e
    for s in stanzas:
        suites = re.search(r"(?m)^Suites:(.*)$", s).group(1).split()
        uris = re.search(r"(?m)^URIs:(.*)$", s)
        if uris and not any(x.endswith("-security") for x in suites):
            return uris.group(1).split()[0]
    raise Unavailable(f"{DEBIAN_SOURCES} has no entry for Debian's main archive")


def private_mounts():
    """Give this process a mount namespace of its own, nothing shared back."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)


def mounted_under(path):
    """Mount points at or under path in this namespace, deepest first."""
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            # octal escapes (\040) in paths: ours have none, so compare as they are
            target = line.split()[4]
            if target == path or target.startswith(path + "/"):
                found.append(target)
    return sorted(set(found), key=lambda t: -t.count("/"))


class Root:
    """A root of SUITE with PACKAGES, in CACHE/SUITE-KEY; of another
    architecture than the host's with arch. options: more of mmdebstrap's;
    finish(DIR): what the root needs after mmdebstrap, before it is kept
    (tests/vm/arm64.py: a root whose packages were only unpacked)."""

    def __init__(self, cache, suite, packages, variant="minbase", arch=None, options=(),
                 finish=None):
        self.suite = suite
        self.packages = sorted(set(packages))
        self.variant = variant
        self.arch = arch
        self.options = list(options)
        self.finish = finish
        spec = f"{suite} {variant} {' '.join(self.packages)}\n"
        if arch:
            spec = f"{arch} {spec}"
        if options:
            spec = f"{' '.join(options)} {spec}"
        self.spec = spec
        key = hashlib.sha256(spec.encode()).hexdigest()[:12]
        self.cache = cache
        self.path = os.path.join(cache, f"{suite}-{key}")
        self._lock = None

    def lock(self):
        """One run at a time per root: the build inside it is shared."""
        os.makedirs(self.cache, exist_ok=True)
        self._lock = open(self.path + ".lock", "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)

    def share(self):
        """Made: other runs may use it at the same time now (none may remove
        it: _forget_others takes the lock exclusively)."""
        fcntl.flock(self._lock, fcntl.LOCK_SH)

    def unlock(self):
        if self._lock:
            self._lock.close()
            self._lock = None

    def ready(self):
        try:
            with open(os.path.join(self.path, STAMP)) as f:
                return f.read() == self.spec
        except OSError:
            return False

    def make(self, log):
        """Make it unless the cache has it; True if it was made now. Needs
        private_mounts(): mmdebstrap mounts proc, sys and dev inside."""
        if self.ready():
            return False
        if shutil.which("mmdebstrap") is None:
            raise Unavailable("mmdebstrap is not installed (scripts/deps.sh --test installs it)")
        tmp = self.path + ".tmp"
        for d in (tmp, self.path):   # an interrupted run's, or a broken one
            shutil.rmtree(d, ignore_errors=True)
        cmd = ["mmdebstrap", f"--variant={self.variant}", "--format=directory",
               *([f"--architectures={self.arch}"] if self.arch else []), *self.options,
               f"--include={','.join(self.packages)}", self.suite, tmp, mirror()]
        with open(log, "w") as out:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        for m in mounted_under(tmp):   # mmdebstrap's own, left by a failure
            subprocess.run(["umount", "-l", m])
        if r.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise Unavailable(f"mmdebstrap exited {r.returncode} (log: {log})")
        if self.finish:
            try:
                self.finish(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        with open(os.path.join(tmp, STAMP), "w") as f:
            f.write(self.spec)
        os.rename(tmp, self.path)
        self._forget_others()
        return True

    def _forget_others(self):
        """Roots of an older package list of this suite: nothing uses them again."""
        mine = os.path.basename(self.path)
        for name in os.listdir(self.cache):
            if (name.startswith(self.suite + "-") and name != mine
                    and not name.endswith((".lock", ".tmp"))):
                lock = os.path.join(self.cache, name + ".lock")
                with open(lock, "w") as f:
                    try:   # not while another run uses it
                        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:
                        continue
                    shutil.rmtree(os.path.join(self.cache, name), ignore_errors=True)
                os.unlink(lock)

    def size_mb(self):
        r = subprocess.run(["du", "-sm", self.path], capture_output=True, text=True)
        return int(r.stdout.split()[0]) if r.returncode == 0 else None


class Mounts:
    """Mounts into a root, undone in reverse order on leaving, even on failure;
    a mount still busy then is detached (lazy), and none may remain."""

    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.done = []

    def __enter__(self):
        return self

    def mount(self, *args, at):
        target = os.path.normpath(os.path.join(self.root, at.lstrip("/")))
        os.makedirs(target, exist_ok=True)
        subprocess.run(["mount", *args, target], check=True)
        self.done.append(target)
        return target

    def bind(self, source, at, readonly=False, recursive=False):
        target = self.mount("--rbind" if recursive else "--bind", source, at=at)
        if readonly:
            subprocess.run(["mount", "-o", "remount,bind,ro", target], check=True)
        return target

    def root_itself(self):
        """The root as a mount point of its own, as a real root is: without it,
        what changes the propagation of / in the chroot (unshare --mount, ip -n)
        fails with EINVAL."""
        self.bind(self.root, "/")

    def kernel_filesystems(self):
        """What the kernel tests need, as on a host: the host's /sys (cgroups
        with it) and /dev, our own proc, bpffs, tracefs, and scratch in memory."""
        self.mount("-t", "proc", "proc", at="/proc")
        self.bind("/sys", "/sys", recursive=True)
        for fs, at in (("bpf", "/sys/fs/bpf"), ("tracefs", "/sys/kernel/tracing")):
            if not os.path.ismount(os.path.join(self.root, at.lstrip("/"))):
                self.mount("-t", fs, fs, at=at)
        self.bind("/dev", "/dev", recursive=True)
        for at in ("/tmp", "/run", "/var/tmp"):
            self.mount("-t", "tmpfs", "-o", "mode=1777", "tmpfs", at=at)

    def __exit__(self, *exc):
        for target in reversed(self.done):
            if subprocess.run(["umount", "-R", target], stderr=subprocess.DEVNULL).returncode:
                time.sleep(0.5)   # a process of ours still dying
                subprocess.run(["umount", "-R", "-l", target], stderr=subprocess.DEVNULL)
        left = [m for t in self.done for m in mounted_under(t)]
        self.done = []
        if left:
            raise RuntimeError(f"still mounted after the run: {', '.join(left)}")
