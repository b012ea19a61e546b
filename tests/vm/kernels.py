# SPDX-License-Identifier: GPL-2.0-only
"""Debian's own kernels for the guests: fetched with apt at test time into a
cache (never committed), and an initramfs that loads what 9p needs.

apt runs on a private state in the cache (its own sources, lists and package
cache, made by copying the host's Debian entry with another suite), so the
host's apt configuration is never changed and no suite of another release is
ever offered to the host's own upgrades.
"""
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import tempfile
from functools import cmp_to_key

# series -> (Debian suite, package name). The -cloud flavours (the kernels of
# Debian's cloud images) have no 9p: their guests share over virtio-fs
# (Kernel.share, virtiofs.py). 6.12-trixie: the newest kernel Debian ships.
SERIES = {
    "5.10": ("bullseye", r"linux-image-5\.10\.0-[0-9]+-amd64-unsigned"),
    "6.1": ("bookworm", r"linux-image-6\.1\.0-[0-9]+-amd64-unsigned"),
    "6.12": ("bookworm-backports", r"linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned"),
    "6.12-trixie": ("trixie", r"linux-image-6\.12\.[0-9]+\+deb13-amd64-unsigned"),
    "6.1-cloud": ("bookworm", r"linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned"),
    "6.12-cloud": ("trixie", r"linux-image-6\.12\.[0-9]+\+deb13-cloud-amd64-unsigned"),
    # arm64 (qemu-system-aarch64, an arm64 root: arm64.py)
    "6.1-arm64": ("bookworm", r"linux-image-6\.1\.0-[0-9]+-arm64-unsigned"),
    "6.12-arm64": ("trixie", r"linux-image-6\.12\.[0-9]+\+deb13-arm64-unsigned"),
}
# Debian's architecture of each series' kernel, where it is not amd64
ARCH = {"6.1-arm64": "arm64", "6.12-arm64": "arm64"}

# Modules loaded in the guest (with what they depend on, first). virtio_pci
# comes first: the 9p transport finds its device only once the bus is up.
# A module a kernel has built in, or lacks, is skipped. netem and nftables
# (with numgen) make the delay, loss and dropped SYNs of test_tcphealth;
# nf_tables needs crc32c, which modules.dep does not say.
TEST_MODULES = ["sch_netem", "crc32c_generic", "libcrc32c", "nf_tables", "nft_numgen"]
MODULES = ["virtio_pci", "virtio_rng", "9pnet_virtio", "9p", "veth", *TEST_MODULES]
# The same for a kernel without 9p (share "virtiofs").
VIRTIOFS_MODULES = ["virtio_pci", "virtio_rng", "virtiofs", "veth", *TEST_MODULES]

BUSYBOX = "/bin/busybox"  # Debian's busybox-static


class KernelUnavailable(Exception):
    """The kernel cannot be had here (apt failed, no such package)."""


def default_cache():
    build = os.environ.get("EBPFLOW_BUILD_DIR",
                           os.path.join(os.path.dirname(__file__), "..", "..", "build"))
    return os.path.abspath(os.environ.get("EBPFLOW_VM_CACHE", os.path.join(build, "vm")))


def _debian_entries():
    """The host's deb822 stanzas for Debian's archive (main and security)."""
    path = "/etc/apt/sources.list.d/debian.sources"
    if not os.path.exists(path):
        raise KernelUnavailable(f"{path} is missing: no Debian archive entry to copy")
    with open(path) as f:
        stanzas = [s for s in re.split(r"\n\s*\n", f.read()) if "Suites:" in s]
    if not stanzas:
        raise KernelUnavailable(f"{path} has no entry")
    return stanzas


class Apt:
    """apt-get/apt-cache on a private state for one suite."""

    def __init__(self, cache, suite, arch=None):
        self.dir = os.path.join(cache, "apt", suite + (f"-{arch}" if arch else ""))
        self.suite = suite
        # another architecture's packages: only for unpacking, never installed
        self.opts = ["-o", f"APT::Architectures={arch}", "-o", f"APT::Architecture={arch}"] \
            if arch else []
        for key, sub in (("Dir::Etc::SourceList", "etc/sources.list"),
                         ("Dir::Etc::SourceParts", "etc/sources.list.d"),
                         ("Dir::Etc::Preferences", "etc/preferences"),
                         ("Dir::Etc::PreferencesParts", "etc/preferences.d"),
                         ("Dir::State::Lists", "lists"),
                         ("Dir::Cache", "cache")):
            self.opts += ["-o", f"{key}={os.path.join(self.dir, sub)}"]

    def _setup(self):
        for sub in ("etc/sources.list.d", "etc/preferences.d", "lists/partial",
                    "cache/archives/partial"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        open(os.path.join(self.dir, "etc/sources.list"), "w").close()
        # the main archive's entry (the security archive has other suites)
        main = [s for s in _debian_entries() if "-security" not in s]
        text = re.sub(r"(?m)^Suites:.*$", f"Suites: {self.suite}", main[0])
        with open(os.path.join(self.dir, "etc/sources.list.d/ebpflow-vm.sources"), "w") as f:
            f.write(text.strip() + "\n")

    def update(self):
        self._setup()
        self._run("apt-get", "-q", "update")

    def _run(self, *cmd, cwd=None):
        p = subprocess.run([cmd[0], *self.opts, *cmd[1:]], cwd=cwd, capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise KernelUnavailable(f"{' '.join(cmd)} failed: {p.stderr.strip()[-800:]}")
        return p.stdout

    def newest(self, pattern):
        """(package, version) of the newest package whose name matches."""
        names = [line.split(" - ")[0] for line in
                 self._run("apt-cache", "search", "--names-only", f"^{pattern}$").splitlines()]
        found = []
        for name in names:
            show = self._run("apt-cache", "show", "--no-all-versions", name)
            found.append((name, re.search(r"(?m)^Version: (\S+)", show).group(1)))
        if not found:
            raise KernelUnavailable(f"no package matches {pattern} in {self.suite}")

        def cmp(a, b):
            if a[1] == b[1]:
                return 0
            lt = subprocess.run(["dpkg", "--compare-versions", a[1], "lt", b[1]]).returncode
            return -1 if lt == 0 else 1
        return max(found, key=cmp_to_key(cmp))

    def download(self, package, cwd):
        self._run("apt-get", "-q", "download", package, cwd=cwd)


class Kernel:
    """One unpacked kernel package: vmlinuz, modules, and its initramfs."""

    def __init__(self, series, cache=None):
        if series not in SERIES:
            raise ValueError(f"unknown kernel series {series}; known: {', '.join(SERIES)}")
        self.series = series
        self.arch = ARCH.get(series, "amd64")
        self.cache = cache or default_cache()
        self.dir = os.path.join(self.cache, "kernels", series)
        if not os.path.exists(os.path.join(self.dir, "package")):
            self._fetch()
        with open(os.path.join(self.dir, "package")) as f:
            self.package, self.version = f.read().split()
        root = os.path.join(self.dir, "root")
        # trixie's packages are merged-/usr: their modules are in usr/lib
        (lib,) = [d for d in (os.path.join(root, "lib", "modules"),
                              os.path.join(root, "usr", "lib", "modules")) if os.path.isdir(d)]
        (self.release,) = os.listdir(lib)
        self.vmlinuz = os.path.join(root, "boot", f"vmlinuz-{self.release}")
        self.config = os.path.join(root, "boot", f"config-{self.release}")
        self.modules = os.path.join(lib, self.release)
        self.share = self._share()

    def _share(self):
        """How the guest reaches the host's folders: "9p", or "virtiofs"
        where the kernel was built without 9p (Debian's cloud flavour)."""
        with open(self.config) as f:
            config = f.read()
        if re.search(r"(?m)^CONFIG_NET_9P=", config):
            return "9p"
        if re.search(r"(?m)^CONFIG_VIRTIO_FS=", config):
            return "virtiofs"
        raise KernelUnavailable(f"{self.package} has neither 9p nor virtio-fs")

    def _fetch(self):
        suite, pattern = SERIES[self.series]
        apt = Apt(self.cache, suite, ARCH.get(self.series))
        apt.update()
        package, version = apt.newest(pattern)
        print(f"vm: fetching {package} {version} ({suite})", flush=True)
        os.makedirs(os.path.dirname(self.dir), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{self.series}-{os.getpid()}-", dir=os.path.dirname(self.dir))
        try:
            apt.download(package, tmp)
            (deb,) = [f for f in os.listdir(tmp) if f.endswith(".deb")]
            subprocess.run(["dpkg-deb", "-x", os.path.join(tmp, deb), os.path.join(tmp, "root")],
                           check=True)
            os.unlink(os.path.join(tmp, deb))
            with open(os.path.join(tmp, "package"), "w") as f:
                f.write(f"{package} {version}\n")
            try:
                os.rename(tmp, self.dir)  # whole or not at all
            except OSError:
                if not os.path.exists(os.path.join(self.dir, "package")):
                    raise
                shutil.rmtree(tmp)  # another run unpacked it meanwhile: take theirs
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def module_order(self, wanted=MODULES):
        """Files of the wanted modules and their dependencies, dependencies
        first; names the kernel has built in or lacks are left out."""
        files = {}
        for top, _, names in os.walk(self.modules):
            for n in names:
                m = re.match(r"(.+)\.ko(\.xz)?$", n)
                if m:
                    files[m.group(1).replace("-", "_")] = os.path.join(top, n)
        order = []

        def visit(name):
            if name in order or name not in files:
                return
            for dep in _depends(_read_ko(files[name])):
                visit(dep)
            order.append(name)
        for name in wanted:
            visit(name.replace("-", "_"))
        return [(name, files[name]) for name in order]

    def initramfs(self, init_script, wanted=MODULES, busybox=BUSYBOX):
        """Path of an initramfs with busybox (a static one of the kernel's
        architecture), init_script as /init and the modules (decompressed:
        busybox insmod reads plain .ko), made once."""
        modules = self.module_order(wanted)
        with open(busybox, "rb") as f:
            busybox = f.read()
        key = hashlib.sha256(init_script.encode() + busybox + repr(modules).encode()).hexdigest()
        path = os.path.join(self.dir, f"initramfs-{key[:16]}.cpio")
        if os.path.exists(path):
            return path
        c = Cpio()
        for d in ("bin", "dev", "proc", "sys", "newroot", "xchg", "tmp", "modules"):
            c.add(d, 0o040755)
        c.add("dev/console", 0o020600, rdev=(5, 1))
        c.add("bin/busybox", 0o100755, busybox)
        c.add("init", 0o100755, init_script.encode())
        c.add("modules/order", 0o100644, "".join(f"{n}\n" for n, _ in modules).encode())
        for name, f in modules:
            c.add(f"modules/{name}.ko", 0o100644, _read_ko(f))
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(c.finish())
        os.rename(tmp, path)
        return path


def _read_ko(path):
    with open(path, "rb") as f:
        data = f.read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def _depends(ko):
    """The depends= of a module's .modinfo (what modprobe would load first)."""
    m = re.search(rb"\0depends=([^\0]*)\0", ko)
    return [d.decode() for d in m.group(1).split(b",") if d] if m else []


class Cpio:
    """A newc archive written here rather than by `busybox cpio -o`: it can
    hold /dev/console without mknod (so without root), and is the same bytes
    for the same input."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 1

    def add(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.encode() + b"\0"
        fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name), 0)
        self.out += b"070701" + b"".join(b"%08x" % v for v in fields) + name
        self.out += b"\0" * (-len(self.out) % 4) + data
        self.out += b"\0" * (-len(self.out) % 4)
        self.ino += 1

    def finish(self):
        self.add("TRAILER!!!", 0)
        return bytes(self.out)
