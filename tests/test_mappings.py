#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The collector mappings ebpflow-mappings writes, checked without the
collectors: goflow2 and Logstash are not in Debian, so their files are parsed
here and checked against the element table, as are pmacct's and Telegraf's
(which the kernel test also feeds to a real nfacctd). The table is each
profile's ipfix-elements.xml, which unit_mappings checks against the
templates with libfixbuf's own reader. What each collector decodes by itself
and what its file may contain is written down below from its sources."""
import csv
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

import yaml

MAPPINGS = os.environ.get("EBPFLOW_MAPPINGS",
                          os.path.join("build", "templates", "ebpflow-mappings"))
PEN = 4242
NTOP_PEN = 35632
REVERSE_PEN = 29305
PROFILES = ("ebpflow", "ntop")
NS = {"i": "http://www.iana.org/assignments", "cert": "http://www.cert.org/ipfix"}

INTEGER = {"unsigned8", "unsigned16", "unsigned32", "unsigned64", "boolean",
           "dateTimeSeconds", "dateTimeMilliseconds"}
ADDRESS = {"ipv4Address", "ipv6Address"}

# IANA elements each collector decodes by itself (its sources: pmacct's
# nfacctd primitives, goflow2's producer_nf.go, the Logstash codec's ipfix.yaml,
# Telegraf's netflow_decoder.go)
PMACCT_NATIVE = {1: "bytes", 2: "packets", 3: "flows", 4: "proto", 7: "src_port", 8: "src_host",
                 11: "dst_port", 12: "dst_host", 27: "src_host", 28: "dst_host",
                 152: "timestamp_start", 153: "timestamp_end"}
GOFLOW2_NATIVE = {1: "bytes", 2: "packets", 4: "proto", 7: "src_port", 8: "src_addr",
                  11: "dst_port", 12: "dst_addr", 27: "src_addr", 28: "dst_addr", 60: "etype",
                  152: "time_flow_start_ns", 153: "time_flow_end_ns"}
GOFLOW2_RENDERERS = {"none", "ip", "mac", "etype", "proto", "type", "network", "datetime",
                     "datetimenano", "string"}
LOGSTASH_TYPES = {"unsigned8": ":uint8", "unsigned16": ":uint16", "unsigned32": ":uint32",
                  "unsigned64": ":uint64", "string": ":string", "ipv4Address": ":ip4_addr",
                  "ipv6Address": ":ip6_addr", "dateTimeMilliseconds": ":uint64",
                  "dateTimeSeconds": ":uint32", "boolean": ":uint8",
                  "macAddress": ":mac_addr", "octetArray": ":octetarray"}
TELEGRAF_TYPES = {"uint", "hex", "string", "ip", "proto"}
# what libfds's XML parser takes (CESNET/libfds src/iemgr/iemgr.cpp: parser_create's
# arguments, table_type, table_semantic, table_unit) and the scope names of the
# files it ships (config/system/elements/), which a user file may not reuse
LIBFDS_SCOPE = {"pen", "name", "biflow"}
LIBFDS_ELEMENT = {"id", "name", "dataType", "dataSemantics", "units", "status", "biflowId"}
LIBFDS_TYPES = {"octetArray", "unsigned8", "unsigned16", "unsigned32", "unsigned64", "signed8",
                "signed16", "signed32", "signed64", "float32", "float64", "boolean",
                "macAddress", "string", "dateTimeSeconds", "dateTimeMilliseconds",
                "dateTimeMicroseconds", "dateTimeNanoseconds", "ipv4Address", "ipv6Address",
                "basicList", "subTemplateList", "subTemplateMultiList"}
LIBFDS_SEMANTICS = {"default", "quantity", "totalCounter", "deltaCounter", "identifier",
                    "flags", "list", "snmpCounter", "snmpGauge"}
LIBFDS_UNITS = {"none", "bits", "octets", "packets", "flows", "seconds", "milliseconds",
                "microseconds", "nanoseconds", "4-octet words", "messages", "hops", "entries",
                "frames", "ports", "inferred"}
LIBFDS_SYSTEM_SCOPES = {"iana", "cert", "cesnet", "cisco", "flowmon", "muni", "netflow",
                        "netflowExtra", "netscaler", "vmware"}
LIBFDS_FILES = {"ipfixcol2-ebpflow.xml": PEN, "ipfixcol2-ntop.xml": NTOP_PEN}


def elements(path):
    """The profile's elements: {(pen, id): (name, type, semantics)}."""
    table = {}
    for r in ET.parse(path).getroot().iter(f"{{{NS['i']}}}record"):
        ent = r.find("cert:enterpriseId", NS)
        key = (int(ent.text) if ent is not None else 0, int(r.find("i:elementId", NS).text))
        sem = r.find("i:dataTypeSemantics", NS)
        table[key] = (r.find("i:name", NS).text, r.find("i:dataType", NS).text,
                      sem.text if sem is not None else None)
    return table


def snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class Mappings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix=f"ebpflow-mappings-{os.getpid()}-")
        subprocess.run([MAPPINGS, "--pen", str(PEN), "--out-dir", cls.dir], check=True)
        cls.table = {p: elements(cls.path(p, "ipfix-elements.xml")) for p in PROFILES}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def path(cls, profile, name):
        return os.path.join(cls.dir, profile, name)

    def test_table_is_the_profiles(self):
        """The process fields are where ELEMENTS.md says, under the PEN given."""
        ebpflow, ntop = self.table["ebpflow"], self.table["ntop"]
        self.assertEqual(ebpflow[(PEN, 1)][0], "processId")
        self.assertEqual(ebpflow[(0, 371)][:2], ("userName", "string"))
        self.assertEqual(ntop[(NTOP_PEN, 168)][0], "SRC_PROC_PID")
        self.assertEqual(ntop[(NTOP_PEN, 559)][0], "DST_PROC_CONTAINER_ID")
        for table in (ebpflow, ntop):
            self.assertTrue({ent for ent, _ in table} <= {0, PEN, NTOP_PEN, REVERSE_PEN})

    def test_who_ran_the_process(self):
        """Issue 19's elements, in every format: the path under the PEN in both
        profiles (ntop has none), the command line and parent under ntop's own
        numbers in the ntop profile."""
        ebpflow, ntop = self.table["ebpflow"], self.table["ntop"]
        want = {"ebpflow": {(PEN, 12): ("processExecutable", "string"),
                            (PEN, 13): ("processCommandLine", "string"),
                            (PEN, 14): ("parentProcessId", "unsigned32"),
                            (PEN, 15): ("parentProcessName", "string")},
                "ntop": {(PEN, 12): ("processExecutable", "string"),
                         (NTOP_PEN, 556): ("SRC_PROC_CMDLINE", "string"),
                         (NTOP_PEN, 557): ("DST_PROC_CMDLINE", "string"),
                         (NTOP_PEN, 373): ("SRC_FATHER_PROC_PID", "unsigned32"),
                         (NTOP_PEN, 374): ("SRC_FATHER_PROC_NAME", "string"),
                         (NTOP_PEN, 378): ("DST_FATHER_PROC_PID", "unsigned32"),
                         (NTOP_PEN, 379): ("DST_FATHER_PROC_NAME", "string")}}
        for profile, table in (("ebpflow", ebpflow), ("ntop", ntop)):
            for key, (name, dtype) in want[profile].items():
                self.assertEqual(table.get(key, (None, None))[:2], (name, dtype), profile)
            self.assertNotIn((PEN, 13), ntop)  # ntop's element instead
            with open(self.path(profile, "telegraf-pen.csv")) as f:
                text = f.read()
            for (pen, num), (name, _) in want[profile].items():
                self.assertIn(f"{pen}.{num},{snake(name)},", text)
            with open(self.path(profile, "pmacct-primitives.lst")) as f:
                text = f.read()
            for (pen, num), (name, _) in want[profile].items():
                self.assertIn(f"name={snake(name)}\tfield_type={pen}:{num}\t", text)

    def test_tcp_health(self):
        """Issue 21's elements in every format: under the PEN in both profiles,
        but the retransmissions as ntop's RETRANSMITTED_IN/OUT_PKTS in the ntop
        profile."""
        names = {16: "handshakeDeltaCount", 17: "handshakeMinimumMicroseconds",
                 18: "handshakeMeanMicroseconds", 19: "handshakeMaximumMicroseconds",
                 20: "rttSampleDeltaCount", 21: "rttMinimumMicroseconds",
                 22: "rttMeanMicroseconds", 23: "rttMaximumMicroseconds",
                 24: "retransmittedSegmentDeltaCount", 25: "connectionRefusedDeltaCount",
                 26: "connectionTimedOutDeltaCount", 27: "connectionFailedOtherDeltaCount"}
        types = {n: "unsigned32" if 17 <= n <= 24 and n != 20 else "unsigned64" for n in names}
        want = {"ebpflow": {(PEN, n): (name, types[n]) for n, name in names.items()},
                "ntop": {(PEN, n): (name, types[n]) for n, name in names.items() if n != 24}}
        want["ntop"][(NTOP_PEN, 109)] = ("RETRANSMITTED_IN_PKTS", "unsigned32")
        want["ntop"][(NTOP_PEN, 110)] = ("RETRANSMITTED_OUT_PKTS", "unsigned32")
        for profile, table in self.table.items():
            for key, (name, dtype) in want[profile].items():
                self.assertEqual(table.get(key, (None, None))[:2], (name, dtype), profile)
            with open(self.path(profile, "pmacct-primitives.lst")) as f:
                text = f.read()
            for (pen, num), (name, _) in want[profile].items():
                self.assertIn(f"name={snake(name)}\tfield_type={pen}:{num}\t", text)
        self.assertNotIn((PEN, 24), self.table["ntop"])
    def test_peer_name(self):
        """Issue 22's peerName: a string under the PEN in both profiles (no ntop
        element means a name resolved before the flow), in every format."""
        for profile in ("ebpflow", "ntop"):
            self.assertEqual(self.table[profile].get((PEN, 28), (None, None))[:2],
                             ("peerName", "string"), profile)
            with open(self.path(profile, "telegraf-pen.csv")) as f:
                self.assertIn(f"{PEN}.28,peer_name,", f.read())
            with open(self.path(profile, "pmacct-primitives.lst")) as f:
                self.assertIn(f"name=peer_name\tfield_type={PEN}:28\t", f.read())

    def test_pmacct(self):
        for profile, table in self.table.items():
            with open(self.path(profile, "pmacct-primitives.lst")) as f:
                text = f.read()
            lines = [l for l in text.splitlines() if l and not l.startswith("!")]
            # IANA variable-length elements: commented out, pmacct 1.7.7 cannot read them
            later = [l[1:] for l in text.splitlines() if l.startswith("!name=")]
            prims = {}
            for line in lines + later:
                keys = dict(kv.split("=", 1) for kv in line.split("\t"))
                self.assertEqual(set(keys), {"name", "field_type", "len", "semantics"}, line)
                self.assertRegex(keys["name"], r"^[a-z0-9_]{1,63}$")
                self.assertNotIn(keys["name"], prims)
                ft = keys["field_type"].split(":")
                key = (int(ft[0]), int(ft[1])) if len(ft) == 2 else (0, int(ft[0]))
                prims[keys["name"]] = key
                name, dtype, _ = table[key]
                self.assertEqual(keys["name"], snake(name))
                if dtype == "string":
                    self.assertEqual((keys["len"], keys["semantics"]), ("vlen", "str"))
                elif dtype in INTEGER:
                    self.assertIn(keys["len"], {"1", "2", "4", "8"})
                    self.assertEqual(keys["semantics"], "u_int")
                elif dtype in ADDRESS:
                    self.assertEqual(keys["semantics"], "ip")
            want = {k for k in table if k[0] or k[1] not in PMACCT_NATIVE}
            self.assertEqual(set(prims.values()), want, profile)
            for line in later:
                key = prims[dict(kv.split("=", 1) for kv in line.split("\t"))["name"]]
                self.assertEqual((key[0], table[key][1]), (0, "string"), line)
                self.assertLess(key[1], 384)
            agg = re.search(r"^!   aggregate: (.*)$", text, re.M).group(1).split(", ")
            active = set(prims) - {dict(kv.split("=", 1) for kv in l.split("\t"))["name"]
                                   for l in later}
            self.assertTrue(set(agg) <= active | set(PMACCT_NATIVE.values()), agg)
            self.assertNotIn("packets", agg)  # counters add up, they are no key
            # ... but pmacct sums deltaFlowCount (TCP's count) only when "flows" is asked for
            self.assertIn("flows", agg)

    def test_goflow2(self):
        for profile, table in self.table.items():
            with open(self.path(profile, "goflow2-mapping.yaml")) as f:
                cfg = yaml.safe_load(f)
            pb = {p["name"]: p for p in cfg["formatter"]["protobuf"]}
            indexes = [p["index"] for p in pb.values()]
            self.assertEqual(len(indexes), len(set(indexes)))
            for i in indexes:  # clear of goflow2's own fields and protobuf's reserved range
                self.assertTrue(1000 <= i < 2 ** 29 and not 19000 <= i < 20000, i)
            mapped = {}
            for m in cfg["ipfix"]["mapping"]:
                key = (m.get("pen", 0), m["field"])
                self.assertEqual(m.get("penprovided", False), key[0] != 0, m)
                self.assertNotIn(key, mapped)
                mapped[key] = m["destination"]
            want = {k for k in table if k[0] or k[1] not in GOFLOW2_NATIVE}
            self.assertEqual(set(mapped), want, profile)
            render = cfg["formatter"]["render"]
            self.assertTrue(set(render.values()) <= GOFLOW2_RENDERERS)
            for key, dest in mapped.items():
                _, dtype, _ = table[key]
                self.assertIn(dest, pb)
                # fixed by the element alone, whatever else the templates carry
                self.assertEqual(pb[dest]["index"],
                                 1000000 + key[0] * 1000 + key[1] if key[0] else 1000 + key[1])
                self.assertIn(dest, cfg["formatter"]["fields"])
                self.assertEqual(pb[dest]["type"], "varint" if dtype in INTEGER else
                                 "string" if dtype == "string" else "bytes")
                if dtype == "string":
                    self.assertEqual(render.get(dest), "string")
            for k in table:
                if not k[0] and k[1] in GOFLOW2_NATIVE:
                    self.assertIn(GOFLOW2_NATIVE[k[1]], cfg["formatter"]["fields"])

    def test_logstash(self):
        for profile, table in self.table.items():
            with open(self.path(profile, "logstash-ipfix-definitions.yaml")) as f:
                defs = yaml.safe_load(f)
            # the codec merges PEN by PEN: a PEN it knows would lose its other elements
            self.assertNotIn(0, defs)
            self.assertNotIn(REVERSE_PEN, defs)
            got = {(pen, i): tuple(v) for pen, ids in defs.items() for i, v in ids.items()}
            want = {k for k in table if k[0] not in (0, REVERSE_PEN)}
            self.assertEqual(set(got), want, profile)
            for key, (ltype, lname) in got.items():
                name, dtype, _ = table[key]
                self.assertEqual(lname, ":" + name)
                self.assertEqual(ltype, LOGSTASH_TYPES[dtype])

    def test_telegraf(self):
        for profile, table in self.table.items():
            with open(self.path(profile, "telegraf-pen.csv")) as f:
                rows = list(csv.reader(l for l in f if not l.startswith("#")))
            got = {}
            for pen_id, name, dtype in rows:
                self.assertRegex(pen_id, r"^\d+\.\d+$")  # Telegraf refuses anything else
                key = tuple(int(x) for x in pen_id.split("."))
                self.assertNotIn(key, got)  # a duplicate is an error in Telegraf
                got[key] = (name, dtype)
            self.assertEqual(set(got), {k for k in table if k[0]}, profile)
            for key, (name, dtype) in got.items():
                self.assertIn(dtype, TELEGRAF_TYPES)
                self.assertEqual(name, snake(table[key][0]))
                self.assertEqual(dtype, {"string": "string", "ipv4Address": "ip",
                                         "ipv6Address": "ip"}.get(
                    table[key][1], "uint" if table[key][1] in INTEGER else "hex"))

    def test_libfds(self):
        """ipfixcol2's element files: one PEN each, every enterprise element the
        profile sends but RFC 5103's (libfds knows IANA's and their reverse)."""
        for profile, table in self.table.items():
            got, scopes = {}, set()
            for name, scope_pen in LIBFDS_FILES.items():
                path = self.path(profile, name)
                if not any(k[0] == scope_pen for k in table):
                    self.assertFalse(os.path.exists(path), path)
                    continue
                root = ET.parse(path).getroot()
                self.assertEqual(root.tag, "ipfix-elements")
                self.assertEqual([c.tag for c in root][0], "scope")
                self.assertEqual({c.tag for c in root}, {"scope", "element"})
                scope = root.find("scope")
                self.assertEqual({c.tag for c in scope}, LIBFDS_SCOPE)
                self.assertEqual(int(scope.find("pen").text), scope_pen)
                self.assertEqual(scope.find("biflow").get("mode"), "none")
                sname = scope.find("name").text
                self.assertNotIn(sname, LIBFDS_SYSTEM_SCOPES | scopes)
                scopes.add(sname)
                for e in root.iter("element"):
                    self.assertTrue({c.tag for c in e} <= LIBFDS_ELEMENT, e)
                    key = (scope_pen, int(e.find("id").text))
                    self.assertLess(key[1], 2 ** 15)
                    self.assertNotIn(key, got)
                    got[key] = (e.find("name").text, e.find("dataType").text,
                                e.find("dataSemantics").text)
                    self.assertIn(got[key][1], LIBFDS_TYPES)
                    self.assertIn(got[key][2], LIBFDS_SEMANTICS)
                    units = e.find("units")
                    if units is not None:
                        self.assertIn(units.text, LIBFDS_UNITS)
            self.assertEqual(set(got), {k for k in table if k[0] not in (0, REVERSE_PEN)},
                             profile)
            for key, (name, dtype, sem) in got.items():
                self.assertEqual((name, dtype, sem),
                                 (table[key][0], table[key][1], table[key][2] or "default"))

    def test_one_profile_to_stdout(self):
        out = subprocess.run([MAPPINGS, "--pen", str(PEN), "--profile", "ntop", "--format",
                              "telegraf"], check=True, capture_output=True, text=True).stdout
        with open(self.path("ntop", "telegraf-pen.csv")) as f:
            self.assertEqual(out, f.read())
        bad = subprocess.run([MAPPINGS, "--profile", "nope", "--format", "xml"],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("no such profile", bad.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
