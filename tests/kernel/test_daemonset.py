#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""docs/deploy run as a fleet runs it (issue 20, part 4): the image of
docs/deploy/Containerfile made here (tests/lib/deploy.py: its build stage on
this Debian 12 host, its final stage over a Debian root made by mmdebstrap
and cached in BUILD/deploy/), imported into a containerd of our own, and
started with daemonset.yaml's pod spec as the CRI calls kubelet makes (host
PID and network, its mounts, capabilities, resources, the ConfigMap as its
/etc/ebpflow). The one change to the manifest: the ConfigMap's IPFIX
collector is ebpflow-collector on this host's loopback.

It must attach, drop every capability (as uid 0: containerd's files are
root's), count a
host workload and a pod's workload exactly in its IPFIX records and name
the pod namespace/pod/container.
"""
import os
import re
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import BUILD_DIR, Collector, port_base, start_workload  # noqa: E402

N_HOST, N_POD, M_POD = 5, 7, 3
P_HOST, P_POD_UDP, P_POD_TCP, P_IPFIX = (port_base(i) for i in range(4))
BASE = f"/tmp/ebpflow-ds-{os.getpid()}"
WL_IMAGE = f"docker.io/library/ebpflow-wl:{os.getpid()}"
WL_POD = ("team-a", "web", "client")
RUN = {}
deploy = containerd = None   # tests/lib modules, once their Python packages are known


def requirements():
    global deploy, containerd
    missing = []
    for module, package in (("grpc", "python3-grpcio"), ("yaml", "python3-yaml")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if not missing:
        import containerd
        import deploy
        missing += containerd.missing_tools()
        missing += [t for t in ("mmdebstrap", "unshare") if subprocess.run(
            ["sh", "-c", f"command -v {t}"], capture_output=True).returncode]
        missing += deploy.ImagePlan().missing_build_packages()
    if missing:
        testlib.skip_or_fail("kernel_daemonset", f"{', '.join(missing)} not installed "
                             "(scripts/deps.sh --test installs them)")


def test_config(text):
    """The ConfigMap's ebpflow.conf with its collector on our loopback: the
    one line changed (a cluster's collector service is not here)."""
    new, n = re.subn(r"(?m)^collectors = .*$", f"collectors = 127.0.0.1:{P_IPFIX}", text)
    if n != 1:
        raise AssertionError("the ConfigMap has no single [ipfix] collectors line")
    return new


def host_path_in(ctd):
    """The manifest's hostPath volumes as this host has them: containerd's
    state is our containerd's."""
    def host_path(path):
        if path.startswith("/run/containerd/"):
            path = ctd.state + path[len("/run/containerd"):]
        if not os.path.isdir(path):
            raise AssertionError(f"hostPath {path} does not exist here")
        return path
    return host_path


# linux/capability.h: the capabilities the manifest may add
CAP_NUMBER = {"CHOWN": 0, "DAC_OVERRIDE": 1, "SETGID": 6, "SETUID": 7, "NET_ADMIN": 12,
              "SYS_ADMIN": 21, "SYS_RESOURCE": 24, "PERFMON": 38, "BPF": 39}


def within_bounding_set(container):
    """Capabilities this machine cannot grant taken out of the container's
    (runc would fail: "unable to apply caps"); a node of a real cluster has
    them all. Returns those taken out."""
    bounding = int(proc_status(os.getpid())["CapBnd"], 16)
    caps = container["linux"]["security_context"]["capabilities"]
    lacking = [c for c in caps["add_capabilities"] if not bounding >> CAP_NUMBER[c] & 1]
    caps["add_capabilities"] = [c for c in caps["add_capabilities"] if c not in lacking]
    return lacking


def workload_pod(ctd):
    ns, pod, name = WL_POD
    pod_config = ctd.pod_config(pod, ns)
    sandbox = ctd.run_pod(pod_config)
    config = {"metadata": {"name": name, "attempt": 0}, "image": {"image": WL_IMAGE},
              "command": ["/bin/sh", "-c",
                          f"/ebpflow-wl udp-client 127.0.0.1 {P_POD_UDP} {N_POD} 10 sendto && "
                          f"/ebpflow-wl tcp-client 127.0.0.1 {P_POD_TCP} {M_POD} 10 && "
                          "echo clients-done; exec sleep 2147483647"],
              "log_path": f"{name}/0.log"}
    return pod_config, config, ctd.run_container(sandbox, pod_config, config)


def container_pids(cgroup_parent, cid):
    with open(f"/sys/fs/cgroup/unified{cgroup_parent}/{cid}/cgroup.procs") as f:
        return [int(p) for p in f.read().split()]


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(l.split(":", 1) for l in f.read().splitlines())


def setUpModule():
    testlib.require_kernel_privileges()
    requirements()
    os.makedirs(BASE)
    log = f"{BASE}/image.log"
    plan = deploy.ImagePlan()
    conf, ds = deploy.daemonset()
    ctd = containerd.Containerd(BASE + "/ctd", WL_IMAGE)
    servers = []
    collector = None
    try:
        t0 = time.monotonic()
        try:
            layers, image_config = deploy.make_image(plan, BUILD_DIR, f"{BASE}/image", log)
        except subprocess.CalledProcessError as e:
            with open(log) as f:
                raise RuntimeError(f"{e}: {e.stderr or ''}{f.read()[-3000:]}") from None
        RUN["image_s"] = time.monotonic() - t0
        ctd.start()
        image = "docker.io/library/" + ds["spec"]["template"]["spec"]["containers"][0]["image"]
        ctd.import_image(image, layers, image_config)
        containerd.workload_image(ctd, WL_IMAGE,
                                  os.path.join(BUILD_DIR, "tests", "ebpflow-wl-static"))
        RUN["import_s"] = time.monotonic() - t0 - RUN["image_s"]
        collector = Collector(P_IPFIX)
        deploy.write_configmap(ds, {k: test_config(v) for k, v in conf.items()},
                               f"{BASE}/configmap")
        uid = str(uuid.uuid4())
        pod_name = "ebpflow-" + uid[:5]   # a DaemonSet's pods: its name and a suffix
        pod_config, containers = deploy.pod_to_cri(
            ds, image, uid, pod_name, f"{BASE}/ctd/logs/{pod_name}", host_path_in(ctd),
            f"{BASE}/configmap")
        RUN["lacking"] = within_bounding_set(containers[0])
        sandbox = ctd.run_pod(pod_config)
        cid = ctd.run_container(sandbox, pod_config, containers[0])
        try:
            ctd.wait_log(pod_config, containers[0], "watching")
        except RuntimeError:
            RUN["log"] = ctd.container_log(pod_config, containers[0])
            raise
        RUN["pid"] = container_pids(pod_config["linux"]["cgroup_parent"], cid)
        RUN["status"] = proc_status(RUN["pid"][0])
        # the host's workload and a pod's
        servers = [start_workload("udp-server", "127.0.0.1", P_POD_UDP, N_POD),
                   start_workload("tcp-server", "127.0.0.1", P_POD_TCP, M_POD)]
        RUN["host_server"], RUN["host_client"] = testlib.udp_pair(P_HOST, N_HOST)
        wl_pod, wl_config, RUN["wl_id"] = workload_pod(ctd)
        ctd.wait_log(wl_pod, wl_config, "clients-done")
        for s in servers:
            s.communicate(timeout=20)
        time.sleep(2)   # the clients' exits seen, the pod's name asked
        # as kubelet stops a pod: SIGTERM, then SIGKILL after the grace period
        ctd.client.call("StopContainer", {"container_id": cid, "timeout": 30})
        RUN["exit_code"] = ctd.wait_exit(cid)
        RUN["log"] = ctd.container_log(pod_config, containers[0])
    finally:
        for s in servers:
            if s.poll() is None:
                s.kill()
                s.wait()
        ctd.stop()
        if collector:
            time.sleep(0.3)
            RUN["collector"] = collector.records()
        subprocess.run(["rm", "-rf", BASE])
    print(f"image made in {RUN['image_s']:.1f} s, imported in {RUN['import_s']:.1f} s; "
          f"capabilities this machine cannot grant, left out: {RUN['lacking'] or 'none'}",
          file=sys.stderr)


class DaemonSetPod(unittest.TestCase):
    def test_attached_and_dropped_privileges(self):
        # uid 0 (containerd's bundles are root's) with no capability left and
        # no_new_privs, so that an execve cannot give uid 0 its bounding set
        # back (without CAP_SETPCAP the bounding set stays the pod's)
        self.assertIn("attached", RUN["log"])
        self.assertEqual(RUN["exit_code"], 0, RUN["log"])
        self.assertEqual(len(RUN["pid"]), 1)
        self.assertIn("dropped every capability, in every thread; running as user root (uid 0)",
                      RUN["log"])
        self.assertEqual(RUN["status"]["Uid"].split(), ["0"] * 4)
        for cap in ("CapEff", "CapPrm", "CapAmb", "CapInh"):
            self.assertEqual(int(RUN["status"][cap], 16), 0, cap)
        self.assertEqual(RUN["status"]["NoNewPrivs"].strip(), "1")

    def records(self, **match):
        return [r for r in RUN["collector"]
                if all(r.get(k) == v for k, v in match.items())]

    def test_host_workload_counted(self):
        for pid in (RUN["host_server"], RUN["host_client"]):
            recs = self.records(processId=pid, destinationTransportPort=P_HOST)
            self.assertEqual(sum(r["callDeltaCount"] for r in recs), N_HOST, RUN["log"])
            self.assertEqual({r["containerId"] for r in recs}, {""})

    def test_pod_workload_counted(self):
        for port, count in ((P_POD_UDP, N_POD), (P_POD_TCP, M_POD)):
            recs = self.records(containerId=RUN["wl_id"], destinationTransportPort=port)
            self.assertEqual(sum(r["callDeltaCount"] for r in recs), count, RUN["log"])

    def test_pod_named(self):
        recs = self.records(containerId=RUN["wl_id"])
        self.assertTrue(recs)
        self.assertEqual({r["containerName"] for r in recs}, {"/".join(WL_POD)}, RUN["log"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
