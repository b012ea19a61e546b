#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The Debian package, as root. `cmake --build BUILD --target package` makes
ebpflow_VERSION_ARCH.deb; lintian finds no error in it; dpkg installs it into
a clean root (dpkg --root: an empty tree whose dpkg database holds only the
packages the .deb depends on, copied from this host's, so that dpkg checks
the computed Depends against real versions); the eBPFlow of that root checks
its configuration and counts a short exchange on loopback exactly; an edited
conffile survives a reinstall; a purge leaves nothing behind."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import BUILD_DIR, Ebpflow, port_base  # noqa: E402

N = 6
P = port_base(12)
PKG = {}


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def setUpModule():
    testlib.require_kernel_privileges()
    testlib.require_tools("dpkg", "dpkg-deb", "dpkg-shlibdeps", "lintian")
    for old in glob.glob(os.path.join(BUILD_DIR, "ebpflow_*.deb")):
        os.unlink(old)
    sh("cmake", "--build", BUILD_DIR, "--target", "package")
    with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
        cache = f.read()
    PKG["version"] = re.search(r"^CMAKE_PROJECT_VERSION:STATIC=(.*)$", cache, re.M).group(1)
    PKG["zmq"] = re.search(r"^ZMQ_FOUND:INTERNAL=1$", cache, re.M) is not None
    PKG["arch"] = sh("dpkg", "--print-architecture").strip()
    PKG["debs"] = glob.glob(os.path.join(BUILD_DIR, "ebpflow_*.deb"))


def dpkg(root, *args):
    # the maintainer scripts run from this host, with DPKG_ROOT (the root has no shell)
    return subprocess.run(["dpkg", f"--root={root}", f"--log={root}/dpkg.log",
                           "--force-script-chrootless", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)


def clean_root(deb):
    """A tree with a dpkg database of the .deb's dependencies and nothing else."""
    root = tempfile.mkdtemp(prefix=f"ebpflow-root-{os.getpid()}-")
    admin = os.path.join(root, "var/lib/dpkg")
    for d in ("info", "updates", "triggers"):
        os.makedirs(os.path.join(admin, d))
    open(os.path.join(admin, "available"), "w").close()
    deps = [re.sub(r"\(.*\)", "", d.split("|")[0]).strip()
            for d in sh("dpkg-deb", "-f", deb, "Depends").split(",")]
    stanzas = [sh("dpkg-query", "-s", d) for d in deps]
    with open(os.path.join(admin, "status"), "w") as f:
        f.write("\n".join(stanzas))
    for st in stanzas:  # their file lists: empty, as in this tree
        fields = dict(re.findall(r"^([\w-]+): (.*)$", st, re.M))
        name = fields["Package"]
        if fields.get("Multi-Arch") == "same":
            name += ":" + fields["Architecture"]
        open(os.path.join(admin, "info", name + ".list"), "w").close()
    return root


class Package(unittest.TestCase):
    def deb(self):
        want = os.path.join(BUILD_DIR, f"ebpflow_{PKG['version']}_{PKG['arch']}.deb")
        self.assertEqual(PKG["debs"], [want])
        return want

    def test_fields(self):
        deb = self.deb()
        fields = sh("dpkg-deb", "-f", deb)
        self.assertIn("Package: ebpflow\n", fields)
        self.assertIn(f"Version: {PKG['version']}\n", fields)
        depends = re.search(r"^Depends: (.*)$", fields, re.M).group(1)
        libs = ["libc6", "libbpf1", "libfixbuf9", "libglib2.0-0"]  # from the binaries
        if PKG["zmq"]:  # --zmq, in a build that found libzmq
            libs.append("libzmq5")
        for lib in libs:
            self.assertIn(lib + " (>=", depends)
        self.assertEqual(sh("dpkg-deb", "-I", deb, "conffiles"), "/etc/ebpflow/ebpflow.conf\n")

    def test_contents(self):
        files = {l.split()[-1].lstrip(".").rstrip("/") or "/"
                 for l in sh("dpkg-deb", "-c", self.deb()).splitlines()}
        for path in ("/usr/sbin/ebpflow", "/usr/bin/ebpflow-collector",
                     "/etc/ebpflow/ebpflow.conf", "/usr/lib/systemd/system/ebpflow.service",
                     "/usr/share/man/man8/ebpflow.8.gz", "/usr/share/man/man5/ebpflow.conf.5.gz",
                     "/usr/share/man/man1/ebpflow-collector.1.gz",
                     "/usr/share/doc/ebpflow/copyright", "/usr/share/doc/ebpflow/changelog.gz",
                     "/usr/share/ebpflow/collectors/ebpflow/pmacct-primitives.lst",
                     "/usr/share/ebpflow/collectors/ntop/goflow2-mapping.yaml"):
            self.assertIn(path, files)
        for path in files:  # nothing but the configuration outside /usr
            self.assertTrue(path in ("/", "/etc", "/usr") or
                            path.startswith(("/etc/ebpflow", "/usr/")), path)
            self.assertFalse(path.startswith("/usr/local"), path)

    def test_lintian_finds_no_error(self):
        r = subprocess.run(["lintian", "--fail-on", "error", "--display-info", self.deb()],
                           capture_output=True, text=True)
        print(r.stdout, file=sys.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotRegex(r.stdout, r"(?m)^E: ")

    def test_installs_into_a_clean_root(self):
        deb = self.deb()
        root = clean_root(deb)
        try:
            r = dpkg(root, "-i", deb)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("Status: install ok installed", dpkg(root, "-s", "ebpflow").stdout)
            binary = os.path.join(root, "usr/sbin/ebpflow")
            conf = os.path.join(root, "etc/ebpflow/ebpflow.conf")
            with open(os.path.join(root, "usr/lib/systemd/system/ebpflow.service")) as f:
                self.assertIn("ExecStart=/usr/sbin/ebpflow --config /etc/ebpflow/ebpflow.conf",
                              f.read())
            r = subprocess.run([binary, "-c", conf, "--check-config"], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            # the unit's user, made by the postinst from the package's sysusers.d file
            with open(os.path.join(root, "usr/lib/systemd/system/ebpflow.service")) as f:
                self.assertIn("User=ebpflow", f.read())
            self.assertTrue(os.path.exists(os.path.join(root, "usr/lib/sysusers.d/ebpflow.conf")))
            with open(os.path.join(root, "etc/passwd")) as f:
                user = [l.split(":") for l in f if l.startswith("ebpflow:")]
            self.assertEqual(len(user), 1)
            self.assertEqual(user[0][5:7], ["/var/lib/ebpflow", "/usr/sbin/nologin\n"])

            # a short capture with the packaged binary and configuration
            probe = Ebpflow("-c", conf, "-o", "json", "-i", "1", binary=binary)
            try:
                srv, cli = testlib.udp_pair(P, N)
                time.sleep(1.5)
            finally:
                probe.stop()
            self.assertEqual(probe.returncode, 0, probe.stderr)
            recs = probe.records()
            for pid, direction in ((cli, "outbound"), (srv, "inbound")):
                mine = [x for x in recs if x["pid"] == pid]
                self.assertEqual(sum(x["count"] for x in mine), N, mine)
                self.assertEqual({(x["direction"], x["proto"], x["dport"]) for x in mine},
                                 {(direction, "UDP", P)})

            # dpkg keeps an edited conffile when the package's is unchanged
            with open(conf, "a") as f:
                f.write("# edited here\n")
            r = dpkg(root, "-i", deb)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(conf) as f:
                self.assertTrue(f.read().endswith("# edited here\n"))

            r = dpkg(root, "--purge", "ebpflow")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            # a system user stays after a purge (Debian's practice: files may be its)
            users = {os.path.join(root, "etc", f) for f in ("passwd", "group", "shadow",
                                                             "gshadow", ".pwd.lock")}
            left = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                    if not os.path.join(d, f).startswith(os.path.join(root, "var/lib/dpkg"))
                    and f != "dpkg.log" and os.path.join(d, f) not in users]
            self.assertEqual(left, [])
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
