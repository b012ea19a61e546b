#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""What a kernel offers eBPFlow, seen from inside it: run in a guest by
`tests/vm/matrix --facts`, as root. Prints Markdown for tests/vm/README.md.

Functions, their prototypes and the tracepoints come from the kernel's own BTF
(bpftool's raw dump, parsed here); whether a kind of program loads, attaches
and fires is tried for real with the objects of probes.bpf.c (loaded through
libbpf with ctypes), and with bpftrace where it is installed.
"""
import ctypes
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

FUNCS = ["inet_csk_accept", "udp_sendmsg", "udpv6_sendmsg", "udp_recvmsg", "udpv6_recvmsg",
         "skb_consume_udp", "__skb_recv_udp", "ip_send_skb", "ip6_send_skb", "udp_send_skb",
         "udp_v6_send_skb", "tcp_v4_connect", "tcp_v6_connect", "tcp_close", "inet_release",
         "tcp_set_state"]
TRACEPOINTS = ["inet_sock_set_state", "sock_send_length", "sock_recv_length",
               "sched_process_exit", "tcp_destroy_sock"]
MEMBERS = {"kernfs_node": ["parent", "__parent"],
           "tcp_sock": ["bytes_acked", "bytes_received", "bytes_sent"]}
CONFIG = ["CONFIG_KPROBES", "CONFIG_FUNCTION_TRACER", "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS",
          "CONFIG_BPF_LSM", "CONFIG_DEBUG_INFO_BTF", "CONFIG_PREEMPT", "CONFIG_PREEMPT_DYNAMIC",
          "CONFIG_IPV6", "CONFIG_VETH", "CONFIG_NETFILTER", "CONFIG_NF_CONNTRACK",
          "CONFIG_CGROUP_BPF", "CONFIG_9P_FS", "CONFIG_VIRTIO_PCI"]
# probes.bpf.c's objects and what each needs to fire
PROBES = ["fentry", "fexit_func_ret", "kprobe", "kretprobe", "tp_btf_inet_sock_set_state",
          "tp_btf_sock_send_length", "task_storage_fentry", "sk_storage_fentry",
          "task_storage_cgroup"]
HELPERS = ["bpf_task_storage_get", "bpf_sk_storage_get", "bpf_get_func_ret",
           "bpf_get_func_ip", "bpf_get_current_task_btf"]
MAPS = ["task_storage", "sk_storage", "inode_storage", "ringbuf", "lru_percpu_hash"]
PROGS = ["kprobe", "tracepoint", "raw_tracepoint", "tracing", "lsm", "cgroup_sock_addr",
         "cgroup_sock", "sock_ops"]


class Btf:
    """The kernel's BTF from `bpftool btf dump ... format raw`, indexed by id."""

    def __init__(self, path="/sys/kernel/btf/vmlinux"):
        out = subprocess.run(["bpftool", "btf", "dump", "file", path, "format", "raw"],
                             capture_output=True, text=True, check=True).stdout
        self.types = {}
        self.by_name = {}
        cur = None
        head = re.compile(r"\[(\d+)\] (\w+) '([^']*)'(.*)")
        for line in out.splitlines():
            if line.startswith("\t"):
                cur[3].append(line.strip())
                continue
            m = head.match(line)
            if not m:
                continue
            attrs = dict(a.split("=", 1) for a in m.group(4).split() if "=" in a)
            cur = (m.group(2), m.group(3), attrs, [])
            self.types[int(m.group(1))] = cur
            self.by_name.setdefault((m.group(2), m.group(3)), []).append(int(m.group(1)))

    def name(self, tid, depth=0):
        if tid == 0:
            return "void"
        kind, name, attrs, _ = self.types[tid]
        if kind in ("STRUCT", "UNION", "ENUM", "ENUM64", "FWD"):
            return f"{'union' if kind == 'UNION' else 'enum' if 'ENUM' in kind else 'struct'} {name}"
        if kind == "PTR":
            return self.name(int(attrs["type_id"]), depth + 1) + " *"
        if kind in ("CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"):
            inner = self.name(int(attrs["type_id"]), depth + 1)
            return f"const {inner}" if kind == "CONST" else inner
        if kind == "FUNC_PROTO":
            return "fn"
        if kind == "ARRAY":
            return self.name(int(attrs["type_id"]), depth + 1) + f"[{attrs.get('nr_elems')}]"
        return name

    def prototypes(self, func):
        """Every distinct prototype of FUNC `func` (static ones can repeat)."""
        protos = []
        for tid in self.by_name.get(("FUNC", func), []):
            proto = self.types[int(self.types[tid][2]["type_id"])]
            params = []
            for p in proto[3]:
                m = re.match(r"'([^']*)' type_id=(\d+)", p)
                params.append(f"{self.name(int(m.group(2)))} {m.group(1)}".strip())
            text = f"{self.name(int(proto[2]['ret_type_id']))} {func}({', '.join(params)})"
            if text not in protos:
                protos.append(text)
        return protos

    def has_typedef(self, name):
        return ("TYPEDEF", name) in self.by_name

    def members(self, struct):
        ids = self.by_name.get(("STRUCT", struct), [])
        return {re.match(r"'([^']*)'", m).group(1) for tid in ids for m in self.types[tid][3]}


def udp_and_tcp_traffic(n=3):
    """n UDP datagrams (sendto, unconnected) and n TCP accepts, on loopback."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    for _ in range(n):
        tx.sendto(b"ebpflow-vm", rx.getsockname())
        rx.recvfrom(64)
        c = socket.create_connection(lst.getsockname())
        a, _ = lst.accept()
        a.close()
        c.close()
    for s in (rx, tx, lst):
        s.close()


class Libbpf:
    """The few libbpf calls that load an object, attach its program and read
    its `hits` counter (in the .bss map: only skeletons get it mmaped)."""

    def __init__(self):
        lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        for fn, res, args in (("bpf_object__open_file", vp, [cp, vp]),
                              ("bpf_object__load", ctypes.c_int, [vp]),
                              ("bpf_object__next_program", vp, [vp, vp]),
                              ("bpf_program__section_name", cp, [vp]),
                              ("bpf_program__attach", vp, [vp]),
                              ("bpf_program__attach_cgroup", vp, [vp, ctypes.c_int]),
                              ("bpf_object__next_map", vp, [vp, vp]),
                              ("bpf_map__name", cp, [vp]),
                              ("bpf_map__fd", ctypes.c_int, [vp]),
                              ("bpf_map_lookup_elem", ctypes.c_int, [ctypes.c_int, vp, vp]),
                              ("bpf_link__destroy", ctypes.c_int, [vp]),
                              ("bpf_object__close", None, [vp])):
            getattr(lib, fn).restype = res
            getattr(lib, fn).argtypes = args
        self.lib = lib

    def probe(self, path):
        """'fires (N)', 'attaches, never fired', or why it failed."""
        lib = self.lib
        log = tempfile.TemporaryFile()
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)   # libbpf writes its log to stderr
        obj = link = None
        try:
            obj = lib.bpf_object__open_file(path.encode(), None)
            if not obj:
                return "open failed: " + os.strerror(ctypes.get_errno())
            if lib.bpf_object__load(obj) != 0:
                return "load failed: " + _reason(log)
            prog = lib.bpf_object__next_program(obj, None)
            if lib.bpf_program__section_name(prog).startswith(b"cgroup/"):
                fd = os.open(cgroup2_root(), os.O_RDONLY)
                link = lib.bpf_program__attach_cgroup(prog, fd)
                os.close(fd)
            else:
                link = lib.bpf_program__attach(prog)
            if not link:
                return f"loads, attach failed ({os.strerror(ctypes.get_errno())}): {_reason(log)}"
            udp_and_tcp_traffic()
            m = lib.bpf_object__next_map(obj, None)
            while m and not lib.bpf_map__name(m).endswith(b".bss"):
                m = lib.bpf_object__next_map(obj, m)
            key, hits = ctypes.c_int(0), ctypes.c_int(0)
            lib.bpf_map_lookup_elem(lib.bpf_map__fd(m), ctypes.byref(key), ctypes.byref(hits))
            return f"fires ({hits.value})" if hits.value else "attaches, never fired"
        finally:
            if link:
                lib.bpf_link__destroy(link)
            if obj:
                lib.bpf_object__close(obj)
            os.dup2(saved, 2)
            os.close(saved)


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        roots = [line.split()[1] for line in f if line.split()[2] == "cgroup2"]
    return roots[0] if roots else "/sys/fs/cgroup"


def _reason(log):
    """The telling line of libbpf's log (the verifier's last words)."""
    log.seek(0)
    lines = [l.strip() for l in log.read().decode(errors="replace").splitlines() if l.strip()]
    for i, line in enumerate(lines):
        if "END PROG LOAD LOG" in line:
            before = [l for l in lines[:i] if not l.startswith("processed ")
                      and not l.startswith("verification time")]
            return before[-1][:160] if before else line
    # the cause, not the consequences libbpf reports after it
    interesting = [l for l in lines if ("rror" in l or "failed" in l or "invalid" in l.lower())
                   and "Retrying without BTF" not in l and "failed to load" not in l]
    return (interesting or lines or ["(no log)"])[0][:160]


def bpftrace(probe):
    """Whether bpftrace attaches `probe` and sees it fire."""
    if shutil.which("bpftrace") is None:
        return "bpftrace not installed"
    script = f"{probe} {{ @n = count(); }} interval:s:5 {{ exit(); }}"
    p = subprocess.Popen(["bpftrace", "-e", script], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()   # "Attaching N probes...", before it attaches

    def traffic():
        while p.poll() is None:
            udp_and_tcp_traffic(1)
            time.sleep(0.2)
    if first.startswith("Attaching"):
        threading.Thread(target=traffic, daemon=True).start()
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    m = re.search(r"@n: (\d+)", out)
    if m:
        return f"fires ({m.group(1)})"
    # RLIMIT_MEMLOCK: a warning where BPF memory is charged to the cgroup
    errors = [l.strip() for l in err.splitlines()
              if ("ERROR" in l or "rror:" in l) and "RLIMIT_MEMLOCK" not in l]
    if errors:
        return "refused: " + errors[0][:160]
    if first.startswith("Attaching"):
        return "attaches, never fired"
    return "refused: " + ((err or first).strip().splitlines() or ["?"])[0][:160]


def kernel_config():
    path = os.environ.get("EBPFLOW_VM_CONFIG", "")
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return {}
    found = dict(re.findall(r"(?m)^(CONFIG_\w+)=(\S+)", text))
    return {k: found.get(k, "not set") for k in CONFIG}


def main():
    release = os.uname().release
    print(f"### {release}\n")
    btf_path = "/sys/kernel/btf/vmlinux"
    print(f"- BTF (`{btf_path}`): {'yes' if os.path.exists(btf_path) else 'no'}")
    for k, v in kernel_config().items():
        print(f"- `{k}`: {v}")
    feat = json.loads(subprocess.run(["bpftool", "feature", "probe", "kernel", "-j"],
                                     capture_output=True, text=True).stdout)
    progs = [p for p in PROGS if feat["program_types"].get(f"have_{p}_prog_type")]
    maps = {m: feat["map_types"].get(f"have_{m}_map_type", False) for m in MAPS}
    print(f"- bpftool: program types {', '.join(progs)} "
          f"(missing: {', '.join(p for p in PROGS if p not in progs) or 'none'})")
    print("- bpftool: map types " + ", ".join(f"{m} {'yes' if v else 'no'}" for m, v in maps.items()))
    helpers = feat["helpers"]
    for ptype in ("kprobe", "tracing", "cgroup_sock_addr"):
        have = helpers.get(f"{ptype}_available_helpers", [])
        shown = [h for h in HELPERS if h in have]
        print(f"- bpftool: helpers for {ptype} programs ({len(have)} listed): "
              f"{', '.join(shown) or 'none of ' + ', '.join(HELPERS)}")

    btf = Btf()
    with open("/proc/kallsyms") as f:
        syms = {line.split()[2] for line in f}
    try:
        with open("/sys/kernel/tracing/available_filter_functions") as f:
            ftrace = {line.split()[0] for line in f}
    except OSError:
        ftrace = set()
    print("\n| function | kallsyms | ftrace-able | prototype (BTF) |\n| --- | --- | --- | --- |")
    for fn in FUNCS:
        variants = sorted(s for s in syms if s.startswith(fn + "."))
        ks = "yes" if fn in syms else ("no" + (f" ({', '.join(variants)})" if variants else ""))
        protos = btf.prototypes(fn)
        print(f"| {fn} | {ks} | {'yes' if fn in ftrace else 'no'} | "
              f"{'<br>'.join(f'`{p}`' for p in protos) or 'not in BTF'} |")
    print("\n| tracepoint | BTF `btf_trace_*` | tracefs |\n| --- | --- | --- |")
    for tp in TRACEPOINTS:
        tracefs = [d for d in ("sock", "tcp", "sched")
                   if os.path.isdir(f"/sys/kernel/tracing/events/{d}/{tp}")]
        print(f"| {tp} | {'yes' if btf.has_typedef('btf_trace_' + tp) else 'no'} | "
              f"{tracefs[0] + ':' + tp if tracefs else 'no'} |")
    print()
    for struct, names in MEMBERS.items():
        have = btf.members(struct)
        print(f"- struct {struct}: " + ", ".join(f"{n} {'yes' if n in have else 'no'}" for n in names))

    probes = os.environ.get("EBPFLOW_VM_PROBES")
    print("\n| program (probes.bpf.c) | result |\n| --- | --- |")
    if probes:
        lib = Libbpf()
        for p in PROBES:
            print(f"| {p} | {lib.probe(os.path.join(probes, p + '.o'))} |", flush=True)
    else:
        print("| (EBPFLOW_VM_PROBES not set) | - |")
    print("\n| bpftrace | result |\n| --- | --- |")
    for p in ("kfunc:udp_sendmsg", "kretfunc:inet_csk_accept", "kprobe:udp_sendmsg",
              "kretprobe:inet_csk_accept"):
        print(f"| `{p}` | {bpftrace(p)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
