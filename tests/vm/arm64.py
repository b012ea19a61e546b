#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""eBPFlow on arm64, from an amd64 host: an arm64 Debian root, the cross
build against it, and the arm64 kernel's vmlinux.h. Python's standard
library only; the kernel matrix (tests/vm/matrix) boots the result.

    tests/vm/arm64.py vmlinux 6.12-arm64 > vmlinux-arm64.h
    tests/vm/arm64.py root                # make (or find) the root, print its path
    tests/vm/arm64.py build DIR           # the cross build in DIR

The root (mmdebstrap --architectures=arm64) is both the guests' root file
system and the cross compiler's sysroot: it holds what the kernel tests run
(python3, iproute2, bpftool), an arm64 busybox for the guests' initramfs,
and the -dev packages that the build needs (scripts/deps.sh BUILD_PACKAGES),
so nothing of arm64 is installed on the host. Its packages are only unpacked
(--variant=extract): no maintainer script runs, so nothing runs emulated
and the root takes under a minute instead of about ten; the little of their
work that the tests need is done here (finish). It is cached in
BUILD/vm/arm64-root/, named after its package list.

vmlinux.h comes from the kernel image itself: an arm64 vmlinuz is a plain
Image whose .BTF section (the same bytes as /sys/kernel/btf/vmlinux once
booted) starts with BTF's magic, so no boot is needed to build.
"""
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "userland"))
sys.path.insert(0, HERE)
import kernels  # noqa: E402
import root as rootfs  # noqa: E402

SUITE = "bookworm"
# what the guests run; busybox-static: the initramfs's /init. Unpacked, a
# package brings its dependencies but not the essential packages, which
# nothing declares: the shell, env and chroot, setpriv, /etc's base files,
# the users' lists (base-passwd's), ldconfig
GUEST_PACKAGES = ["python3", "iproute2", "bpftool", "busybox-static",
                  "dash", "coreutils", "util-linux", "base-files", "base-passwd", "libc-bin"]
MMDEBSTRAP_OPTIONS = ["--skip=cleanup/apt/cache",   # finish reads the packages
                      "--setup-hook=/usr/share/mmdebstrap/hooks/merged-usr/setup00.sh"]
QEMU_USER = "qemu-aarch64-static"   # Debian's qemu-user-static
TOOLCHAIN = os.path.join(SOURCE, "cmake", "aarch64-linux-gnu.cmake")
# what the kernel tests run (test_process chroots into the static workload)
TARGETS = ["ebpflow", "ebpflow-collector", "ebpflow-wl", "ebpflow-wl-static"]


class Unavailable(Exception):
    """arm64 cannot be had here (no qemu-user-static, no cross compiler, ...)."""


def build_packages():
    """The -dev packages of scripts/deps.sh's BUILD_PACKAGES (the rest is the
    build host's toolchain: compiler, cmake, clang, bpftool)."""
    return [p for p in rootfs.deps_packages() if p.startswith(("lib", "zlib")) and p.endswith("-dev")]


def finish(path):
    """What the maintainer scripts would have done that the guests and the
    build need, done from the host: the users' lists (base-passwd's preinst),
    the loader's cache (the root's own static ldconfig, run by qemu-user),
    the libraries' shlibs files."""
    for name in ("passwd", "group"):
        shutil.copy(os.path.join(path, "usr/share/base-passwd", f"{name}.master"),
                    os.path.join(path, "etc", name))
    r = subprocess.run([QEMU_USER, os.path.join(path, "sbin/ldconfig"), "-r", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Unavailable(f"ldconfig in the arm64 root: {r.stderr.strip()}")
    shlibs(path)


def shlibs(path):
    """Each package's shlibs file where dpkg keeps those of the installed
    ones (the .deb's Depends are read from them: cmake/DebDepends.cmake),
    from the packages mmdebstrap left in apt's cache, which then go."""
    debs = os.path.join(path, "var/cache/apt/archives")
    info = os.path.join(path, "var/lib/dpkg/info")
    os.makedirs(info, exist_ok=True)
    for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
        with tempfile.TemporaryDirectory() as control:
            subprocess.run(["dpkg-deb", "--control", deb, control], check=True)
            if os.path.exists(os.path.join(control, "shlibs")):
                package = os.path.basename(deb).split("_")[0]
                shutil.copy(os.path.join(control, "shlibs"),
                            os.path.join(info, f"{package}.shlibs"))
        os.unlink(deb)


def cache():
    return os.path.join(kernels.default_cache(), "arm64-root")


def root():
    """The arm64 root (rootfs.Root), made unless cached, shared with other
    runs from then on. Needs a private mount namespace
    (rootfs.private_mounts()): the caller binds the build into it."""
    if shutil.which(QEMU_USER) is None:
        raise Unavailable(f"no {QEMU_USER} (scripts/deps.sh --arm64 installs qemu-user-static)")
    r = rootfs.Root(cache(), SUITE, GUEST_PACKAGES + build_packages(), variant="extract",
                    arch="arm64", options=MMDEBSTRAP_OPTIONS, finish=finish)
    r.lock()
    os.makedirs(os.path.join(r.cache, "logs"), exist_ok=True)
    r.make(os.path.join(r.cache, "logs", "mmdebstrap.log"))
    r.share()
    return r


def btf(image):
    """The raw BTF of an arm64 kernel Image (vmlinuz): the blob whose header
    (magic 0xeB9F, version 1, 24-byte header) has the most types."""
    with open(image, "rb") as f:
        data = f.read()
    if data[56:60] != b"ARM\x64":
        raise Unavailable(f"{image} is not an arm64 Image")
    best, at = None, data.find(b"\x9f\xeb\x01\x00\x18\x00\x00\x00")
    while at >= 0:
        _, _, type_len, str_off, str_len = struct.unpack_from("<IIIII", data, at + 4)
        end = at + 24 + str_off + str_len
        if end <= len(data) and (best is None or type_len > best[1]):
            best = (data[at:end], type_len)
        at = data.find(b"\x9f\xeb\x01\x00\x18\x00\x00\x00", at + 1)
    if best is None:
        raise Unavailable(f"no BTF in {image}")
    return best[0]


def vmlinux_h(series, out):
    """vmlinux.h of the series' arm64 kernel, written to out (made once)."""
    k = kernels.Kernel(series)
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(k.vmlinuz):
        return out
    raw = out + ".btf"
    with open(raw, "wb") as f:
        f.write(btf(k.vmlinuz))
    with open(out + ".tmp", "w") as f:
        subprocess.run(["bpftool", "btf", "dump", "file", raw, "format", "c"], stdout=f, check=True)
    os.rename(out + ".tmp", out)
    os.unlink(raw)
    return out


def cross_build(build, sysroot, header, log):
    """eBPFlow for arm64 in build (kept between runs: incremental)."""
    if subprocess.run(["sh", "-c", "command -v aarch64-linux-gnu-gcc"],
                      capture_output=True).returncode != 0:
        raise Unavailable("no aarch64-linux-gnu-gcc (scripts/deps.sh --arm64 installs it)")
    steps = [["cmake", "-S", SOURCE, "-B", build, f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}",
              f"-DEBPFLOW_SYSROOT={sysroot}", f"-DEBPFLOW_VMLINUX_H={header}",
              "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DBUILD_TESTING=ON"],
             ["cmake", "--build", build, f"-j{os.cpu_count()}", "--target", *TARGETS]]
    with open(log, "w") as out:
        for step in steps:
            out.write(f"$ {' '.join(step)}\n")
            out.flush()
            if subprocess.run(step, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                return False
    return True


def main(argv):
    if len(argv) >= 2 and argv[0] == "vmlinux":
        out = os.path.abspath(f"vmlinux-{argv[1]}.h.tmp")
        vmlinux_h(argv[1], out)
        with open(out) as f:
            sys.stdout.write(f.read())
        os.unlink(out)
        return 0
    if argv[:1] == ["root"]:
        rootfs.private_mounts()
        print(root().path)
        return 0
    if len(argv) == 2 and argv[0] == "build":
        rootfs.private_mounts()
        r = root()
        build = os.path.abspath(argv[1])
        os.makedirs(build, exist_ok=True)
        header = vmlinux_h("6.12-arm64", os.path.join(build, "vmlinux-arm64.h"))
        ok = cross_build(build, r.path, header, os.path.join(build, "cross-build.log"))
        print(f"{'built' if ok else 'FAILED'}: {build} (log: {build}/cross-build.log)")
        return 0 if ok else 1
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
