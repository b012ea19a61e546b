# SPDX-License-Identifier: GPL-2.0-only
"""docs/deploy run for real, without a registry, an image builder or a
kubelet (none is in Debian 12):

- the image of docs/deploy/Containerfile: its build stage's commands run on
  this host (Debian 12, the stage's base) into BUILD/deploy/; its final stage
  as a base root made by mmdebstrap from the stage's apt-get line (cached in
  BUILD/deploy/, with its layer), then its other RUN commands in a chroot
  over that root (an overlay: what they change is the second layer) and its
  COPY lines from the build's stage folder;
- the pod of docs/deploy/daemonset.yaml as the CRI calls kubelet would make.

Both are read from the files, never restated: an instruction or a field
this module does not know how to carry out is an error, so the files and
what the test runs cannot drift apart.
"""
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

import containerd
import cri

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTAINERFILE = os.path.join(SOURCE, "docs", "deploy", "Containerfile")
DAEMONSET = os.path.join(SOURCE, "docs", "deploy", "daemonset.yaml")
sys.path.insert(0, os.path.join(SOURCE, "tests", "userland"))
import root as rootfs  # noqa: E402

# Images a FROM may name: the Debian suite and mmdebstrap variant that make
# the same userland (debian:12-slim is minbase without docs and locales).
BASES = {"debian:12": ("bookworm", "minbase"), "debian:12-slim": ("bookworm", "minbase")}
# debian:12's PATH (its image config), which the Containerfile's stages inherit
BASE_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


class Unsupported(Exception):
    """The Containerfile or the DaemonSet says what this module cannot carry out."""


def containerfile_stages(path=CONTAINERFILE):
    """[{"from", "as", "steps": [(INSTRUCTION, text)]}] in order."""
    with open(path) as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, rest = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            words = rest.split()
            stages.append({"from": words[0],
                           "as": words[2] if len(words) == 3 and words[1].upper() == "AS" else None,
                           "steps": []})
        else:
            stages[-1]["steps"].append((instr, " ".join(rest.split())))
    return stages


def split_run(text):
    """A RUN's commands (joined with &&): [(text, words)], the text as written
    (for the shell: globs stay globs)."""
    return [(c.strip(), shlex.split(c)) for c in text.split("&&")]


def apt_packages(run_text):
    """The packages an apt-get install in a RUN names."""
    pkgs = []
    for _, words in split_run(run_text):
        if words[:2] == ["apt-get", "install"]:
            pkgs += [w for w in words[2:] if not w.startswith("-")]
    return pkgs


class ImagePlan:
    """What the Containerfile says, in the terms this module carries out."""

    def __init__(self, path=CONTAINERFILE):
        stages = containerfile_stages(path)
        self.build, self.final = stages[0], stages[-1]
        if len(stages) != 2 or self.final["from"] not in BASES:
            raise Unsupported(f"{path}: expected a build stage and a final stage FROM one of "
                              f"{sorted(BASES)}")
        self.build_packages, self.build_commands, self.source_at = [], [], None
        for instr, text in self.build["steps"]:
            if instr == "RUN" and text.startswith("apt-get update"):
                self.build_packages += apt_packages(text)
            elif instr == "RUN":
                self.build_commands.append(text)
            elif instr == "COPY" and text.split()[0] == ".":
                self.source_at = text.split()[1]
            else:
                raise Unsupported(f"build stage: {instr} {text}")
        self.suite, self.variant = BASES[self.final["from"]]
        self.packages, self.commands, self.copies, self.entrypoint = [], [], [], None
        for instr, text in self.final["steps"]:
            if instr == "RUN":
                for command, words in split_run(text):
                    if words[:2] == ["apt-get", "update"]:
                        continue   # the base root is made with the archive's lists
                    if words[:2] == ["apt-get", "install"]:
                        self.packages += [w for w in words[2:] if not w.startswith("-")]
                    else:
                        self.commands.append(command)
            elif instr == "COPY" and text.startswith(f"--from={self.build['as']} "):
                src, dst = text.split()[1:]
                self.copies.append((src, dst))
            elif instr == "ENTRYPOINT":
                self.entrypoint = yaml.safe_load(text)   # a JSON array
            else:
                raise Unsupported(f"final stage: {instr} {text}")

    def build_script(self, build_dir, stage_dir):
        """The build stage's commands, its folders (/src, /build, /stage) ours."""
        paths = {self.source_at: SOURCE, "/build": build_dir, "/stage": stage_dir}
        script = " && ".join(self.build_commands)
        return re.sub(r"(?<![\w/.-])(/src|/build|/stage)(?![\w.-])",
                      lambda m: paths[m.group(1)], script)

    def missing_build_packages(self):
        """Build-stage packages this host lacks (it plays debian:12 with them)."""
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\\n",
                            *self.build_packages], capture_output=True, text=True)
        have = {l.split()[0] for l in r.stdout.splitlines() if l.split()[1:2] == ["ii"]}
        return [p for p in self.build_packages if p not in have]


def _overlay_run(lower, upper, work, merged, commands):
    """commands in a chroot over lower, what they change landing in upper; in
    a mount namespace of their own, so nothing stays mounted."""
    script = ('mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" '
              '&& chroot "$4" /bin/sh -c "$5"')
    subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                    lower, upper, work, merged, " && ".join(commands)],
                   check=True, capture_output=True, text=True)


def _whiteouts_to_oci(upper):
    """overlayfs marks a removed file with a 0:0 character device; an OCI
    layer with an empty .wh.NAME file."""
    for dirpath, dirnames, filenames in os.walk(upper):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if os.path.stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                os.unlink(p)
                open(os.path.join(dirpath, ".wh." + name), "w").close()


def make_image(plan, build_dir, work, log):
    """The Containerfile's image as layer files: (layers, image config).
    build_dir: the test's build (BUILD); work: a scratch folder of the run."""
    cache = os.path.join(build_dir, "deploy")
    stage = os.path.join(work, "stage")
    with open(log, "a") as out:
        subprocess.run(["sh", "-c", plan.build_script(os.path.join(cache, "build"), stage)],
                       check=True, stdout=out, stderr=subprocess.STDOUT)
    base = rootfs.Root(os.path.join(cache, "roots"), plan.suite, plan.packages, plan.variant)
    base.lock()   # the root and its layer are shared by the runs of this build
    try:
        # mmdebstrap mounts proc, sys and dev in the root it makes: in a child
        # with a mount namespace of its own (rootfs.private_mounts)
        subprocess.run([sys.executable, "-c", (
            "import sys; sys.path.insert(0, sys.argv[1]); import root as r; r.private_mounts(); "
            "r.Root(sys.argv[2], sys.argv[3], sys.argv[6:], sys.argv[4]).make(sys.argv[5])"),
            os.path.dirname(rootfs.__file__), base.cache, base.suite, base.variant,
            log + ".mmdebstrap", *base.packages], check=True)
        base_layer = base.path + ".layer.tar"
        if not os.path.exists(base_layer):
            for old in glob.glob(os.path.join(base.cache, f"{base.suite}-*.layer.tar")):
                os.unlink(old)   # the layer of a root mmdebstrap replaced
            containerd.tar_of(base.path, base_layer + ".tmp", exclude=[rootfs.STAMP])
            os.rename(base_layer + ".tmp", base_layer)
        upper, ovl_work, merged = (os.path.join(work, d) for d in ("upper", "ovl-work", "merged"))
        for d in (upper, ovl_work, merged):
            os.makedirs(d)
        _overlay_run(base.path, upper, ovl_work, merged, plan.commands)
        _whiteouts_to_oci(upper)
        for src, dst in plan.copies:
            target = os.path.join(upper, dst.lstrip("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(stage, src.replace("/stage/", "", 1)), target)
    finally:
        base.unlock()
    steps_layer = containerd.tar_of(upper, os.path.join(work, "steps.layer.tar"))
    return [base_layer, steps_layer], {"Entrypoint": plan.entrypoint, "Env": BASE_ENV}


def daemonset(path=DAEMONSET):
    """(ConfigMap data, DaemonSet) of daemonset.yaml."""
    with open(path) as f:
        docs = {d["kind"]: d for d in yaml.safe_load_all(f)}
    return docs["ConfigMap"]["data"], docs["DaemonSet"]


def quantity(q):
    """A Kubernetes quantity: "20m" (milli) -> 0.02, "336Mi" -> bytes."""
    units = {"m": 1e-3, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "k": 1e3, "M": 1e6, "G": 1e9}
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(q))
    return float(m.group(1)) * units.get(m.group(2), 1)


class Consumed(dict):
    """A mapping whose every key must be taken: what is left after the
    translation is a field it would silently ignore."""

    def __init__(self, where, d):
        super().__init__(d or {})
        self.where = where

    def take(self, key, default=None):
        return self.pop(key, default)

    def done(self):
        if self:
            raise Unsupported(f"{self.where}: {sorted(self)} not translated to CRI")


def write_configmap(ds, data, config_dir):
    """The ConfigMap's files as kubelet shows them in its volume (with the
    volume's defaultMode)."""
    vols = [v["configMap"] for v in ds["spec"]["template"]["spec"]["volumes"] if "configMap" in v]
    os.makedirs(config_dir, exist_ok=True)
    for name, text in data.items():
        path = os.path.join(config_dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, vols[0].get("defaultMode", 0o644))


# Pod fields kubelet acts on without telling the runtime, and what it does;
# none of them changes what the runtime runs on this node.
KUBELET_ONLY = {
    "tolerations": "scheduling (any node, any taint)",
    "dnsPolicy": "kubelet writes the cluster's DNS servers into dns_config: no cluster "
                 "DNS here, so the host's resolv.conf",
}


def pod_to_cri(ds, image, uid, pod_name, log_directory, host_path_of, config_dir):
    """The CRI configs kubelet makes for one pod of the DaemonSet ds:
    (pod sandbox config, [container config]). host_path_of(path) maps a
    hostPath of the manifest to this test's; config_dir holds the ConfigMap's
    files (what kubelet's configMap volume shows). Raises Unsupported on a
    field it cannot carry out."""
    template = Consumed("template", ds["spec"]["template"])
    meta = Consumed("template.metadata", template.take("metadata"))
    labels = meta.take("labels", {})
    meta.done()
    spec = Consumed("template.spec", template.take("spec"))
    template.done()
    host_pid = spec.take("hostPID", False)
    host_network = spec.take("hostNetwork", False)
    for k in KUBELET_ONLY:
        spec.take(k)
    namespaces = {"network": cri.NODE if host_network else cri.POD,
                  "pid": cri.NODE if host_pid else cri.CONTAINER}
    volumes = {}
    for v in spec.take("volumes", []):
        v = Consumed(f"volume {v.get('name')}", v)
        name = v.take("name")
        if "hostPath" in v:
            hp = Consumed(f"volume {name}.hostPath", v.take("hostPath"))
            volumes[name] = host_path_of(hp.take("path"))
            hp.take("type")   # kubelet's check: host_path_of's
            hp.done()
        elif "configMap" in v:
            cm = Consumed(f"volume {name}.configMap", v.take("configMap"))
            cm.take("name")
            cm.take("defaultMode")   # write_configmap() applies it
            volumes[name] = config_dir
            cm.done()
        v.done()
    containers = [_container_to_cri(Consumed(f"container {c.get('name')}", c), image, volumes,
                                    namespaces) for c in spec.take("containers")]
    for c in containers:   # kubelet's labels on every container
        c["labels"] = {"io.kubernetes.container.name": c["metadata"]["name"],
                       "io.kubernetes.pod.name": pod_name,
                       "io.kubernetes.pod.namespace": ds["metadata"]["namespace"],
                       "io.kubernetes.pod.uid": uid}
    spec.done()
    qos = "burstable" if any(c.pop("_requests") for c in containers) else "besteffort"
    pod_config = {
        "metadata": {"name": pod_name, "uid": uid, "namespace": ds["metadata"]["namespace"],
                     "attempt": 0},
        # a host-network pod has the node's name: kubelet sends none
        "log_directory": log_directory,
        "labels": {**labels, "io.kubernetes.pod.name": pod_name,
                   "io.kubernetes.pod.namespace": ds["metadata"]["namespace"],
                   "io.kubernetes.pod.uid": uid},
        "linux": {"cgroup_parent": f"/kubepods/{qos}/pod{uid}",
                  "security_context": {"namespace_options": namespaces}},
    }
    return pod_config, containers


def _container_to_cri(c, image, volumes, namespaces):
    name = c.take("name")
    c.take("image")   # the image this test built stands for it
    sc = Consumed(f"container {name}.securityContext", c.take("securityContext"))
    caps = Consumed("capabilities", sc.take("capabilities"))
    security = {
        "capabilities": {"add_capabilities": caps.take("add", []),
                         "drop_capabilities": caps.take("drop", [])},
        "namespace_options": namespaces,
        "readonly_rootfs": sc.take("readOnlyRootFilesystem", False),
    }
    caps.done()
    for field, key in (("seccompProfile", "seccomp"), ("appArmorProfile", "apparmor")):
        profile = sc.take(field)
        if profile:
            kind = {"Unconfined": cri.UNCONFINED, "RuntimeDefault": cri.RUNTIME_DEFAULT}
            security[key] = {"profile_type": kind[profile["type"]]}
    for field, key in (("runAsUser", "run_as_user"), ("runAsGroup", "run_as_group")):
        if field in sc:
            security[key] = {"value": sc.take(field)}
    sc.done()
    res = Consumed(f"container {name}.resources", c.take("resources"))
    requests, limits = res.take("requests", {}), res.take("limits", {})
    res.done()
    resources = {}
    if "cpu" in requests:   # kubelet: shares = milli-CPUs x 1024 / 1000, at least 2
        resources["cpu_shares"] = max(2, int(quantity(requests["cpu"]) * 1024))
    if "memory" in limits:
        resources["memory_limit_in_bytes"] = int(quantity(limits["memory"]))
    mounts = []
    for m in c.take("volumeMounts", []):
        m = Consumed(f"volumeMount {m.get('name')}", m)
        mounts.append({"container_path": m.take("mountPath"), "host_path": volumes[m.take("name")],
                       "readonly": m.take("readOnly", False)})
        m.done()
    c.done()
    return {"metadata": {"name": name, "attempt": 0}, "image": {"image": image},
            "mounts": mounts, "log_path": f"{name}/0.log",
            "linux": {"resources": resources, "security_context": security},
            "_requests": bool(requests)}
