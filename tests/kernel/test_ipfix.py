#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""IPFIX end to end, as root: an exact workload between two network namespaces,
eBPFlow exporting to a real nfcapd (Debian's nfdump) and to ebpflow-collector
on loopback ports, with a short active timeout so a long flow is reported in
several parts; TCP connections with known bytes each way and refused
connects; and a collector started after eBPFlow."""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402
from testlib import (NOBODY_UID, Collector, Ebpflow, Nfcapd, TwoHosts,  # noqa: E402
                     Workload, port_base)

N_TCP = 5
N_UDP = 4
N_LONG = 40          # datagrams of the long flow, 100 ms apart: about 4 s
PAYLOAD = 21
XFER = (700, 9000)   # TCP payload bytes client -> server, server -> client, per connection
N_REFUSED = 3
P = port_base()      # P..P+9: ours
COMM = "ebpflow-wl"
PEN = 32473          # RFC 5612's, eBPFlow's default

NET = None
RUN = {}


def setUpModule():
    global NET
    testlib.require_kernel_privileges()
    NET = TwoHosts().__enter__()
    try:
        a4, b4 = TwoHosts.V4
        a6, b6 = TwoHosts.V6
        nfcapd = Nfcapd(P)
        collector = Collector(P + 1)
        probe = Ebpflow("-o", "json", "-i", "1", "--active-timeout", "2",
                        "--template-refresh", "2", "--collector", f"127.0.0.1:{P}",
                        "--collector", f"127.0.0.1:{P + 1}")
        try:
            srv = Workload(NET.b, ["tcp-server", b4, P + 2, N_TCP])
            cli = Workload(NET.a, ["tcp-client", b4, P + 2, N_TCP, 20], as_nobody=True)
            RUN["tcp"] = (cli.wait(), srv.wait())
            srv = Workload(NET.b, ["udp-server", b6, P + 3, N_UDP])
            cli = Workload(NET.a, ["udp-client", b6, P + 3, N_UDP, 20, "sendto"], as_nobody=True)
            RUN["udp6"] = (cli.wait(), srv.wait())
            srv = Workload(NET.b, ["udp-server", b4, P + 4, N_LONG])
            cli = Workload(NET.a, ["udp-client", b4, P + 4, N_LONG, 100, "sendto"],
                           as_nobody=True)
            RUN["long"] = (cli.wait(), srv.wait())
            srv = Workload(NET.b, ["tcp-server", b6, P + 6, N_TCP, "xfer", *XFER])
            cli = Workload(NET.a, ["tcp-client", b6, P + 6, N_TCP, 20, "xfer", *XFER],
                           as_nobody=True)
            RUN["xfer"] = (cli.wait(), srv.wait())
            cli = Workload(NET.a, ["tcp-client", b4, P + 7, N_REFUSED, 20, "refused"],
                           as_nobody=True)
            RUN["refused"] = (cli.wait(), None)
            time.sleep(1.5)  # the exits are reported at the next drain
        finally:
            probe.stop()
            time.sleep(0.5)  # the last messages are on their way over loopback
            RUN["collector"] = collector.records()
            RUN["nfdump"] = nfcapd.flows()
        if probe.returncode != 0:
            raise RuntimeError(f"ebpflow exited with {probe.returncode}: {probe.stderr}")
        RUN["json"] = probe.records()
        RUN["stderr"] = probe.stderr
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if NET:
        NET.__exit__(None, None, None)
    Workload.cleanup()


def flows_of(records, pid):
    return [r for r in records if r.get("processId") == pid]


class NfdumpTest(unittest.TestCase):
    """What Debian's nfcapd stored, read back with nfdump (testlib.Nfcapd's columns)."""

    def rows(self, sa, da, dp, proto, direction):
        return [r for r in RUN["nfdump"] if r["sa"] == sa and r["da"] == da
                and r["dp"] == str(dp) and r["pr"] == proto and r["dir"] == str(direction)]

    def test_tcp_connects_and_accepts(self):
        a, b = TwoHosts.V4
        for direction in (1, 0):  # flowDirection: 1 outbound, 0 inbound
            rows = self.rows(a, b, P + 2, "TCP", direction)
            self.assertEqual(len(rows), 1, f"direction {direction}: {rows}")
            # TCP's count is connections: deltaFlowCount, which nfdump shows as flows
            self.assertEqual(int(rows[0]["fl"]), N_TCP)
            self.assertEqual(int(rows[0]["ipkt"]), 0)
            self.assertEqual(int(rows[0]["ibyt"]), 0)
            self.assertEqual(rows[0]["sp"], "0")

    def test_udp6_sends_and_receives(self):
        a, b = TwoHosts.V6
        out = self.rows(a, b, P + 3, "UDP", 1)  # an unbound sender: the source the kernel chose
        inb = self.rows(a, b, P + 3, "UDP", 0)
        for rows in (out, inb):
            self.assertEqual(len(rows), 1, rows)
            self.assertEqual(int(rows[0]["ipkt"]), N_UDP)
            self.assertEqual(int(rows[0]["ibyt"]), N_UDP * PAYLOAD)

    def test_tcp_bytes_both_ways(self):
        a, b = TwoHosts.V6
        for direction in (1, 0):
            rows = self.rows(a, b, P + 6, "TCP", direction)
            self.assertEqual(len(rows), 1, rows)
            # reverseOctetDeltaCount (RFC 5103) shows as out bytes
            self.assertEqual((int(rows[0]["fl"]), int(rows[0]["ibyt"]), int(rows[0]["obyt"])),
                             (N_TCP, N_TCP * XFER[0], N_TCP * XFER[1]))

    def test_refused_connects_are_flows(self):
        # nfdump drops the failed count (an enterprise element): the attempts are there
        a, b = TwoHosts.V4
        rows = self.rows(a, b, P + 7, "TCP", 1)
        self.assertEqual([(int(r["fl"]), int(r["ibyt"])) for r in rows], [(N_REFUSED, 0)])

    def test_every_flow_names_its_process(self):
        """RFC 6759 application ids: nfdump's one way to the process (docs/collectors.md)."""
        flows = (("tcp", TwoHosts.V4, P + 2, "TCP"), ("udp6", TwoHosts.V6, P + 3, "UDP"),
                 ("long", TwoHosts.V4, P + 4, "UDP"), ("xfer", TwoHosts.V6, P + 6, "TCP"),
                 ("refused", TwoHosts.V4, P + 7, "TCP"))
        for run, (a, b), port, proto in flows:
            cli, srv = RUN[run]
            sides = [(cli, 1, "nobody")] + ([(srv, 0, "root")] if srv else [])
            for proc, direction, user in sides:
                rows = self.rows(a, b, port, proto, direction)
                self.assertTrue(rows, f"{run} direction {direction}")
                for r in rows:
                    self.assertEqual((r["nbid"], r["nbnam"]),
                                     (f"20..{PEN}..{proc.pid}",
                                      f"{COMM}/pid={proc.pid} user={user}"), f"{run}: {r}")

    def test_long_flow_parts_add_up(self):
        a, b = TwoHosts.V4
        for sa, direction in ((a, 1), (a, 0)):
            rows = self.rows(sa, b, P + 4, "UDP", direction)
            self.assertGreaterEqual(len(rows), 2, rows)
            self.assertEqual(sum(int(r["ipkt"]) for r in rows), N_LONG)
            self.assertEqual(sum(int(r["ibyt"]) for r in rows), N_LONG * PAYLOAD)


class CollectorTest(unittest.TestCase):
    """What ebpflow-collector decoded, enterprise elements included."""

    def check_process(self, recs, proc, uid, user):
        self.assertTrue(recs, f"no records of pid {proc.pid}")
        for r in recs:
            self.assertEqual(r["processName"], COMM)
            self.assertEqual(r["processUserId"], uid)
            self.assertEqual(r["userName"], user)
            self.assertEqual(r["processUserName"], user)
            self.assertEqual(r["containerName"], "")
            # who ran it (issue 19): in every record; its values are the kernel side's
            for name, kind in (("processExecutable", str), ("processCommandLine", str),
                               ("parentProcessId", int), ("parentProcessName", str)):
                self.assertIsInstance(r[name], kind, name)
            # the count's standard element is true of the protocol (ELEMENTS.md)
            if r["protocolIdentifier"] == 6:
                self.assertEqual(r["newConnectionDeltaCount"], r["callDeltaCount"])
                self.assertEqual(r["deltaFlowCount"], r["callDeltaCount"])
                self.assertNotIn("packetDeltaCount", r)
            else:
                self.assertEqual(r["packetDeltaCount"], r["callDeltaCount"])
                self.assertNotIn("newConnectionDeltaCount", r)
                self.assertNotIn("reverseOctetDeltaCount", r)

    def test_tcp_pid_process_user_counts(self):
        cli, srv = RUN["tcp"]
        a, b = TwoHosts.V4
        out = flows_of(RUN["collector"], cli.pid)
        inb = flows_of(RUN["collector"], srv.pid)
        self.check_process(out, cli, NOBODY_UID, "nobody")
        self.check_process(inb, srv, 0, "root")
        for recs, direction in ((out, 1), (inb, 0)):
            self.assertEqual(len(recs), 1, recs)
            r = recs[0]
            self.assertEqual(r["callDeltaCount"], N_TCP)
            self.assertEqual(r["flowDirection"], direction)
            self.assertEqual(r["sourceIPv4Address"], a)
            self.assertEqual(r["destinationIPv4Address"], b)
            self.assertEqual(r["destinationTransportPort"], P + 2)
            self.assertEqual(r["protocolIdentifier"], 6)
            self.assertEqual(r["ipVersion"], 4)
            self.assertEqual(r["flowEndReason"], 3)  # the process exited
            self.assertEqual(r["_template"], 264)  # TCP, IPv4
            self.assertEqual((r["octetDeltaCount"], r["reverseOctetDeltaCount"],
                              r["failedConnectionDeltaCount"]), (0, 0, 0))
        # each connect stamped by the kernel between its start and return (client's stamps)
        d = cli.done
        lo = (d["last_ns"] - d["first_end_ns"]) / 1e3 / (N_TCP - 1)
        hi = (d["last_end_ns"] - d["first_ns"]) / 1e3 / (N_TCP - 1)
        self.assertGreaterEqual(out[0]["meanTimeBetweenCallsMicroseconds"], int(lo) - 1, d)
        self.assertLessEqual(out[0]["meanTimeBetweenCallsMicroseconds"], hi + 1, d)

    def test_udp6(self):
        cli, srv = RUN["udp6"]
        a, b = TwoHosts.V6
        out, inb = flows_of(RUN["collector"], cli.pid), flows_of(RUN["collector"], srv.pid)
        self.check_process(out, cli, NOBODY_UID, "nobody")
        self.check_process(inb, srv, 0, "root")
        self.assertEqual([(r["sourceIPv6Address"], r["destinationIPv6Address"], r["callDeltaCount"],
                           r["octetDeltaCount"], r["_template"]) for r in out],
                         [(a, b, N_UDP, N_UDP * PAYLOAD, 257)])
        self.assertEqual([(r["sourceIPv6Address"], r["destinationIPv6Address"], r["callDeltaCount"])
                          for r in inb], [(a, b, N_UDP)])

    def test_tcp_bytes_both_ways(self):
        cli, srv = RUN["xfer"]
        a, b = TwoHosts.V6
        for proc, uid, user in ((cli, NOBODY_UID, "nobody"), (srv, 0, "root")):
            recs = flows_of(RUN["collector"], proc.pid)
            self.check_process(recs, proc, uid, user)
            self.assertEqual({(r["sourceIPv6Address"], r["destinationIPv6Address"],
                               r["destinationTransportPort"], r["_template"]) for r in recs},
                             {(a, b, P + 6, 265)})
            # the initiator is the source: the server's inbound flow has the client's bytes
            self.assertEqual((sum(r["callDeltaCount"] for r in recs),
                              sum(r["octetDeltaCount"] for r in recs),
                              sum(r["reverseOctetDeltaCount"] for r in recs),
                              sum(r["failedConnectionDeltaCount"] for r in recs)),
                             (N_TCP, N_TCP * XFER[0], N_TCP * XFER[1], 0))

    def test_refused_connects_count_and_fail(self):
        cli, _ = RUN["refused"]
        self.assertEqual(cli.done["failed"], N_REFUSED)
        recs = flows_of(RUN["collector"], cli.pid)
        self.check_process(recs, cli, NOBODY_UID, "nobody")
        self.assertEqual((sum(r["newConnectionDeltaCount"] for r in recs),
                          sum(r["failedConnectionDeltaCount"] for r in recs),
                          sum(r["octetDeltaCount"] for r in recs)), (N_REFUSED, N_REFUSED, 0))

    def test_active_timeout_deltas_add_up(self):
        cli, srv = RUN["long"]
        for proc in (cli, srv):
            recs = flows_of(RUN["collector"], proc.pid)
            reasons = [r["flowEndReason"] for r in recs]
            self.assertGreaterEqual(reasons.count(2), 1, reasons)  # active timeout
            self.assertEqual(reasons[-1], 3, reasons)  # then the end of the process
            self.assertEqual(sum(r["callDeltaCount"] for r in recs), N_LONG)
            self.assertEqual(sum(r["octetDeltaCount"] for r in recs), N_LONG * PAYLOAD)
            starts = [r["flowStartMilliseconds"] for r in recs]
            self.assertEqual(starts, sorted(starts))

    def test_same_counts_as_json(self):
        for name in ("tcp", "udp6", "long", "xfer", "refused"):
            for proc in filter(None, RUN[name]):
                ipfix = testlib.ipfix_calls(RUN["collector"], proc.pid)
                js = sum(r["count"] for r in RUN["json"] if r["pid"] == proc.pid)
                self.assertEqual(ipfix, js, f"{name} pid {proc.pid}")

    def test_application_table_names_every_process(self):
        """The RFC 6759 table (options records) names each record's applicationId."""
        apps = {r["applicationId"]: r for r in RUN["collector"]
                if r.get("_record") == "application"}
        for run in ("tcp", "udp6", "long", "xfer", "refused"):
            for proc, user in zip(RUN[run], ("nobody", "root")):
                if proc is None:
                    continue
                recs = flows_of(RUN["collector"], proc.pid)
                self.assertTrue(recs, run)
                for r in recs:
                    # engine 20, the PEN, observation domain 0, start, pid
                    self.assertRegex(r["applicationId"],
                                     f"^14{PEN:08x}00000000[0-9a-f]{{4}}{proc.pid:08x}$")
                    a = apps[r["applicationId"]]
                    self.assertEqual((a["applicationName"], a["applicationDescription"]),
                                     (COMM, f"pid={proc.pid} user={user}"))

    def test_rfc5610_type_records(self):
        types = {r["informationElementName"]: r for r in RUN["collector"]
                 if r.get("_record") == "element_type"}
        for name, ie_id, dtype in (("processId", 1, 3), ("processName", 2, 13),
                                   ("processUserName", 4, 13), ("callDeltaCount", 9, 4),
                                   ("failedConnectionDeltaCount", 11, 4),
                                   ("processExecutable", 12, 13), ("processCommandLine", 13, 13),
                                   ("parentProcessId", 14, 3), ("parentProcessName", 15, 13)):
            self.assertIn(name, types)
            self.assertEqual(types[name]["privateEnterpriseNumber"], 32473)
            self.assertEqual(types[name]["informationElementId"], ie_id)
            self.assertEqual(types[name]["informationElementDataType"], dtype)
        # userName is IANA's (371): it needs no type record
        self.assertNotIn("userName", types)

    def test_collectors_accounted(self):
        self.assertIn(f"collector 127.0.0.1:{P}: ", RUN["stderr"])
        self.assertRegex(RUN["stderr"], rf"collector 127.0.0.1:{P + 1}: \d+ messages sent, 0 lost")


class LateCollectorTest(unittest.TestCase):
    """A collector started after eBPFlow decodes flows after one template refresh."""

    def test_late_collector_gets_flows(self):
        b4 = TwoHosts.V4[1]
        port = P + 5
        probe = Ebpflow("-o", "none", "-i", "1", "--template-refresh", "2",
                        "--collector", f"127.0.0.1:{port}")
        collector = None
        try:
            time.sleep(1.0)  # the first templates went out to nobody
            collector = Collector(port)
            time.sleep(2.5)  # one refresh reaches it
            srv = Workload(NET.b, ["tcp-server", b4, P + 6, 3])
            cli = Workload(NET.a, ["tcp-client", b4, P + 6, 3, 10], as_nobody=True)
            cli.wait()
            srv.wait()
        finally:
            probe.stop()
            time.sleep(0.5)
            recs = collector.records() if collector else []
        self.assertEqual(probe.returncode, 0, probe.stderr)
        self.assertEqual(testlib.ipfix_calls(recs, cli.pid), 3)
        self.assertEqual(testlib.ipfix_calls(recs, srv.pid), 3)


class UnreachableCollectorTest(unittest.TestCase):
    """Nothing listens on the collector's port: eBPFlow logs the incident once,
    counts each message once, as sent or lost, and every other output goes on."""

    def test_unreachable_collector(self):
        b4 = TwoHosts.V4[1]
        port = P + 7  # nothing of ours listens here
        probe = Ebpflow("-o", "json", "-i", "1", "--template-refresh", "1",
                        "--collector", f"127.0.0.1:{port}")
        try:
            srv = Workload(NET.b, ["tcp-server", b4, P + 8, 3])
            cli = Workload(NET.a, ["tcp-client", b4, P + 8, 3, 10], as_nobody=True)
            cli.wait()
            srv.wait()
            time.sleep(3)  # several refreshes and drains against the closed port
        finally:
            probe.stop()
        self.assertEqual(probe.returncode, 0, probe.stderr)
        self.assertEqual(probe.stderr.count("counted as lost until it recovers"), 1,
                         probe.stderr)
        lost = re.search(rf"collector 127.0.0.1:{port}: (\d+) messages sent, (\d+) lost",
                         probe.stderr)
        self.assertIsNotNone(lost, probe.stderr)
        made = re.search(r"IPFIX: \d+ records \(\d+ calls\) in (\d+) messages", probe.stderr)
        self.assertIsNotNone(made, probe.stderr)
        # each message counted once: an ICMP refusal moves an earlier one from sent to lost;
        # on loopback every refusal surfaces but the last message's
        self.assertEqual(int(lost.group(1)) + int(lost.group(2)), int(made.group(1)),
                         probe.stderr)
        self.assertEqual(int(lost.group(1)), 1, probe.stderr)
        last = probe.stats()[-1]
        self.assertEqual(last["ipfix_messages_lost"], last["ipfix_messages"] - 1, last)
        recs = probe.records()
        self.assertEqual(sum(r["count"] for r in recs if r["pid"] == cli.pid), 3)
        self.assertEqual(sum(r["count"] for r in recs if r["pid"] == srv.pid), 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
