#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The arm64 cross build's own checks, on the build host: a cross build
without the target's vmlinux.h is refused, saying what to pass, before any
library is looked for (the build host's BTF describes another architecture);
and tests/vm/arm64.py finds the BTF inside an arm64 kernel Image. The cross
build itself and its guests are the kernel matrix's (tests/vm/matrix).
Skipped (77) without Debian's cross compiler, except under CI=true.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SOURCE, "tests", "vm"))
import arm64  # noqa: E402

SKIP = 77


def fake_image(btf_blobs, size=1 << 16):
    """An arm64 Image's header (its magic at 56) with BTF blobs inside."""
    img = bytearray(size)
    img[56:60] = b"ARM\x64"
    at = 4096
    for blob in btf_blobs:
        img[at:at + len(blob)] = blob
        at += len(blob) + 4096
    return bytes(img)


def btf_blob(type_len, str_len, fill):
    header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, type_len, type_len, str_len)
    return header + bytes([fill]) * (type_len + str_len)


class Cross(unittest.TestCase):
    def test_cross_build_without_target_btf_is_refused(self):
        if shutil.which("aarch64-linux-gnu-gcc") is None:
            if os.environ.get("CI") == "true":
                self.fail("no aarch64-linux-gnu-gcc: scripts/deps.sh --test installs it")
            raise unittest.SkipTest("no aarch64-linux-gnu-gcc (scripts/deps.sh --arm64)")
        with tempfile.TemporaryDirectory(prefix=f"ebpflow-cross-{os.getpid()}-") as build:
            r = subprocess.run(["cmake", "-S", SOURCE, "-B", build, "-DBUILD_TESTING=OFF",
                                "-DCMAKE_TOOLCHAIN_FILE=" +
                                os.path.join(SOURCE, "cmake", "aarch64-linux-gnu.cmake")],
                               capture_output=True, text=True, timeout=300)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        text = " ".join((r.stdout + r.stderr).split())
        self.assertIn("Cross-compiling for aarch64: pass -DEBPFLOW_VMLINUX_H=", text)
        self.assertIn("arm64 kernel's BTF", text)
        # refused before the libraries: not a missing libbpf:arm64
        self.assertNotIn("libbpf", text)

    def test_btf_found_in_an_arm64_image(self):
        small, large = btf_blob(100, 50, 1), btf_blob(3000, 700, 2)
        with tempfile.NamedTemporaryFile() as f:
            f.write(fake_image([small, large]))
            f.flush()
            # the kernel's BTF is the largest blob; exactly its bytes
            self.assertEqual(arm64.btf(f.name), large)

    def test_shlibs_of_unpacked_packages(self):
        # the root's packages are only unpacked: their shlibs files, which
        # the .deb's Depends come from, are put where dpkg keeps them
        with tempfile.TemporaryDirectory(prefix=f"ebpflow-cross-{os.getpid()}-") as d:
            root = os.path.join(d, "root")
            debs = os.path.join(root, "var/cache/apt/archives")
            os.makedirs(debs)
            for name, shlibs in (("libfoo1", "libfoo 1 libfoo1 (>= 1.2)\n"), ("foo-bin", None)):
                pkg = os.path.join(d, name)
                os.makedirs(os.path.join(pkg, "DEBIAN"))
                with open(os.path.join(pkg, "DEBIAN", "control"), "w") as f:
                    f.write(f"Package: {name}\nVersion: 1.2\nArchitecture: arm64\n"
                            "Maintainer: t <t@example.org>\nDescription: t\n")
                if shlibs:
                    with open(os.path.join(pkg, "DEBIAN", "shlibs"), "w") as f:
                        f.write(shlibs)
                subprocess.run(["dpkg-deb", "--build", pkg, f"{debs}/{name}_1.2_arm64.deb"],
                               check=True, capture_output=True)
            arm64.shlibs(root)
            info = os.path.join(root, "var/lib/dpkg/info")
            self.assertEqual(os.listdir(info), ["libfoo1.shlibs"])
            with open(os.path.join(info, "libfoo1.shlibs")) as f:
                self.assertEqual(f.read(), "libfoo 1 libfoo1 (>= 1.2)\n")
            self.assertEqual(os.listdir(debs), [])   # the packages go

    def test_not_an_arm64_image(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"\0" * 4096)
            f.flush()
            with self.assertRaisesRegex(arm64.Unavailable, "not an arm64 Image"):
                arm64.btf(f.name)


if __name__ == "__main__":
    r = unittest.main(exit=False).result
    if not r.wasSuccessful():
        sys.exit(1)
    sys.exit(SKIP if r.skipped and not r.testsRun - len(r.skipped) else 0)
