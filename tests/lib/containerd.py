# SPDX-License-Identifier: GPL-2.0-only
"""Debian's containerd for a test, driven the way kubelet drives it: its own
root, state, socket and configuration under one folder named after the
test's pid, the CRI plugin on, no CNI (pods use the host's network), images
made here as OCI layouts and imported with ctr (no registry is reachable).

Everything it starts is stopped by pid: the pods through the CRI API, then
containerd (behind tini, which reaps the shims), then any shim of ours still
running; then its mounts and the cgroups its pods left are removed.
"""
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import time
import uuid

import cri

TOOLS = ("containerd", "ctr", "runc", "containerd-shim-runc-v2", "tini")
CGROUP_FS = "/sys/fs/cgroup"
K8S_NAMESPACE = "k8s.io"   # the containerd namespace of the CRI plugin


def missing_tools():
    return [t for t in TOOLS if shutil.which(t) is None]


def _sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def oci_archive(layers, name, config, out):
    """Write to out an OCI image layout (a tar) holding one image: its
    uncompressed layers (paths of tars of file systems, the base first), the
    image config (Entrypoint, Cmd, Env, User...) and the name ctr gives it."""
    digests = [_file_digest(p) for p in layers]
    image_config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": config,
        "rootfs": {"type": "layers", "diff_ids": digests}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": _sha256(image_config), "size": len(image_config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": d, "size": os.path.getsize(p)}
                   for p, d in zip(layers, digests)]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": _sha256(manifest), "size": len(manifest),
        "platform": {"architecture": "amd64", "os": "linux"},
        # containerd names the image after this annotation (the OCI one is a tag only)
        "annotations": {"io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}]}).encode()
    with tarfile.open(out, mode="w") as tar:
        def add(path, data):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for p, d in zip(layers, digests):
            tar.add(p, arcname="blobs/sha256/" + d.split(":")[1])
        for blob in (image_config, manifest):
            add("blobs/sha256/" + _sha256(blob).split(":")[1], blob)


def tar_of(rootfs, out, exclude=()):
    """A root file system as a layer (a tar file at out): numeric owners, as
    an image keeps them; exclude: paths from the root to leave out."""
    subprocess.run(["tar", "--numeric-owner", "--xattrs", *(f"--exclude=./{e}" for e in exclude),
                    "-C", rootfs, "-cf", out, "."], check=True, capture_output=True)
    return out


def workload_image(ctd, name, workload):
    """The tests' image: busybox-static and the static workload (at /ebpflow-wl);
    it also serves as the pods' sandbox ("pause") image: it sleeps."""
    rootfs = f"{ctd.base}/workload-rootfs"
    os.makedirs(f"{rootfs}/bin")
    shutil.copy("/usr/bin/busybox", f"{rootfs}/bin/busybox")
    for applet in ("sh", "sleep"):
        os.symlink("busybox", f"{rootfs}/bin/{applet}")
    shutil.copy(workload, f"{rootfs}/ebpflow-wl")
    layer = tar_of(rootfs, f"{ctd.base}/workload-layer.tar")
    ctd.import_image(name, [layer], {"Entrypoint": ["/bin/sleep", "2147483647"],
                                     "Env": ["PATH=/bin"]})
    os.unlink(layer)
    shutil.rmtree(rootfs)


class Containerd:
    """containerd under BASE (root/, state/, containerd.sock, ...)."""

    def __init__(self, base, sandbox_image):
        self.base = base
        self.root = f"{base}/root"
        self.state = f"{base}/state"
        self.sock = f"{base}/containerd.sock"
        self.sandbox_image = sandbox_image
        self.proc = None
        self.client = None
        self.pods = {}           # sandbox id -> its cgroup parent; removed at stop()
        self._cgroups_before = set()

    def bundle(self, container_id):
        """Where the runtime keeps a running container's OCI spec (config.json)."""
        return f"{self.state}/io.containerd.runtime.v2.task/{K8S_NAMESPACE}/{container_id}"

    def _config(self):
        cri_plugin = 'plugins."io.containerd.grpc.v1.cri"'
        return f"""version = 2
root = "{self.root}"
state = "{self.state}"
[grpc]
  address = "{self.sock}"
[plugins."io.containerd.internal.v1.opt"]
  path = "{self.base}/opt"
[{cri_plugin}]
  sandbox_image = "{self.sandbox_image}"
  # this machine has no CAP_SYS_RESOURCE: without it runc fails to raise
  # the oom score ("can't get final child's PID from pipe: EOF")
  restrict_oom_score_adj = true
[{cri_plugin}.cni]
  # empty: pods use the host's network, as no CNI plugin is installed
  bin_dir = "{self.base}/cni/bin"
  conf_dir = "{self.base}/cni/conf"
[{cri_plugin}.containerd]
  snapshotter = "overlayfs"
[{cri_plugin}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[{cri_plugin}.containerd.runtimes.runc.options]
  # runc's state of our containers under our folder, not /run/containerd
  Root = "{self.base}/runc"
"""

    def start(self, timeout=30):
        for d in ("cni/bin", "cni/conf", "logs"):
            os.makedirs(f"{self.base}/{d}", exist_ok=True)
        self._cgroups_before = set(self._kubepods_dirs())
        with open(f"{self.base}/config.toml", "w") as f:
            f.write(self._config())
        self.log = open(f"{self.base}/containerd.log", "w")
        # tini -s: the shims are reparented to it when they daemonize, and reaped
        self.proc = subprocess.Popen(["tini", "-s", "--", "containerd", "--config",
                                      f"{self.base}/config.toml"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.client = cri.Client(self.sock, timeout=60)
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.client.call("Version", {"version": "v1"})
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("containerd did not start: " + self.log_tail())
                time.sleep(0.2)

    def log_tail(self, n=3000):
        try:
            with open(f"{self.base}/containerd.log") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def ctr(self, *args):
        return subprocess.run(["ctr", "-a", self.sock, "-n", K8S_NAMESPACE, *args],
                              check=True, capture_output=True)

    def import_image(self, name, layers, config):
        """An image made here: name (e.g. docker.io/library/x:tag), its layers
        (paths of tars), its OCI image config; seen by the CRI plugin once imported."""
        archive = f"{self.base}/image-{hashlib.sha256(name.encode()).hexdigest()[:12]}.tar"
        oci_archive(layers, name, config, archive)
        self.ctr("images", "import", archive)
        os.unlink(archive)
        deadline = time.monotonic() + 20
        while not self.client.call("ImageStatus", {"image": {"image": name}}).get("image"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the CRI plugin does not see the image {name}")
            time.sleep(0.1)

    def pod_config(self, name, namespace, host_pid=False, qos="besteffort"):
        """A pod as kubelet asks for one on the host's network: no hostname
        (the host's), a log folder, the cgroup parent kubelet's cgroupfs
        driver gives (/kubepods/QOS/pod<uid>)."""
        uid = str(uuid.uuid4())
        return {
            "metadata": {"name": name, "uid": uid, "namespace": namespace, "attempt": 0},
            "log_directory": f"{self.base}/logs/{namespace}_{name}_{uid}",
            "labels": {"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace,
                       "io.kubernetes.pod.uid": uid},
            "linux": {"cgroup_parent": f"/kubepods/{qos}/pod{uid}",
                      "security_context": {"namespace_options": {
                          "network": cri.NODE,
                          "pid": cri.NODE if host_pid else cri.CONTAINER}}},
        }

    def run_pod(self, config):
        sandbox = self.client.call("RunPodSandbox", {"config": config})["pod_sandbox_id"]
        self.pods[sandbox] = config["linux"]["cgroup_parent"]
        return sandbox

    def run_container(self, sandbox, pod_config, config):
        """Create and start a container of the pod; its id."""
        cid = self.client.call("CreateContainer", {"pod_sandbox_id": sandbox, "config": config,
                                                   "sandbox_config": pod_config})["container_id"]
        self.client.call("StartContainer", {"container_id": cid})
        return cid

    def container_log(self, pod_config, config):
        """What the container printed: the CRI log file, stream prefixes removed."""
        path = os.path.join(pod_config["log_directory"], config["log_path"])
        try:
            with open(path) as f:
                # "TIME STREAM TAG text", TAG F (full line) or P (partial)
                return "".join(l.split(" ", 3)[3] if l.count(" ") >= 3 else l for l in f)
        except OSError:
            return ""

    def wait_log(self, pod_config, config, text, count=1, timeout=30):
        deadline = time.monotonic() + timeout
        while self.container_log(pod_config, config).count(text) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"container {config['metadata']['name']} did not say "
                                   f"{text!r}: {self.container_log(pod_config, config)!r}")
            time.sleep(0.05)

    def wait_exit(self, cid, timeout=30):
        """Wait until the container's process has exited; its exit code."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.client.call("ContainerStatus", {"container_id": cid})["status"]
            if status.get("state") == cri.CONTAINER_EXITED:
                return status.get("exit_code", 0)
            if time.monotonic() > deadline:
                raise RuntimeError(f"container {cid} still running")
            time.sleep(0.1)

    def remove_pod(self, sandbox):
        """StopPodSandbox then RemovePodSandbox, as kubelet does when a pod goes;
        then, as kubelet does too, the pod's cgroup (runc removed only the
        containers')."""
        self.client.call("StopPodSandbox", {"pod_sandbox_id": sandbox})
        self.client.call("RemovePodSandbox", {"pod_sandbox_id": sandbox})
        self._remove_cgroup(self.pods.pop(sandbox))

    @staticmethod
    def _remove_cgroup(parent):
        for h in os.listdir(CGROUP_FS):
            try:
                os.rmdir(f"{CGROUP_FS}/{h}{parent}")
            except OSError:
                pass

    def _our_shims(self):
        """Shims serving our containerd (their command line names our socket)."""
        pids = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"containerd-shim-runc-v2") and self.sock.encode() in argv:
                pids.append(int(p))
        return pids

    def _kubepods_dirs(self):
        """kubepods/ and kubepods/QOS/ folders of every hierarchy, as they are now."""
        found = []
        for h in os.listdir(CGROUP_FS):
            top = f"{CGROUP_FS}/{h}/kubepods"
            if os.path.isdir(top):
                found.append(top)
                found += [f"{top}/{q}" for q in os.listdir(top)
                          if q in ("besteffort", "burstable")]
        return found

    def stop(self):
        for sandbox in list(self.pods):
            try:
                self.remove_pod(sandbox)
            except Exception:
                pass
        if self.client:
            self.client.close()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)   # tini passes it on
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in self._our_shims():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if getattr(self, "log", None):
            self.log.close()
        with open("/proc/self/mountinfo") as f:
            mounts = [l.split()[4] for l in f]
        for m in sorted((m for m in mounts if m.startswith(self.base + "/")),
                        key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        for parent in self.pods.values():   # the pods remove_pod could not remove
            self._remove_cgroup(parent)
        for d in sorted(set(self._kubepods_dirs()) - self._cgroups_before, key=len, reverse=True):
            try:
                os.rmdir(d)   # only empty ones: another test may use them
            except OSError:
                pass
        shutil.rmtree(self.base, ignore_errors=True)
