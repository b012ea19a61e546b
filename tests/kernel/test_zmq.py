#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""--zmq end to end, as root. ntopng is not in Debian: ebpflow-ntopng-sub
(tests/ntopng_sub.c) reads the messages as ntopng's collector does and
prints each one; a TLV payload is decoded by tests/lib/ntopng_tlv.py, as
ntopng's parseTLVFlow reads it. An exact workload between two network
namespaces (TCP with known bytes each way as nobody, refused connects, UDP
over IPv6) is published while the subscriber connects to eBPFlow (ntopng's
-i tcp://HOST:PORT), once in each format: TLV (the default) and JSON. Every
message must have ntopng's framing (topic, header version and length, size,
source id, message ids one after the other) and every flow exactly the
workload's counts and bytes, with the process as SRC_PROC_* when outbound
and DST_PROC_* when inbound, and be the same record as eBPFlow's own JSON
output. Before the subscriber comes, what is published is counted as lost
and said once. Then ntopng's collector mode (a trailing c: the subscriber
binds, eBPFlow connects), a SIGHUP that changes the format (JSON to TLV) on
the same endpoint and one that moves eBPFlow to another endpoint. One flow
of each format as the subscriber shows it goes to stderr (docs/collectors.md
shows the same)."""
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
import ntopng_tlv  # noqa: E402
import testlib  # noqa: E402
from testlib import (BUILD_DIR, EBPFLOW, NOBODY_UID, Ebpflow, TwoHosts, Workload,  # noqa: E402
                     port_base)

SUBSCRIBER = os.path.join(BUILD_DIR, "tests", "ebpflow-ntopng-sub")
N_TCP = 4
XFER = (700, 9000)   # TCP payload bytes client -> server, server -> client, per connection
N_REFUSED = 3
N_UDP = 5
PAYLOAD = 21
DOMAIN = 7           # --observation-domain: the messages' source id
P = port_base(30)    # P..P+15: ours
COMM = "ebpflow-wl"
HDR_VERSION = {"tlv": 3, "json": 2}
# per format: eBPFlow's endpoint, the exchange nobody hears, TCP, refused, UDP over IPv6
PORTS = {"tlv": dict(zmq=P, unsubscribed=P + 1, tcp=P + 2, refused=P + 3, udp6=P + 4),
         "json": dict(zmq=P + 5, unsubscribed=P + 6, tcp=P + 7, refused=P + 12, udp6=P + 13)}

NET = None
TMP = None
RUN = {}


def require_zmq():
    """Skip (in CI: fail) when this build has no libzmq."""
    r = subprocess.run([EBPFLOW, "--zmq", "tcp://127.0.0.1:1", "--check-config"],
                       capture_output=True, text=True)
    if r.returncode == 0 and os.path.exists(SUBSCRIBER):
        return
    why = f"this build has no ZMQ support ({r.stderr.strip()})"
    testlib.skip_or_fail("this test", why, f"{why}; scripts/deps.sh installs libzmq3-dev")


class Subscriber(testlib.Process):
    """ebpflow-ntopng-sub as ntopng -i ENDPOINT; its lines go to a file of ours."""

    def __init__(self, endpoint):
        self.out = tempfile.TemporaryFile(mode="w+", prefix=f"ebpflow-zmq-{os.getpid()}-")
        super().__init__([SUBSCRIBER, endpoint], stdout=self.out, stderr=subprocess.PIPE,
                         text=True)
        line = self.proc.stderr.readline()
        if "subscribed" not in line:
            self.stop()
            raise RuntimeError(f"ebpflow-ntopng-sub did not start: {line}")

    def messages(self):
        """Stop it and parse every message (a payload that is not JSON, or not
        TLV as ntopng reads it, fails here)."""
        self.stop()
        self.out.seek(0)
        msgs = [json.loads(line) for line in self.out if line.strip()]
        self.out.close()
        for m in msgs:
            if "tlv" in m:
                m["flows"] = ntopng_tlv.flows(bytes.fromhex(m["tlv"]))
        return msgs


def side(f):
    """The side of the record's own process: SRC outbound, DST inbound."""
    return "SRC" if f["DIRECTION"] == 1 else "DST"


def flows(msgs, pids):
    """The records made by these processes (each record names its own side's)."""
    return [f for m in msgs for f in (m["flows"] or []) if f[f"{side(f)}_PROC_PID"] in pids]


def own(f):
    """The record without the other end's process, which a TLV record carries
    when the other end's record is in the same message (the two ends of a
    connection of this host's processes: one ntopng flow)."""
    other = "DST" if side(f) == "SRC" else "SRC"
    return {k: v for k, v in f.items()
            if not k.startswith((f"{other}_PROC_", f"{other}_FATHER_PROC_"))}


def peer(f):
    """The other end's process in a record, as a tuple, or None."""
    other = "DST" if side(f) == "SRC" else "SRC"
    keys = [f"{other}_PROC_{k}" for k in ("PID", "NAME", "UID", "USER_NAME", "CONTAINER_ID")]
    return tuple(f[k] for k in keys) if keys[0] in f else None


def ntop_of(r):
    """eBPFlow's JSON record as the ntopng object it must be (docs/collectors.md)."""
    ip = "IPV6" if r["ip_version"] == 6 else "IPV4"
    side = "DST" if r["direction"] == "inbound" else "SRC"
    tcp = r["proto"] == "TCP"
    f = {"IP_PROTOCOL_VERSION": r["ip_version"], f"{ip}_SRC_ADDR": r["saddr"],
         f"{ip}_DST_ADDR": r["daddr"], "L4_DST_PORT": r["dport"], "PROTOCOL": 6 if tcp else 17,
         "IN_BYTES": r["bytes"], "FIRST_SWITCHED": r["first_ms"] // 1000,
         "LAST_SWITCHED": r["last_ms"] // 1000, "DIRECTION": 0 if side == "DST" else 1,
         "FLOW_END_REASON": r["end_reason"], f"{side}_PROC_PID": r["pid"],
         f"{side}_PROC_NAME": r["comm"], f"{side}_PROC_UID": r["uid"],
         f"{side}_PROC_USER_NAME": r["user"], f"{side}_PROC_CONTAINER_ID": r["container_id"],
         "callDeltaCount": r["count"], "containerName": r["container"],
         # who the process is (issue 19): "" and 0 until eBPFlow knows; a cut
         # command line ends in "..."
         f"{side}_PROC_CMDLINE": r.get("cmdline", "") + ("..." if r.get("cmdline_cut") else ""),
         f"{side}_FATHER_PROC_PID": r.get("ppid", 0),
         f"{side}_FATHER_PROC_NAME": r.get("parent", ""),
         f"{side}_PROC_PATH": r.get("exe", "")}
    if tcp:
        f.update(OUT_BYTES=r["reverse_bytes"], failedConnectionDeltaCount=r["failed"])
        # the health (issue 21): half the mean handshake as ntop's latency of the
        # far end, the retransmissions in the direction the process's socket sends
        if r["handshakes"]:
            f[f"{'CLIENT' if side == 'DST' else 'SERVER'}_NW_LATENCY_MS"] = \
                r["handshake_us_mean"] / 2000
            f["handshakeMeanMicroseconds"] = r["handshake_us_mean"]
        if r["rtt_samples"]:
            f["rttMeanMicroseconds"] = r["rtt_us_mean"]
        f[f"RETRANSMITTED_{'OUT' if side == 'DST' else 'IN'}_PKTS"] = r["retrans_segs"]
        f.update(connectionRefusedDeltaCount=r["failed_refused"],
                 connectionTimedOutDeltaCount=r["failed_timeout"],
                 connectionFailedOtherDeltaCount=r["failed_other"],
                 handshakeDeltaCount=r["handshakes"], rttSampleDeltaCount=r["rtt_samples"])
    else:
        f["IN_PKTS"] = r["count"]
    return f


def workloads(ran, ports):
    a4, b4 = TwoHosts.V4
    b6 = TwoHosts.V6[1]
    srv = Workload(NET.b, ["tcp-server", b4, ports["tcp"], N_TCP, "xfer", *XFER])
    cli = Workload(NET.a, ["tcp-client", b4, ports["tcp"], N_TCP, 20, "xfer", *XFER],
                   as_nobody=True)
    ran["tcp"] = (cli.wait(), srv.wait())
    cli = Workload(NET.a, ["tcp-client", b4, ports["refused"], N_REFUSED, 20, "refused"],
                   as_nobody=True)
    ran["refused"] = cli.wait()
    srv = Workload(NET.b, ["udp-server", b6, ports["udp6"], N_UDP])
    cli = Workload(NET.a, ["udp-client", b6, ports["udp6"], N_UDP, 20, "sendto"],
                   as_nobody=True)
    ran["udp6"] = (cli.wait(), srv.wait())


def udp(port, n, ran, name, probe):
    """A UDP exchange; returns once eBPFlow has reported both ends as ended
    (their records go out to ZMQ in that same pass)."""
    b4 = TwoHosts.V4[1]
    srv = Workload(NET.b, ["udp-server", b4, port, n])
    cli = Workload(NET.a, ["udp-client", b4, port, n, 20, "sendto"], as_nobody=True)
    ran[name] = (cli.wait(), srv.wait())
    for proc in ran[name]:
        probe.wait_for(lambda r: r.get("pid") == proc.pid and r["end_reason"] == "end")


def zmq_thread_caps(pid):
    """The capability sets of libzmq's threads (ZMQbg/...) in eBPFlow, once attached."""
    caps = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            name = f.read().strip()
        if name.startswith("ZMQbg"):
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = dict(line.split(":\t", 1) for line in f if ":\t" in line)
            caps[name] = {c: int(status[c], 16) for c in ("CapEff", "CapPrm", "CapBnd")}
    return caps


def publish_to_connecting_subscriber(fmt):
    """eBPFlow binds; a workload while nobody subscribes; then the subscriber.
    TLV is the default: no option for it."""
    ports, run = PORTS[fmt], {}
    probe = Ebpflow("-o", "json", "-i", "1", "--observation-domain", str(DOMAIN),
                    "--zmq", f"tcp://127.0.0.1:{ports['zmq']}",
                    *(("--zmq-format", fmt) if fmt != "tlv" else ()))
    sub = None
    try:
        run["zmq_threads"] = zmq_thread_caps(probe.proc.pid)
        udp(ports["unsubscribed"], 2, run, "unsubscribed", probe)  # goes out, to nobody
        sub = Subscriber(f"tcp://127.0.0.1:{ports['zmq']}")  # stopped below whatever happens
        time.sleep(1.5)  # it connects, its subscription reaches eBPFlow
        workloads(run, ports)
        # the exits are reported at a pass to come
        for proc in (*run["tcp"], run["refused"], *run["udp6"]):
            probe.wait_for(lambda r: r.get("pid") == proc.pid and r["end_reason"] == "end")
    finally:
        probe.stop()
        try:
            run["messages"] = sub.messages() if sub else []
        finally:
            if sub:
                sub.kill_if_running()
    if probe.returncode != 0:
        raise RuntimeError(f"ebpflow exited with {probe.returncode}: {probe.stderr}")
    run["json"] = probe.records()
    run["stderr"] = probe.stderr
    RUN[fmt] = run


def collector_mode_and_reload():
    """ntopng binds (trailing c), eBPFlow connects, in JSON; a SIGHUP changes
    the format alone (TLV, same endpoint); another moves it to a second one."""
    path = os.path.join(TMP, "zmq.conf")

    def conf(port, fmt):
        with open(path, "w") as f:
            f.write(f"[output]\nmode = json\ninterval = 1\n[zmq]\n"
                    f"endpoint = tcp://127.0.0.1:{port}c\nformat = {fmt}\n")
        os.chmod(path, 0o600)

    def reload(port, fmt, n):
        conf(port, fmt)
        probe.proc.send_signal(signal.SIGHUP)
        probe.wait_log("configuration reloaded", count=n)

    ran = {}
    with contextlib.ExitStack() as started:  # what a failure leaves is killed
        first = Subscriber(f"tcp://127.0.0.1:{P + 8}c")
        started.callback(first.kill_if_running)
        second = Subscriber(f"tcp://127.0.0.1:{P + 9}c")
        started.callback(second.kill_if_running)
        conf(P + 8, "json")
        probe = Ebpflow("-c", path)
        try:
            time.sleep(1)  # connected, subscribed
            udp(P + 10, 3, ran, "before", probe)
            reload(P + 8, "tlv", 1)
            udp(P + 14, 5, ran, "tlv", probe)
            reload(P + 9, "tlv", 2)
            time.sleep(1)  # connected to the second, subscribed
            udp(P + 11, 4, ran, "after", probe)
        finally:
            probe.stop()
            ran["first"], ran["second"] = first.messages(), second.messages()
    ran["stderr"] = probe.stderr
    RUN["reload"] = ran


def setUpModule():
    global NET, TMP
    testlib.require_kernel_privileges()
    require_zmq()
    TMP = tempfile.mkdtemp(prefix=f"ebpflow-zmq-{os.getpid()}-")
    NET = TwoHosts().__enter__()
    try:
        for fmt in PORTS:
            publish_to_connecting_subscriber(fmt)
        collector_mode_and_reload()
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if NET:
        NET.__exit__(None, None, None)
    Workload.cleanup()
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)


class FramingTest(unittest.TestCase):
    def test_every_message_as_ntopng_reads_it(self):
        for fmt in PORTS:
            with self.subTest(fmt):
                msgs = RUN[fmt]["messages"]
                self.assertTrue(msgs)
                for m in msgs:
                    self.assertNotIn("error", m)
                    self.assertEqual((m["topic"], m["header_len"], m["version"],
                                      m["source_id"]), ("flow", 28, HDR_VERSION[fmt], DOMAIN))
                    self.assertEqual(m["size"], m["payload_len"])
                    self.assertLessEqual(m["payload_len"], 65535)
                    self.assertIsInstance(m["flows"], list)
                    self.assertEqual("tlv" in m, fmt == "tlv")
                ids = [m["msg_id"] for m in msgs]
                # one after the other once subscribed; the ones before were lost and took ids
                self.assertEqual(ids, list(range(ids[0], ids[0] + len(ids))))
                self.assertGreater(ids[0], 1)

    def test_lost_while_nobody_subscribed_said_once(self):
        for fmt in PORTS:
            with self.subTest(fmt):
                run = RUN[fmt]
                err = run["stderr"]
                self.assertEqual(err.count("no subscriber (is ntopng connected?); messages are "
                                           "counted as lost"), 1, err)
                m = re.search(r"ZMQ tcp://127\.0\.0\.1:\d+: (\d+) records in (\d+) "
                              r"messages, \d+ octets; (\d+) messages \((\d+) records\) lost",
                              err)
                self.assertIsNotNone(m, err)
                sent, lost_msgs, lost_recs = int(m.group(2)), int(m.group(3)), int(m.group(4))
                self.assertEqual(sent, len(run["messages"]))
                self.assertGreaterEqual(lost_msgs, 1)
                self.assertGreaterEqual(lost_recs, 2)  # the two ends of the unsubscribed exchange
                self.assertEqual(run["messages"][0]["msg_id"], lost_msgs + 1)
                cli, srv = run["unsubscribed"]
                self.assertEqual(flows(run["messages"], {cli.pid, srv.pid}), [])


class PrivilegeTest(unittest.TestCase):
    def test_zmq_threads_have_no_capability(self):
        # libzmq's I/O thread reads what any peer sends: it must not keep root's
        for fmt in PORTS:
            caps = RUN[fmt]["zmq_threads"]
            self.assertTrue(caps)
            for name, sets in caps.items():
                self.assertEqual(sets, {"CapEff": 0, "CapPrm": 0, "CapBnd": 0}, name)


class FlowTest(unittest.TestCase):
    """Each test, in both formats: the same names and values once decoded."""

    def sums(self, fl, *keys):
        return tuple(sum(f[k] for f in fl) for k in keys)

    def each_format(self, check):
        for fmt in PORTS:
            with self.subTest(fmt):
                check(RUN[fmt], PORTS[fmt], fmt)

    def test_tcp_outbound_is_src_proc(self):
        def check(run, ports, fmt):
            cli, srv = run["tcp"]
            a, b = TwoHosts.V4
            fl = flows(run["messages"], {cli.pid})
            self.assertTrue(fl)
            for f in fl:
                self.assertEqual((f["SRC_PROC_PID"], f["SRC_PROC_NAME"], f["SRC_PROC_UID"],
                                  f["SRC_PROC_USER_NAME"], f["SRC_PROC_CONTAINER_ID"]),
                                 (cli.pid, COMM, NOBODY_UID, "nobody", ""))
                self.assertEqual((f["IPV4_SRC_ADDR"], f["IPV4_DST_ADDR"], f["L4_DST_PORT"],
                                  f["PROTOCOL"], f["IP_PROTOCOL_VERSION"], f["DIRECTION"]),
                                 (a, b, ports["tcp"], 6, 4, 1))
                # the server's process, when its record was in the same message (TLV)
                self.assertIn(peer(f), (None, (srv.pid, COMM, 0, "root", "")))
                if fmt == "json":
                    self.assertIsNone(peer(f))
                self.assertNotIn("IN_PKTS", f)  # a TCP call is a connection, not a packet
            self.assertEqual(self.sums(fl, "callDeltaCount", "IN_BYTES", "OUT_BYTES",
                                       "failedConnectionDeltaCount"),
                             (N_TCP, N_TCP * XFER[0], N_TCP * XFER[1], 0))
            # its message, with this flow alone in "flows" (and its TLV, when it is)
            msg = next(m for m in run["messages"] if fl[-1] in (m["flows"] or []))
            shown = dict(msg, flows=[fl[-1]])
            shown.pop("tlv", None)
            print(f"\none flow ({fmt}) as ebpflow-ntopng-sub and ntopng_tlv.py show it:\n"
                  + json.dumps(shown), file=sys.stderr)
        self.each_format(check)

    def test_tcp_inbound_is_dst_proc(self):
        def check(run, ports, fmt):
            cli, srv = run["tcp"]
            a, b = TwoHosts.V4
            fl = flows(run["messages"], {srv.pid})
            self.assertTrue(fl)
            for f in fl:
                self.assertEqual((f["DST_PROC_PID"], f["DST_PROC_NAME"], f["DST_PROC_UID"],
                                  f["DST_PROC_USER_NAME"], f["DST_PROC_CONTAINER_ID"]),
                                 (srv.pid, COMM, 0, "root", ""))
                # the initiator is the source: the peer, for an inbound flow
                self.assertEqual((f["IPV4_SRC_ADDR"], f["IPV4_DST_ADDR"], f["L4_DST_PORT"],
                                  f["PROTOCOL"], f["DIRECTION"]), (a, b, ports["tcp"], 6, 0))
                self.assertIn(peer(f), (None, (cli.pid, COMM, NOBODY_UID, "nobody", "")))
                if fmt == "json":
                    self.assertIsNone(peer(f))
            self.assertEqual(self.sums(fl, "callDeltaCount", "IN_BYTES", "OUT_BYTES",
                                       "failedConnectionDeltaCount"),
                             (N_TCP, N_TCP * XFER[0], N_TCP * XFER[1], 0))
        self.each_format(check)

    def test_both_ends_of_a_connection_in_one_message(self):
        """TLV: the client's and the server's records of one flow, when in one
        message, each carry the other's process (ntopng keeps the processes of
        a flow's first record only); JSON never pairs."""
        for fmt in PORTS:
            run = RUN[fmt]
            cli, srv = run["tcp"]
            both = 0
            for m in run["messages"]:
                c, s = flows([m], {cli.pid}), flows([m], {srv.pid})
                if fmt == "tlv" and c and s:
                    both += 1
                    self.assertEqual([peer(f) for f in c],
                                     [(srv.pid, COMM, 0, "root", "")] * len(c))
                    self.assertEqual([peer(f) for f in s],
                                     [(cli.pid, COMM, NOBODY_UID, "nobody", "")] * len(s))
                for f in c + s:
                    if fmt == "json" or not (c and s):
                        self.assertIsNone(peer(f), fmt)
            if fmt == "tlv":
                print(f"\nTLV messages with both ends of the TCP flow: {both}", file=sys.stderr)

    def test_refused_connects(self):
        def check(run, ports, fmt):
            fl = flows(run["messages"], {run["refused"].pid})
            self.assertEqual(self.sums(fl, "callDeltaCount", "failedConnectionDeltaCount",
                                       "IN_BYTES", "OUT_BYTES"), (N_REFUSED, N_REFUSED, 0, 0))
            self.assertEqual({f["L4_DST_PORT"] for f in fl}, {ports["refused"]})
        self.each_format(check)

    def test_udp6_datagrams_are_packets(self):
        def check(run, ports, fmt):
            cli, srv = run["udp6"]
            a, b = TwoHosts.V6
            for pid, side, direction, user in ((cli.pid, "SRC", 1, "nobody"),
                                               (srv.pid, "DST", 0, "root")):
                fl = flows(run["messages"], {pid})
                self.assertTrue(fl, side)
                for f in fl:
                    self.assertEqual((f["IPV6_SRC_ADDR"], f["IPV6_DST_ADDR"], f["L4_DST_PORT"],
                                      f["PROTOCOL"], f["IP_PROTOCOL_VERSION"], f["DIRECTION"],
                                      f[f"{side}_PROC_USER_NAME"], f[f"{side}_PROC_NAME"]),
                                     (a, b, ports["udp6"], 17, 6, direction, user, COMM))
                    self.assertNotIn("OUT_BYTES", f)
                self.assertEqual(self.sums(fl, "IN_PKTS", "callDeltaCount", "IN_BYTES"),
                                 (N_UDP, N_UDP, N_UDP * PAYLOAD))
        self.each_format(check)

    def test_same_records_as_json(self):
        def check(run, ports, fmt):
            cli, srv = run["tcp"]
            ucli, usrv = run["udp6"]
            pids = {cli.pid, srv.pid, run["refused"].pid, ucli.pid, usrv.pid}
            want = [ntop_of(r) for r in run["json"] if r["pid"] in pids]
            got = [own(f) for f in flows(run["messages"], pids)]
            inexact = ("SWITCHED", "NW_LATENCY")
            key = lambda f: json.dumps({k: v for k, v in f.items()
                                        if not any(x in k for x in inexact)}, sort_keys=True)
            self.assertEqual(sorted(map(key, got)), sorted(map(key, want)))
            self.assertTrue(any("SERVER_NW_LATENCY_MS" in f for f in got), got)
            self.assertTrue(any("CLIENT_NW_LATENCY_MS" in f for f in got), got)
            # the times: the same record's, in seconds (each output reads the clock anew);
            # the latency: JSON's mean is whole microseconds, ZMQ's from the exact sum
            for g, w in zip(sorted(got, key=key), sorted(want, key=key)):
                for k in ("FIRST_SWITCHED", "LAST_SWITCHED"):
                    self.assertLessEqual(abs(g[k] - w[k]), 1)
                for k in ("CLIENT_NW_LATENCY_MS", "SERVER_NW_LATENCY_MS"):
                    self.assertEqual(k in g, k in w, (g, w))
                    if k in g:
                        self.assertLessEqual(abs(g[k] - w[k]), 0.0015, (g, w))
        self.each_format(check)


class CollectorModeTest(unittest.TestCase):
    def test_reload_changes_format_then_endpoint(self):
        ran = RUN["reload"]
        pids = {name: ran[name][0].pid for name in ("before", "tlv", "after")}
        first, second = ran["first"], ran["second"]
        self.assertIn("configuration reloaded; ZMQ publisher updated", ran["stderr"])
        for msgs in (first, second):
            self.assertTrue(msgs)
            self.assertFalse([m for m in msgs if "error" in m])
        out = lambda msgs, pid: sum(f["IN_PKTS"] for f in flows(msgs, {pid}))
        self.assertEqual([out(first, p) for p in pids.values()], [3, 5, 0])
        self.assertEqual([out(second, p) for p in pids.values()], [0, 0, 4], ran["stderr"])
        # each exchange's records in the format of its time: JSON, then TLV
        version = lambda msgs, pid: {m["version"] for m in msgs if flows([m], {pid})}
        self.assertEqual((version(first, pids["before"]), version(first, pids["tlv"]),
                          version(second, pids["after"])), ({2}, {3}, {3}))
        # the message ids go on across the change of format on one socket
        ids = [m["msg_id"] for m in first]
        self.assertEqual(ids, list(range(ids[0], ids[0] + len(ids))))


if __name__ == "__main__":
    unittest.main(verbosity=2)
