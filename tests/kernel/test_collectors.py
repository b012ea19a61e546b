#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Third-party collectors from Debian, end to end, as root. eBPFlow exports
an exact workload to pmacct's nfacctd (print plugin, JSON) configured with
nothing but the generated aggregate_primitives file and the aggregate line it
suggests, to nfcapd and to ebpflow-collector, while tshark captures the
export. The workload: TCP and UDP between two network namespaces, the client
as nobody, and a UDP exchange between two containers of a private dockerd.
nfacctd must show each process's pid, name, user and container id with its
exact count; tshark must dissect every message without a malformed packet or
an error; nfdump shows the flows as before. The same for the ntop profile
(nProbe's elements) with its own generated file. One flow as each collector
shows it goes to stderr (docs/collectors.md shows the same)."""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import (BUILD_DIR, NOBODY_UID, Collector, Ebpflow, Nfcapd, TwoHosts,  # noqa: E402
                     Workload, port_base)
import test_containers  # noqa: E402  (its private dockerd and image)
from test_containers import DOCKERD, IMAGE, SOCK, docker, wait_ready  # noqa: E402

N_TCP = 5
N_UDP = 4
N_CONT = 3
PAYLOAD = 21
P = port_base(20)    # P..P+15: ours
COMM = "ebpflow-wl"
MAPPINGS = os.path.join(BUILD_DIR, "templates", "collectors")

NET = None
RUN = {}


class Nfacctd(testlib.Process):
    """Debian's nfacctd on a loopback port: the print plugin writing JSON, the
    generated primitives file and the aggregate line its header suggests."""

    def __init__(self, port, primitives):
        self.dir = tempfile.mkdtemp(prefix=f"ebpflow-nfacctd-{os.getpid()}-")
        with open(primitives) as f:
            self.aggregate = re.search(r"^!   aggregate: (.*)$", f.read(), re.M).group(1)
        self.out = os.path.join(self.dir, "flows.json")
        self.log = os.path.join(self.dir, "nfacctd.log")
        conf = os.path.join(self.dir, "nfacctd.conf")
        with open(conf, "w") as f:
            f.write(f"daemonize: false\nnfacctd_ip: 127.0.0.1\nnfacctd_port: {port}\n"
                    f"aggregate_primitives: {primitives}\naggregate: {self.aggregate}\n"
                    f"plugins: print\nprint_output: json\nprint_output_file: {self.out}\n"
                    "print_output_file_append: true\nprint_refresh_time: 1\n")
        with open(self.log, "w") as log:
            super().__init__(["nfacctd", "-f", conf], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while "waiting for NetFlow/IPFIX data" not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"nfacctd did not start: {self.text()}")
            time.sleep(0.1)

    def text(self):
        with open(self.log) as f:
            return f.read()

    def records(self):
        """Stop it (SIGINT: it blocks SIGTERM; the last purge writes) and parse."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        with open(self.out) as f:
            recs = [json.loads(l) for l in f if l.strip()]
        shutil.rmtree(self.dir, ignore_errors=True)
        return recs


class Tshark(testlib.Process):
    """tshark capturing the export to one port on loopback into a file of ours."""

    def __init__(self, port):
        self.port = port
        fd, self.pcap = tempfile.mkstemp(prefix=f"ebpflow-tshark-{os.getpid()}-", suffix=".pcap")
        os.close(fd)
        super().__init__(["tshark", "-i", "lo", "-f", f"udp port {port}", "-w", self.pcap, "-q"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = ""
        while "Capturing on" not in line:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("tshark did not start capturing")
        time.sleep(0.5)  # dumpcap has its filter in place

    def read(self, *args):
        return subprocess.run(["tshark", "-r", self.pcap, "-d", f"udp.port=={self.port},cflow",
                               *args], capture_output=True, text=True, check=True).stdout

    def dissect(self):
        """Stop, then: the full dissection, the packets tshark flags, its expert summary."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.communicate(timeout=30)
        out = (self.read("-V"), self.read("-Y", "_ws.malformed or _ws.expert.severity == error"),
               self.read("-q", "-z", "expert"), self.read())
        os.unlink(self.pcap)
        return out


def export(profile, workloads, *args):
    """Run eBPFlow with the profile, to nfacctd (with the profile's generated
    file) watched by tshark, and to nfcapd and ebpflow-collector; run the
    workloads; return what each collector got."""
    base = P if profile == "ebpflow" else P + 10
    with contextlib.ExitStack() as started:  # what a failure leaves is killed
        tshark = Tshark(base)
        started.callback(tshark.kill_if_running)
        nfacctd = Nfacctd(base, os.path.join(MAPPINGS, profile, "pmacct-primitives.lst"))
        started.callback(nfacctd.kill_if_running)
        nfcapd = Nfcapd(base + 1)
        started.callback(nfcapd.kill_if_running)
        collector = Collector(base + 2)
        started.callback(collector.kill_if_running)
        probe = Ebpflow("-o", "json", "-i", "1", "--ie-profile", profile, "--collector",
                        f"127.0.0.1:{base}", "--collector", f"127.0.0.1:{base + 1}",
                        "--collector", f"127.0.0.1:{base + 2}", *args)
        try:
            ran = workloads()
            time.sleep(2)  # the exits are reported at the next drain
        finally:
            probe.stop()
            time.sleep(0.5)  # the last messages are on their way over loopback
            got = {"nfacctd": nfacctd.records(), "aggregate": nfacctd.aggregate,
                   "nfdump": nfcapd.flows(), "collector": collector.records(),
                   "tshark": tshark.dissect()}
    if probe.returncode != 0:
        raise RuntimeError(f"ebpflow exited with {probe.returncode}: {probe.stderr}")
    got["json"] = probe.records()
    got["log"] = probe.stderr
    got.update(ran)
    return got


def runtime_log(got):
    """What eBPFlow logged of the container runtime (why a name is missing)."""
    lines = [line for line in got["log"].splitlines() if "container" in line]
    return "eBPFlow's log of the runtime: " + (" | ".join(lines) or "nothing")


def ebpflow_workloads():
    a4, b4 = TwoHosts.V4
    b6 = TwoHosts.V6[1]
    ran = {}
    srv = Workload(NET.b, ["tcp-server", b4, P + 3, N_TCP])
    cli = Workload(NET.a, ["tcp-client", b4, P + 3, N_TCP, 20], as_nobody=True)
    ran["tcp"] = (cli.wait(), srv.wait())
    srv = Workload(NET.b, ["udp-server", b6, P + 4, N_UDP])
    cli = Workload(NET.a, ["udp-client", b6, P + 4, N_UDP, 20, "sendto"], as_nobody=True)
    ran["udp6"] = (cli.wait(), srv.wait())
    # two containers: the workloads are their first processes, so dockerd
    # knows their pids on this host
    srv_id = docker("run", "-d", "--name", "test-server", "--network", "none", IMAGE,
                    "/ebpflow-wl", "udp-server", "127.0.0.1", str(P + 5), str(N_CONT))
    wait_ready("test-server", 1)
    # while it waits for the datagrams: its pid on this host
    srv_pid = json.loads(docker("inspect", "test-server"))[0]["State"]["Pid"]
    cli_id = docker("run", "-d", "--name", "test-client", "--network", "container:test-server",
                    IMAGE, "/ebpflow-wl", "udp-client", "127.0.0.1", str(P + 5), str(N_CONT),
                    "20", "sendto")
    ran["containers"] = {"test-server": {"id": srv_id, "pid": srv_pid},
                         "test-client": {"id": cli_id}}
    for c in ("test-client", "test-server"):
        if docker("wait", c) != "0":
            raise RuntimeError(f"{c} failed: {docker('logs', c)}")
    return ran


def ntop_workloads():
    b4 = TwoHosts.V4[1]
    srv = Workload(NET.b, ["tcp-server", b4, P + 13, N_TCP])
    cli = Workload(NET.a, ["tcp-client", b4, P + 13, N_TCP, 20], as_nobody=True)
    return {"tcp": (cli.wait(), srv.wait())}


def setUpModule():
    global NET
    testlib.require_kernel_privileges()
    testlib.require_tools("nfacctd", "tshark", "nfcapd", "nfdump")
    test_containers.need_docker()
    NET = TwoHosts().__enter__()
    try:
        DOCKERD.start()
        DOCKERD.build_image()
        RUN["ebpflow"] = export("ebpflow", ebpflow_workloads, "-d", "--docker-socket", SOCK)
        RUN["ntop"] = export("ntop", ntop_workloads)
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    DOCKERD.stop()
    if NET:
        NET.__exit__(None, None, None)
    Workload.cleanup()


def rows(recs, **want):
    """nfacctd's rows with these values (it prints custom integers as strings)."""
    return [r for r in recs if all(str(r.get(k)) == str(v) for k, v in want.items())]


def calls(r):
    """The calls of an nfacctd row: datagrams (packets) for UDP, connections
    (deltaFlowCount, as pmacct's flows) for TCP (templates/ELEMENTS.md)."""
    return r["flows"] if r["ip_proto"] == "tcp" else r["packets"]


class NfacctdTest(unittest.TestCase):
    """pmacct keeps the process, user and container through the generated file."""

    def check(self, recs, n, **want):
        mine = rows(recs, **want)
        self.assertTrue(mine, f"no nfacctd row with {want}")
        self.assertEqual(sum(calls(r) for r in mine), n, mine)
        return mine

    def test_tcp_process_user(self):
        got = RUN["ebpflow"]
        cli, srv = got["tcp"]
        a, b = TwoHosts.V4
        common = dict(ip_src=a, ip_dst=b, port_dst=P + 3, ip_proto="tcp", process_name=COMM,
                      container_id="", ip_version=4)
        self.check(got["nfacctd"], N_TCP, process_id=cli.pid, process_user_name="nobody",
                   process_user_id=NOBODY_UID, flow_direction=1, **common)
        self.check(got["nfacctd"], N_TCP, process_id=srv.pid, process_user_name="root",
                   process_user_id=0, flow_direction=0, **common)
        print("nfacctd:", json.dumps(rows(got["nfacctd"], process_id=cli.pid)[0]),
              file=sys.stderr)

    def test_udp6_bytes(self):
        got = RUN["ebpflow"]
        cli, srv = got["udp6"]
        a, b = TwoHosts.V6
        out = self.check(got["nfacctd"], N_UDP, process_id=cli.pid, ip_src=a, ip_dst=b,
                         process_user_name="nobody", ip_proto="udp")
        inb = self.check(got["nfacctd"], N_UDP, process_id=srv.pid, ip_src=a, ip_dst=b,
                         process_user_name="root", ip_proto="udp")
        for recs in (out, inb):
            self.assertEqual(sum(r["bytes"] for r in recs), N_UDP * PAYLOAD)

    def test_container_ids(self):
        got = RUN["ebpflow"]
        srv, cli = got["containers"]["test-server"], got["containers"]["test-client"]
        inb = self.check(got["nfacctd"], N_CONT, container_id=srv["id"], flow_direction=0,
                         process_id=srv["pid"], process_name=COMM, process_user_name="root",
                         port_dst=P + 5)
        out = self.check(got["nfacctd"], N_CONT, container_id=cli["id"], flow_direction=1,
                         process_name=COMM, process_user_name="root", port_dst=P + 5)
        # a name missing is the runtime's answer missing: eBPFlow's log says why
        why = runtime_log(got)
        self.assertEqual({r["container_name"] for r in inb}, {"test-server"}, why)
        self.assertEqual({r["container_name"] for r in out}, {"test-client"}, why)

    def test_ntop_profile(self):
        got = RUN["ntop"]
        cli, srv = got["tcp"]
        self.check(got["nfacctd"], N_TCP, src_proc_pid=cli.pid, src_proc_name=COMM,
                   src_proc_user_name="nobody", src_proc_uid=NOBODY_UID, flow_direction=1)
        self.check(got["nfacctd"], N_TCP, dst_proc_pid=srv.pid, dst_proc_name=COMM,
                   dst_proc_user_name="root", dst_proc_uid=0, flow_direction=0)

    def test_same_counts_as_json(self):
        """Every call eBPFlow reported for a process of the workload is in nfacctd."""
        got = RUN["ebpflow"]
        for proc in (*got["tcp"], *got["udp6"]):
            js = sum(r["count"] for r in got["json"] if r["pid"] == proc.pid)
            self.assertEqual(sum(calls(r) for r in rows(got["nfacctd"], process_id=proc.pid)),
                             js)


class TsharkTest(unittest.TestCase):
    """tshark dissects every message: no malformed packet, no expert error."""

    def test_nothing_malformed(self):
        for profile in ("ebpflow", "ntop"):
            full, flagged, expert, summary = RUN[profile]["tshark"]
            self.assertEqual(flagged, "", f"{profile}: {flagged}")
            self.assertNotIn("Malformed", full)
            self.assertNotRegex(expert, r"Errors \(\d+\)")
            self.assertGreaterEqual(summary.count("IPFIX flow"), 3, summary)  # templates, data

    def test_fields_dissected(self):
        full = RUN["ebpflow"]["tshark"][0]
        cli = RUN["ebpflow"]["tcp"][0]
        self.assertIn("User Name: nobody", full)  # IANA userName, named by tshark
        # the flow templates alone in the first message (nfacctd reads them all)
        self.assertRegex(RUN["ebpflow"]["tshark"][3].splitlines()[0],
                         r"IPFIX flow .* \[Data-Template:256,257,264,265\]$")
        # the client's pid as processId (32473/1), four bytes in network order
        pid_hex = " ".join(f"{b:02x}" for b in cli.pid.to_bytes(4, "big"))
        self.assertIn(f"Type 1: Value (hex bytes): {pid_hex}", full)
        flow = next(f for f in re.split(r"\n(?=        Flow \d+\n)", full) if pid_hex in f
                    and f.startswith("        Flow ")).splitlines()
        flow = flow[:1] + [l for l in flow[1:] if l.startswith(" " * 12)]
        print("tshark:\n" + "\n".join(flow), file=sys.stderr)


class NfdumpTest(unittest.TestCase):
    """nfcapd/nfdump: addresses, port, protocol; TCP's calls as the flows a record aggregates."""

    def test_tcp_rows(self):
        got = RUN["ebpflow"]
        a, b = TwoHosts.V4
        mine = [r for r in got["nfdump"] if r["sa"] == a and r["da"] == b
                and r["dp"] == str(P + 3) and r["pr"] == "TCP"]
        self.assertEqual(sorted((r["dir"], int(r["fl"]), int(r["ipkt"])) for r in mine),
                         [("0", N_TCP, 0), ("1", N_TCP, 0)])
        print("nfdump:", ",".join(f"{k}={v}" for k, v in mine[0].items() if v), file=sys.stderr)

    def test_process_in_both_profiles_and_containers(self):
        """The RFC 6759 table names the process, its user and its container (%nbnam)."""
        a, b = TwoHosts.V4
        for profile, port in (("ebpflow", P + 3), ("ntop", P + 13)):
            cli, srv = RUN[profile]["tcp"]
            rows = {r["dir"]: r["nbnam"] for r in RUN[profile]["nfdump"]
                    if r["sa"] == a and r["da"] == b and r["dp"] == str(port)}
            self.assertEqual(rows, {"1": f"{COMM}/pid={cli.pid} user=nobody",
                                    "0": f"{COMM}/pid={srv.pid} user=root"}, profile)
        got = RUN["ebpflow"]
        srv_pid = got["containers"]["test-server"]["pid"]
        rows = {r["dir"]: r["nbnam"] for r in got["nfdump"] if r["dp"] == str(P + 5)}
        self.assertRegex(rows["1"], rf"^{COMM}/pid=\d+ user=root container=test-client$",
                         runtime_log(got))
        self.assertEqual(rows["0"], f"{COMM}/pid={srv_pid} user=root container=test-server",
                         runtime_log(got))


class CollectorTest(unittest.TestCase):
    """ebpflow-collector: every element by name, the container ids as nfacctd has them."""

    def test_same_as_nfacctd(self):
        got = RUN["ebpflow"]
        cli = got["tcp"][0]
        recs = [r for r in got["collector"] if r.get("processId") == cli.pid]
        self.assertEqual(sum(r["newConnectionDeltaCount"] for r in recs), N_TCP)
        self.assertEqual({(r["userName"], r["processName"], r["containerId"]) for r in recs},
                         {("nobody", COMM, "")})
        cid = got["containers"]["test-client"]["id"]
        self.assertEqual(sum(r["callDeltaCount"] for r in got["collector"]
                             if r.get("containerId") == cid), N_CONT)
        print("ebpflow-collector:", json.dumps(recs[0]), file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
