# SPDX-License-Identifier: GPL-2.0-only
"""bench/run's peers and floor sections (bench/README.md).

The UDP and TCP loops run as two copies at once (both CPUs busy: with one
CPU idle a capture's work moves there and looks free), once with each
contender, alternated in every round: nothing, eBPFlow, the floor (empty
programs on the hooks of eBPFlow's tier, ebpflow-bench-floor), and the
capture exporters users could run instead, Debian's softflowd and pmacctd
(nfprobe plugin), on the loopback, exporting IPFIX to a local port nobody
reads. The cost is the host's CPU per iteration: the loops' own CPU (BPF
programs and the loopback's softirq work run in them) plus every process
of the exporter, from the loops' start until the exporter is idle again.
"""
import atexit
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time

# figures bench/run --smoke requires, per section
EXPECTED = {
    "peers": [f"{w}_x2_{f}" for w in ("udp", "tcp") for f in (
        "host_cpu_ratio_ebpflow", "host_cpu_ratio_softflowd", "host_cpu_ratio_pmacctd",
        "wall_ratio_softflowd", "wall_ratio_pmacctd", "softflowd_pcap_dropped",
        "pmacctd_pcap_dropped", "softflowd_packets_processed", "pmacctd_pcap_received")],
    "floor": [f"{w}_x2_{f}" for w in ("udp", "tcp") for f in (
        "host_cpu_ratio_floor", "host_cpu_ratio_ebpflow", "ebpflow_over_floor_ns_per_op",
        "ebpflow_code_share")],
    "floor_hooks": [f"hooks_udp_x2_host_cpu_ratio_{v}" for v in (
        "floor", "floor_no_egress", "floor_no_recvmsg", "floor_no_cgroup_skb_recvmsg",
        "floor_tp_btf_only")],
}

# floor_hooks: the tracepoint tier's floor with some of its hooks left out
# (ebpflow-bench-floor's list of programs), to learn which of them cost
TRACEPOINT_FLOOR = ("floor_tcp_state", "floor_proc_exit", "floor_sock_send", "floor_sock_recv",
                    "floor_recvmsg4", "floor_recvmsg6", "floor_egress", "floor_release")
FLOOR_VARIANTS = {
    "floor_no_egress": [p for p in TRACEPOINT_FLOOR if p != "floor_egress"],
    "floor_no_recvmsg": [p for p in TRACEPOINT_FLOOR if not p.startswith("floor_recvmsg")],
    "floor_no_cgroup_skb_recvmsg": [p for p in TRACEPOINT_FLOOR if p != "floor_egress" and
                                    not p.startswith("floor_recvmsg")],
    "floor_tp_btf_only": ["floor_sock_send", "floor_sock_recv"],
}


PLUGINS = []  # pmacctd's plugin processes: not our children, so bench/run's atexit misses them


@atexit.register
def kill_plugins():
    for pid in PLUGINS:
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "pmacctd":
                    os.kill(pid, signal.SIGKILL)
        except (FileNotFoundError, ProcessLookupError):
            pass  # gone with its core, as it should


def task_cpu_s(pid):
    """CPU seconds of every thread of a process, in ns resolution (schedstat):
    /proc/PID/stat counts clock ticks, too coarse for a loop of a second."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass  # gone, or a thread that ended between the listing and the read
    return total / 1e9


def children(pid):
    try:
        return [int(c) for t in os.listdir(f"/proc/{pid}/task")
                for c in open(f"/proc/{pid}/task/{t}/children").read().split()]
    except FileNotFoundError:
        return []


def lo_packets():
    with open("/sys/class/net/lo/statistics/tx_packets") as f:
        return int(f.read())


def cgroup2_root():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if " - cgroup2 " in line:
                return line.split()[4]
    raise RuntimeError("no cgroup v2 hierarchy mounted: the floor's cgroup hooks need one")


def wait_for(cond, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready after {timeout} s")
        time.sleep(0.05)


def stop_pid(p, sig=signal.SIGTERM, timeout=15):
    """Stop a child we started, by its pid; killed if it does not go."""
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class SideBySide:
    def __init__(self, bench, start, figure):
        self.b = bench
        self.start = start  # bench/run's: every child is killed at exit
        self.figure = figure
        self.sink_port = 30000 + (os.getpid() + 7) % 20000  # PORT + 7: eBPFlow's collector is PORT
        self.sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sink.bind(("127.0.0.1", self.sink_port))  # unread: the exports land and drop here

    # Each contender: start() -> handle; pids(handle); counters(handle) -> dict; stop(handle)
    def start_none(self):
        return None

    def start_ebpflow(self):
        return self.b.start_ebpflow()

    def start_floor(self, progs=None):
        p = self.start([os.path.join(self.b.build, "bench", "ebpflow-bench-floor"), self.b.tier,
                        cgroup2_root(), *([",".join(progs)] if progs else [])],
                       stdout=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        if not line.startswith("attached:") or (progs and int(line.split()[1]) != len(progs)):
            raise RuntimeError(f"ebpflow-bench-floor did not attach its programs: {line!r}")
        return p

    def start_softflowd(self):
        ctl = os.path.join(self.b.tmp, "softflowd.ctl")
        if os.path.exists(ctl):
            os.unlink(ctl)
        p = self.start(["softflowd", "-d", "-i", "lo", "-v", "10", "-n",
                        f"127.0.0.1:{self.sink_port}", "-p",
                        os.path.join(self.b.tmp, "softflowd.pid"), "-c", ctl],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(ctl) or p.poll() is not None, "softflowd")
        if p.poll() is not None:
            raise RuntimeError("softflowd exited at start")
        return p

    def start_pmacctd(self):
        log = os.path.join(self.b.tmp, "pmacctd.log")
        conf = os.path.join(self.b.tmp, "pmacctd.conf")
        if os.path.exists(log):
            os.unlink(log)
        with open(conf, "w") as f:
            f.write(f"daemonize: false\npcap_interface: lo\nplugins: nfprobe\n"
                    f"nfprobe_receiver: 127.0.0.1:{self.sink_port}\nnfprobe_version: 10\n"
                    f"aggregate: src_host, dst_host, src_port, dst_port, proto\n"
                    f"logfile: {log}\n")
        p = self.start(["pmacctd", "-f", conf], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        # the plugin says where it exports once it runs; the core has opened lo before
        wait_for(lambda: p.poll() is not None or (
            os.path.exists(log) and "Exporting flows to" in open(log).read()), "pmacctd")
        if p.poll() is not None:
            raise RuntimeError("pmacctd exited at start")
        p.plugins = children(p.pid)  # the nfprobe plugin is a process of its own
        PLUGINS.extend(p.plugins)
        return p

    def pids(self, name, h):
        if name == "ebpflow":
            return [h[0].pid]
        if name == "pmacctd":
            return [h.pid, *h.plugins]
        return [] if h is None else [h.pid]

    def counters(self, name, h):
        """The capture's own counters since it started: what libpcap received
        (on lo every packet twice: the outgoing copy, which libpcap then
        skips, and the incoming one) and dropped."""
        if name == "softflowd":
            out = subprocess.run(["softflowctl", "-c", os.path.join(self.b.tmp, "softflowd.ctl"),
                                  "statistics"], capture_output=True, text=True,
                                 check=True).stdout
            got = {}
            for key, label in (("packets_processed", "Packets processed:"),
                               ("pcap_received", "Packets received by libpcap:"),
                               ("pcap_dropped", "Packets dropped by libpcap:")):
                line = next(l for l in out.splitlines() if l.startswith(label))
                got[key] = int(line.split(":")[1].split()[0])
            return got
        if name == "pmacctd":
            log = os.path.join(self.b.tmp, "pmacctd.log")
            before = open(log).read().count("received_packets=")
            h.send_signal(signal.SIGUSR1)  # the core logs libpcap's statistics
            wait_for(lambda: open(log).read().count("received_packets=") > before,
                     "pmacctd statistics")
            line = [l for l in open(log).read().splitlines() if "received_packets=" in l][-1]
            fields = dict(kv.split("=") for kv in line.split() if "=" in kv)
            return {"pcap_received": int(fields["received_packets"]),
                    "pcap_dropped": int(fields["dropped_packets"])}
        return {}

    def stop(self, name, h):
        if name == "ebpflow":
            return self.b.stop_ebpflow(h)
        if h is not None:
            stop_pid(h)
        if getattr(h, "plugins", None):
            kill_plugins()  # should one outlive its core
        return {}

    def one_run(self, what, name):
        """Both loops with one contender: wall per op, the host's CPU per op,
        the contender's own counters."""
        n = self.b.n(f"peers_{what}")
        if name in FLOOR_VARIANTS:
            h = self.start_floor(FLOOR_VARIANTS[name])
        else:
            h = getattr(self, f"start_{name}")()
        pids = self.pids(name, h)
        lo0 = lo_packets()
        c0 = sum(task_cpu_s(p) for p in pids)
        outs = self.b.run_load(what, n, procs=2)
        # a capture that fell behind works on after the loops: count it until idle;
        # libpcap hands over its ring a block at a time, the last one after a timeout
        if pids:
            time.sleep(1)
        last, deadline = None, time.monotonic() + 10
        while pids and time.monotonic() < deadline:
            c = sum(task_cpu_s(p) for p in pids)
            if last is not None and c - last < 0.002:
                break
            last = c
            time.sleep(0.3)
        exporter = sum(task_cpu_s(p) for p in pids) - c0
        got = self.counters(name, h)
        got["lo_packets"] = lo_packets() - lo0
        got.update({k: v for k, v in self.stop(name, h).items() if k == "lost"})
        got["wall_ns"] = statistics.mean(o["wall_ns_per_op"] for o in outs)
        got["cpu_ns"] = (sum(o["cpu_s"] for o in outs) + exporter) / (2 * n) * 1e9
        got["exporter_cpu_s"] = exporter
        return got

    def run(self, peers, floor):
        missing = [p for p in ("softflowd", "softflowctl", "pmacctd") if peers and not
                   shutil.which(p)]
        if missing:
            raise RuntimeError(f"peers: {', '.join(missing)} not installed "
                               "(scripts/deps.sh --test installs them)")
        if floor and not self.b.tier:  # the tier eBPFlow picks here, for the floor to copy
            self.b.stop_ebpflow(self.b.start_ebpflow())
        names = ["none", "ebpflow"] + (["floor"] if floor else []) + \
            (["softflowd", "pmacctd"] if peers else [])
        for what in ("udp", "tcp"):
            rounds = []
            for _ in range(self.b.rounds):
                rounds.append({name: self.one_run(what, name) for name in names})
            self.report(what, names, rounds, peers, floor)

    def run_floor_hooks(self):
        """The UDP loop with the tracepoint tier's floor, whole and with hooks
        left out, alternated in every round: what each hook costs."""
        if self.b.tier != "tracepoint":
            raise RuntimeError(f"floor_hooks: the variants are the tracepoint tier's, "
                               f"eBPFlow runs the {self.b.tier} tier here (--hooks tracepoint)")
        names = ["none", "floor", *FLOOR_VARIANTS]
        rounds = [{name: self.one_run("udp", name) for name in names}
                  for _ in range(self.b.rounds)]
        n = self.b.n("peers_udp")
        how = (f"bench/run --only floor_hooks: 2 x udp loop x{n} at once, {self.b.rounds} "
               f"alternated rounds ({', '.join(names)}); host CPU = the loops'")
        med = lambda f: statistics.median(f(r) for r in rounds)
        self.figure("hooks_udp_x2_host_cpu_ns_per_op_none", med(lambda r: r["none"]["cpu_ns"]),
                    "ns", "", how)
        for name in names[1:]:
            self.figure(f"hooks_udp_x2_host_cpu_ratio_{name}",
                        med(lambda r: r[name]["cpu_ns"] / r["none"]["cpu_ns"]), "x", "",
                        how + (f": {', '.join(FLOOR_VARIANTS[name])}"
                               if name in FLOOR_VARIANTS else ": the tier's 8 hooks"))
            self.figure(f"hooks_udp_x2_ns_per_op_{name}",
                        med(lambda r: r[name]["cpu_ns"] - r["none"]["cpu_ns"]), "ns", "", how)

    def report(self, what, names, rounds, peers, floor):
        n = self.b.n(f"peers_{what}")
        how = (f"bench/run: 2 x {what} loop x{n} at once, {self.b.rounds} alternated rounds "
               f"({', '.join(names)}); host CPU = loops + exporter processes")
        med = lambda f: statistics.median(f(r) for r in rounds)
        self.figure(f"{what}_x2_host_cpu_ns_per_op_none", med(lambda r: r["none"]["cpu_ns"]),
                    "ns", "", how)
        for name in names[1:]:
            self.figure(f"{what}_x2_host_cpu_ratio_{name}",
                        med(lambda r: r[name]["cpu_ns"] / r["none"]["cpu_ns"]), "x", "", how)
            self.figure(f"{what}_x2_wall_ratio_{name}",
                        med(lambda r: r[name]["wall_ns"] / r["none"]["wall_ns"]), "x", "", how)
        if floor:
            own = med(lambda r: r["ebpflow"]["cpu_ns"] - r["floor"]["cpu_ns"])
            self.figure(f"{what}_x2_floor_ns_per_op",
                        med(lambda r: r["floor"]["cpu_ns"] - r["none"]["cpu_ns"]), "ns", "",
                        how + f"; the floor: empty programs on the {self.b.tier} tier's hooks")
            self.figure(f"{what}_x2_ebpflow_over_floor_ns_per_op", own, "ns", "", how)
            self.figure(f"{what}_x2_ebpflow_code_share",
                        med(lambda r: (r["ebpflow"]["cpu_ns"] - r["floor"]["cpu_ns"]) /
                            r["none"]["cpu_ns"]), "", "<= 0.03", how)
        # kept up: the captures' own counters, summed over the rounds
        total = lambda name, k: sum(r[name][k] for r in rounds)
        if what == "udp":
            self.figure("udp_x2_packets_made", 2 * n * self.b.rounds, "", "",
                        how + " (one datagram an iteration)")
        if all(r["ebpflow"].get("lost") is not None for r in rounds):
            self.figure(f"{what}_x2_ebpflow_calls_lost", total("ebpflow", "lost"), "", "= 0",
                        how)
        for name in ("softflowd", "pmacctd") if peers else ():
            self.figure(f"{what}_x2_{name}_lo_packets", total(name, "lo_packets"), "", "",
                        how + ": packets on lo while it ran (the loops' and any other's)")
            self.figure(f"{what}_x2_{name}_pcap_received", total(name, "pcap_received"), "",
                        f"= 2 x {what}_x2_{name}_lo_packets", how + " (libpcap: outgoing and "
                        "incoming copy of each packet on lo)")
            self.figure(f"{what}_x2_{name}_pcap_dropped", total(name, "pcap_dropped"), "", "= 0",
                        how)
            if name == "softflowd":
                self.figure(f"{what}_x2_softflowd_packets_processed",
                            total(name, "packets_processed"), "",
                            f"= {what}_x2_softflowd_lo_packets", how)
