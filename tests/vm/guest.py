# SPDX-License-Identifier: GPL-2.0-only
"""Run commands on another kernel: Debian's own, booted in a qemu guest whose
root is the host's, read-only over 9p (over virtio-fs where the kernel has
no 9p: virtiofs.py). An arm64 kernel boots in qemu-system-aarch64 and needs
an arm64 root (root=, arm64.py). Python's standard library only.

    from guest import Guest
    rc, out, err = Guest("6.1").run(["uname", "-r"])
    results = Guest("5.10").run_many([Command(["true"]), Command(["false"])])  # one boot

Environment: EBPFLOW_VM_ACCEL=auto|kvm|tcg (default auto: KVM where a KVM
guest starts, else TCG; KVM guests can hang on machines that are themselves
virtual, so auto tries once per host boot and remembers),
EBPFLOW_VM_MEMORY (default 2G), EBPFLOW_VM_CACHE (kernels, initramfs, logs;
default BUILD/vm), EBPFLOW_VM_KEEP=1 keeps the exchange folder (boot script,
each command's script, output and exit code) for debugging.

The guest's /tmp, /run and /var/tmp are its own (memory): the host's
folders a command needs there (a clone in /tmp: its working directory, and
every absolute path in its argv and env) are bound back into them, read-only.

The boot is parameterised for other uses: `boot_script` replaces boot.sh (for
instance to switch_root into systemd), `setup` is shell run after the standard
mounts (extra mounts; $R is the new root), `cmdline` is appended to the
kernel's command line, `modules` adds kernel modules, `root` shares
another folder than the host's / as the guest's root (another release's
userland: tests/userland), in which the commands' paths are then taken.
"""
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from typing import NamedTuple, Optional

import kernels
import virtiofs
from kernels import Kernel, KernelUnavailable  # noqa: F401 (callers catch it)

HERE = os.path.dirname(os.path.abspath(__file__))
BOOT_ALLOWANCE = 180   # seconds for qemu to start and the guest to boot, on TCG
# Folders of the host's root that a guest covers with its own memory
# (boot.sh, systemd_boot.sh): what a command needs in them is bound back.
SCRATCH = ("/tmp", "/run", "/var/tmp")
BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb",
    # the root is read-only: nowhere to write bytecode
    "PYTHONDONTWRITEBYTECODE": "1",
}


class Command(NamedTuple):
    argv: list
    env: Optional[dict] = None   # added to BASE_ENV; the host's is not passed on
    cwd: Optional[str] = None    # default: the caller's working directory
    timeout: float = 600


class Result(NamedTuple):
    rc: Optional[int]    # None: the command never finished (guest killed or died)
    stdout: str
    stderr: str
    seconds: Optional[float]   # wall time in the guest
    timed_out: bool


class GuestError(Exception):
    pass


ACCEL = {"kvm": ["-accel", "kvm", "-cpu", "host"], "tcg": ["-accel", "tcg", "-cpu", "max"]}
# An arm64 kernel's guest: always emulated here. Pointer authentication with
# QEMU's own algorithm (pauth-impdef) runs about 3 times faster than the
# architected one, and the kernel cannot tell.
ARM64 = {"qemu": "qemu-system-aarch64", "package": "qemu-system-arm", "console": "ttyAMA0",
         "machine": ["-M", "virt", "-accel", "tcg", "-cpu", "max,pauth-impdef=on"]}
KVM_PROBE_SECONDS = 15   # a KVM guest prints on its console within a second


def choose_accel(cache):
    """"kvm", "tcg", or "probe" (try KVM, fall back to TCG) for EBPFLOW_VM_ACCEL.
    /dev/kvm can open and yet guests hang (nested virtualisation): auto tries
    once per host boot and remembers the verdict in the cache."""
    want = os.environ.get("EBPFLOW_VM_ACCEL", "auto")
    if want in ACCEL:
        return want
    if want != "auto":
        raise GuestError(f"EBPFLOW_VM_ACCEL={want}: use auto, kvm or tcg")
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError:
        return "tcg"
    try:
        with open(os.path.join(cache, "kvm-verdict")) as f:
            boot_id, verdict = f.read().split()
        if boot_id == _boot_id():
            return verdict
    except (OSError, ValueError):
        pass
    return "probe"


def _boot_id():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


def qemu_binary(arch="amd64"):
    name, package = (ARM64["qemu"], ARM64["package"]) if arch == "arm64" else \
        ("qemu-system-x86_64", "qemu-system-x86")
    path = shutil.which(name)
    if path is None:
        raise GuestError(f"{name} is not installed (Debian: {package})")
    return path


class Guest:
    def __init__(self, series, cache=None, memory=None, smp=2, cmdline="", setup="",
                 boot_script=None, modules=(), root_opts="msize=262144,cache=loose", root="/"):
        self.kernel = Kernel(series, cache)   # fetched on first use
        self.series = series
        self.memory = memory or os.environ.get("EBPFLOW_VM_MEMORY", "2G")
        self.smp = smp
        self.cmdline = cmdline
        self.setup = setup
        self.boot_script = boot_script or os.path.join(HERE, "boot.sh")
        base = kernels.VIRTIOFS_MODULES if self.kernel.share == "virtiofs" else kernels.MODULES
        self.modules = base + list(modules)
        self.root_opts = root_opts
        self.root = root
        self.boot_seconds = None   # qemu start to the first command, last boot
        self.console_log = None
        self.accel = None          # "kvm" or "tcg", last boot

    def run(self, argv, env=None, cwd=None, timeout=600):
        """One command in a fresh guest: (exit code, stdout, stderr)."""
        r = self.run_many([Command(argv, env, cwd, timeout)])[0]
        return r.rc, r.stdout, r.stderr

    def run_many(self, commands):
        """Commands one after another in one boot: a Result for each."""
        logs = os.path.join(self.kernel.cache, "logs")
        os.makedirs(logs, exist_ok=True)
        self.console_log = os.path.join(logs, f"{self.series}-{os.getpid()}.console.log")
        xchg = tempfile.mkdtemp(prefix=f"ebpflow-vm-{os.getpid()}-")
        try:
            self._prepare(xchg, commands)
            limit = BOOT_ALLOWANCE + sum(c.timeout for c in commands) + 30
            self._boot(xchg, limit)
            return [self._result(xchg, i, c) for i, c in enumerate(commands)]
        finally:
            if os.environ.get("EBPFLOW_VM_KEEP"):
                print(f"vm: {self.series}: exchange folder kept: {xchg}", flush=True)
            else:
                shutil.rmtree(xchg, ignore_errors=True)
            for tag in ("hostroot", "xchg"):   # virtio-fs sockets (_shares)
                if os.path.exists(f"{xchg}.{tag}.sock"):
                    os.unlink(f"{xchg}.{tag}.sock")

    @staticmethod
    def kept_paths(commands):
        """The host folders under SCRATCH that the commands name: their working
        directories and every absolute path in their argv and env, outermost only."""
        wanted = set()
        for c in commands:
            for p in [c.cwd or os.getcwd(), *map(str, c.argv), *(c.env or {}).values()]:
                p = str(p)
                if not os.path.isabs(p) or not os.path.exists(p):
                    continue
                p = os.path.realpath(p)
                if not os.path.isdir(p):
                    p = os.path.dirname(p)
                if any(p.startswith(d + "/") for d in SCRATCH):
                    wanted.add(p)
        return sorted(p for p in wanted
                      if not any(p.startswith(q + "/") for q in wanted if q != p))

    def _prepare(self, xchg, commands):
        shutil.copy(self.boot_script, os.path.join(xchg, "boot.sh"))
        # in another root, the commands' paths are not the host's
        kept = self.kept_paths(commands) if self.root == "/" else []
        aside = "".join(f"mkdir -p /keep/{i} && mount --bind \"$1\"{shlex.quote(p)} /keep/{i} ||"
                        f" off {shlex.quote('cannot keep ' + p)}\n" for i, p in enumerate(kept))
        back = "".join(f"mkdir -p \"$1\"{shlex.quote(p)} && mount --bind /keep/{i} \"$1\""
                       f"{shlex.quote(p)} && umount /keep/{i} ||"
                       f" off {shlex.quote('cannot keep ' + p)}\n" for i, p in enumerate(kept))
        with open(os.path.join(xchg, "config.sh"), "w") as f:
            f.write(f"ROOT_OPTS={shlex.quote(self.root_opts)}\n")
            # mount_root DIR: the host's root, read-only, over the kernel's share
            if self.kernel.share == "virtiofs":
                f.write("mount_root() {\n\tmount -t virtiofs -o ro hostroot \"$1\"\n}\n")
            else:
                f.write("mount_root() {\n\tmount -t 9p -o \"trans=virtio,version=9p2000.L,ro,"
                        "$ROOT_OPTS\" hostroot \"$1\"\n}\n")
            f.write(f"setup() {{\n:\n{self.setup}\n}}\n")
            # the host's folders under SCRATCH the commands need: aside from the
            # host's root ($1) before the guest's own memory covers them, then back
            # into the new root ($1)
            f.write(f"keep_aside() {{\n:\n{aside}}}\nkeep_back() {{\n:\n{back}}}\n")
        os.mkdir(os.path.join(xchg, "cmd"))
        for i, c in enumerate(commands):
            env = dict(BASE_ENV, **(c.env or {}))
            cwd = c.cwd or os.getcwd()
            script = (f"cd {shlex.quote(cwd)} || exit 125\n"
                      f"exec env -i {' '.join(shlex.quote(f'{k}={v}') for k, v in env.items())} "
                      f"{shlex.join(str(a) for a in c.argv)}\n")
            base = os.path.join(xchg, "cmd", f"{i:03d}")
            with open(base + ".sh", "w") as f:
                f.write(script)
            with open(base + ".timeout", "w") as f:
                f.write(f"{int(c.timeout)}\n")

    def _boot(self, xchg, limit):
        # an arm64 kernel needs an arm64 busybox: the arm64 root's
        busybox = os.path.join(self.root, "bin", "busybox") if self.kernel.arch == "arm64" \
            else kernels.BUSYBOX
        with open(os.path.join(HERE, "init.sh")) as f:
            initrd = self.kernel.initramfs(f.read(), self.modules, busybox)
        mode = "tcg" if self.kernel.arch == "arm64" else choose_accel(self.kernel.cache)
        if mode == "probe":
            works = self._qemu(xchg, limit, initrd, "kvm", probe=True)
            with open(os.path.join(self.kernel.cache, "kvm-verdict"), "w") as f:
                f.write(f"{_boot_id()} {'kvm' if works else 'tcg'}\n")
            if works:
                return
            print(f"vm: a KVM guest printed nothing in {KVM_PROBE_SECONDS}s (nested "
                  "virtualisation?): TCG from now on, until the host reboots", flush=True)
            mode = "tcg"
        self._qemu(xchg, limit, initrd, mode)

    def _qemu(self, xchg, limit, initrd, mode, probe=False):
        """Run the guest to its end. With probe, give up (False) if its
        console stays empty for KVM_PROBE_SECONDS."""
        self.accel = mode
        arm64 = self.kernel.arch == "arm64"
        machine = ARM64["machine"] if arm64 else ACCEL[mode]
        console = ARM64["console"] if arm64 else "ttyS0"
        cmd = [qemu_binary(self.kernel.arch), "-nodefaults", "-no-user-config", "-display", "none",
               "-no-reboot", *machine, "-smp", str(self.smp), "-m", self.memory,
               "-kernel", self.kernel.vmlinuz, "-initrd", initrd,
               "-append", f"console={console} panic=-1 random.trust_cpu=on {self.cmdline}".strip(),
               "-serial", f"file:{self.console_log}",
               "-device", "virtio-rng-pci"]
        daemons = []
        self.boot_seconds = None
        try:
            cmd += self._shares(xchg, daemons)
            t0 = time.monotonic()
            with open(self.console_log + ".qemu", "w") as qlog:
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog, stderr=qlog)
                try:
                    if not self._wait(proc, xchg, limit, probe, t0):
                        return False
                finally:
                    if proc.poll() is None:   # interrupted: leave no guest behind
                        proc.kill()           # our qemu, by its pid
                        proc.wait()
        finally:
            for d in daemons:
                virtiofs.stop(d)
        if self.boot_seconds is None:
            raise GuestError(f"{self.series}: the guest never reached its commands "
                             f"(qemu exited {proc.returncode}); console log: {self.console_log}")
        return True

    def _shares(self, xchg, daemons):
        """qemu's arguments for the two shares (the root read-only, the
        exchange folder); virtiofsd daemons started for them go in daemons."""
        if self.kernel.share == "9p":
            return ["-virtfs", f"local,path={self.root},mount_tag=hostroot,security_model=none,"
                               "readonly=on,multidevs=remap",
                    "-virtfs", f"local,path={xchg},mount_tag=xchg,security_model=none"]
        # virtio-fs: the guest's memory must be shared with the daemons
        fsd = virtiofs.Virtiofsd(self.kernel.cache)
        args = ["-object", f"memory-backend-memfd,id=mem,size={self.memory},share=on",
                "-numa", "node,memdev=mem"]
        # the sockets beside the exchange folder (not in it: it is shared);
        # removed with it (run_many)
        for tag, path, ro in (("hostroot", self.root, True), ("xchg", xchg, False)):
            sock = f"{xchg}.{tag}.sock"
            daemons.append(fsd.start(path, sock, f"{self.console_log}.{tag}.virtiofsd", ro))
            args += ["-chardev", f"socket,id={tag},path={sock}",
                     "-device", f"vhost-user-fs-pci,chardev={tag},tag={tag}"]
        return args

    def _wait(self, proc, xchg, limit, probe, t0):
        started = os.path.join(xchg, "started")
        while proc.poll() is None:
            now = time.monotonic()
            if self.boot_seconds is None and os.path.exists(started):
                self.boot_seconds = now - t0
            if probe and now - t0 > KVM_PROBE_SECONDS:
                probe = False
                if os.path.getsize(self.console_log) == 0:
                    return False
            if now - t0 > limit:   # the caller's finally kills it
                raise GuestError(f"{self.series}: qemu killed after {limit:.0f}s "
                                 f"(hard timeout); console log: {self.console_log}")
            time.sleep(0.2)
        return True

    @staticmethod
    def _result(xchg, i, c):
        base = os.path.join(xchg, "cmd", f"{i:03d}")

        def read(ext):
            try:
                with open(base + ext, errors="replace") as f:
                    return f.read()
            except FileNotFoundError:
                return ""
        status = read(".rc").split()
        if len(status) != 3:
            return Result(None, read(".out"), read(".err"), None, False)
        rc, t0, t1 = int(status[0]), float(status[1]), float(status[2])
        seconds = t1 - t0
        # busybox's timeout sends SIGKILL: 128 + 9
        return Result(rc, read(".out"), read(".err"), seconds, rc == 137 and seconds >= c.timeout)
