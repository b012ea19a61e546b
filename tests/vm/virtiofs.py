# SPDX-License-Identifier: GPL-2.0-only
"""virtio-fs for the guests whose kernel has no 9p: Debian's cloud kernels
(CONFIG_NET_9P is not set there, CONFIG_VIRTIO_FS is). The host shares its
folders through virtiofsd, one daemon per share, started before qemu and
stopped (by pid) after it.

Debian 12 has no virtiofsd; Debian 13's (trixie) needs glibc 2.39. So its
package and the libraries it links are fetched from trixie into the cache
(apt on a private state, as the kernels are: kernels.Apt), unpacked, and
the daemon is started through trixie's own dynamic loader with trixie's
libraries: nothing of the host is replaced or installed.
"""
import os
import shutil
import subprocess
import tempfile
import time

import kernels

SUITE = "trixie"
PACKAGES = ["virtiofsd", "libc6", "libcap-ng0", "libgcc-s1", "libseccomp2"]
LIBDIR = "usr/lib/x86_64-linux-gnu"


class Virtiofsd:
    """The unpacked daemon in CACHE/virtiofsd (fetched on first use)."""

    def __init__(self, cache):
        self.dir = os.path.join(cache, "virtiofsd")
        if not os.path.exists(os.path.join(self.dir, "packages")):
            self._fetch(cache)
        root = os.path.join(self.dir, "root")
        self.loader = os.path.join(root, LIBDIR, "ld-linux-x86-64.so.2")
        self.libs = os.path.join(root, LIBDIR)
        self.binary = os.path.join(root, "usr/libexec/virtiofsd")

    def _fetch(self, cache):
        apt = kernels.Apt(cache, SUITE)
        apt.update()
        print(f"vm: fetching {' '.join(PACKAGES)} ({SUITE}) for virtio-fs", flush=True)
        tmp = tempfile.mkdtemp(prefix=f".virtiofsd-{os.getpid()}-", dir=cache)
        try:
            for p in PACKAGES:
                apt.download(p, tmp)
            debs = sorted(f for f in os.listdir(tmp) if f.endswith(".deb"))
            for deb in debs:
                subprocess.run(["dpkg-deb", "-x", os.path.join(tmp, deb),
                                os.path.join(tmp, "root")], check=True)
                os.unlink(os.path.join(tmp, deb))
            with open(os.path.join(tmp, "packages"), "w") as f:
                f.write("".join(f"{d}\n" for d in debs))
            try:
                os.rename(tmp, self.dir)   # whole or not at all
            except OSError:
                if not os.path.exists(os.path.join(self.dir, "packages")):
                    raise
                shutil.rmtree(tmp)   # another run unpacked it meanwhile
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def start(self, shared, socket, log, readonly):
        """One daemon serving `shared` on `socket`; returns its Popen once the
        socket exists (qemu connects to it at start)."""
        # sandbox none: the machines that run this are containers where the
        # daemon's own namespaces may be refused; the share is ours anyway
        cmd = [self.loader, "--library-path", self.libs, self.binary,
               f"--shared-dir={shared}", f"--socket-path={socket}", "--sandbox=none",
               "--cache=auto", "--seccomp=none", *(["--readonly"] if readonly else [])]
        out = open(log, "w")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        out.close()
        deadline = time.monotonic() + 10
        while not os.path.exists(socket):
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(proc)
                raise OSError(f"virtiofsd for {shared} did not start (log: {log})")
            time.sleep(0.05)
        return proc


def stop(proc):
    """End a daemon we started, by its pid."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
