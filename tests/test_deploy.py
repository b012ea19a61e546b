#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""docs/deploy against what kernel_daemonset runs (no privileges): every
instruction of the Containerfile and every field of daemonset.yaml's pod is
one tests/lib/deploy.py carries out, the CRI configs say what the manifest
says, and the image is built with every library the project builds with."""
import configparser
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "userland"))
import cri  # noqa: E402
import deploy  # noqa: E402
import root as rootfs  # noqa: E402


class Containerfile(unittest.TestCase):
    def test_every_instruction_is_carried_out(self):
        plan = deploy.ImagePlan()   # raises on one it does not know
        self.assertEqual(plan.source_at, "/src")
        self.assertTrue(plan.packages)
        self.assertTrue(plan.copies)
        self.assertEqual(plan.entrypoint[0], "/usr/sbin/ebpflow")

    def test_built_with_what_the_project_builds_with(self):
        # a library deps.sh builds with but the build stage lacks is a feature
        # the image silently goes without (file: only for the package target)
        plan = deploy.ImagePlan()
        wanted = set(rootfs.deps_packages("BUILD_PACKAGES")) - {"file"}
        self.assertEqual(sorted(wanted - set(plan.build_packages)), [])


class DaemonSet(unittest.TestCase):
    def setUp(self):
        self.conf, self.ds = deploy.daemonset()
        self.spec = self.ds["spec"]["template"]["spec"]
        self.pod, self.containers = deploy.pod_to_cri(
            self.ds, "ebpflow:test", "uid-1", "ebpflow-abcde", "/logs", lambda p: p, "/nonexistent")

    def test_pod_is_the_manifests(self):
        ns = self.pod["linux"]["security_context"]["namespace_options"]
        self.assertEqual(ns["network"], cri.NODE if self.spec.get("hostNetwork") else cri.POD)
        self.assertEqual(ns["pid"], cri.NODE if self.spec.get("hostPID") else cri.CONTAINER)
        self.assertEqual(self.pod["metadata"]["namespace"], self.ds["metadata"]["namespace"])
        self.assertEqual(len(self.containers), len(self.spec["containers"]))

    def test_containers_are_the_manifests(self):
        volumes = {v["name"]: v for v in self.spec["volumes"]}
        for want, got in zip(self.spec["containers"], self.containers):
            sc = want["securityContext"]
            have = got["linux"]["security_context"]
            self.assertEqual(have["capabilities"]["add_capabilities"], sc["capabilities"]["add"])
            self.assertEqual(have["capabilities"]["drop_capabilities"], sc["capabilities"]["drop"])
            self.assertEqual(have["readonly_rootfs"], sc.get("readOnlyRootFilesystem", False))
            self.assertEqual(have["seccomp"]["profile_type"],
                             {"Unconfined": cri.UNCONFINED}[sc["seccompProfile"]["type"]])
            self.assertEqual(have["apparmor"]["profile_type"],
                             {"Unconfined": cri.UNCONFINED}[sc["appArmorProfile"]["type"]])
            self.assertEqual(got["linux"]["resources"]["memory_limit_in_bytes"],
                             deploy.quantity(want["resources"]["limits"]["memory"]))
            mounts = [(m["container_path"], m["readonly"]) for m in got["mounts"]]
            self.assertEqual(mounts, [(m["mountPath"], m.get("readOnly", False))
                                      for m in want["volumeMounts"]])
            for m, g in zip(want["volumeMounts"], got["mounts"]):
                v = volumes[m["name"]]
                if "hostPath" in v:
                    self.assertEqual(g["host_path"], v["hostPath"]["path"])

    def test_a_field_not_carried_out_is_refused(self):
        self.spec["shareProcessNamespace"] = True
        with self.assertRaises(deploy.Unsupported):
            deploy.pod_to_cri(self.ds, "i", "u", "p", "/l", lambda p: p, "/nonexistent")

    def test_pods_named_with_what_that_needs(self):
        # names of containerd's pods come from its bundles, root's and 0700:
        # naming on, eBPFlow left as uid 0 (no [service] user), the bundles
        # mounted read-only where eBPFlow looks (the default containerd_state)
        conf = configparser.ConfigParser(strict=False)
        conf.read_string(self.conf["ebpflow.conf"])
        self.assertTrue(conf.getboolean("containers", "resolve_names", fallback=False))
        self.assertFalse(conf.has_option("service", "user"))
        state = conf.get("containers", "containerd_state", fallback="/run/containerd")
        tasks = f"{state}/io.containerd.runtime.v2.task"
        mounts = {m["container_path"]: m for m in self.containers[0]["mounts"]}
        self.assertIn(tasks, mounts)
        self.assertTrue(mounts[tasks]["readonly"])
        self.assertEqual(mounts[tasks]["host_path"], tasks)

    def test_burstable_as_kubelet_classes_it(self):
        # requests below the limits: kubelet's cgroup parent for the pod
        self.assertEqual(self.pod["linux"]["cgroup_parent"], "/kubepods/burstable/poduid-1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
