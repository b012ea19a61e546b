#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The peer's DNS name on every flow (issue 22), end to end on the tier in
force: a dnsmasq of the test's own (local records only) answers on port 53
of loopback inside network namespaces the test makes; clients resolve with
getaddrinfo (glibc's stub resolver, through a resolv.conf of the test's own
bind-mounted in a mount namespace) and then connect (TCP) and send (UDP) to
the address they got, where a listener of the test waits.

Checked, each flow by the client's pid, exactly:
- a name: the TCP connect and the UDP sends carry it;
- a CNAME chain: the name asked for (the chain's start), not its target;
- two namespaces mapping one address to different names: each flow its own;
- an answer whose TTL (1 s) and grace (2 s) ran out before the connect: no name;
  the same answer used at once: the name;
- an address never resolved: no name; nor have the DNS flows themselves;
- an answer over 512 bytes (32 A records, asked with EDNS0): the name, none
  malformed; a datagram from port 53 longer than the capture (1232 bytes):
  counted as cut (dns_long), not as malformed.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import testlib  # noqa: E402

PID = os.getpid()
PORT = testlib.port_base(3)
SENDS = 4
GRACE = 2
ADDR = {"web": "10.53.1.2", "target": "10.53.1.3", "shared": "10.53.1.9",
        "literal": "10.53.1.7", "short": "10.53.1.4", "fresh": "10.53.1.5"}
# one name, 32 A records (all the parser keeps): its answer is over 512 bytes
MANY = [f"10.53.2.{i}" for i in range(1, 33)]
LONG = 1400  # a datagram from port 53 longer than the capture

# The client: resolve, maybe wait, one TCP connect, SENDS datagrams; says its pid.
CLIENT = r"""
import socket, sys, time
name, port, n, delay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
addr = socket.getaddrinfo(name, port, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
time.sleep(delay)
s = socket.create_connection((addr, port), timeout=5)
s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(n):
    u.sendto(b"x" * 10, (addr, port))
print(addr, flush=True)
"""

# The listener: accepts and reads whatever comes on PORT, TCP and UDP, every address.
LISTENER = r"""
import select, socket, sys
port = int(sys.argv[1])
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", port)); t.listen(64)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", port))
print("ready", flush=True)
while True:
    for s in select.select([t, u], [], [])[0]:
        if s is t:
            t.accept()[0].close()
        else:
            u.recv(100)
"""

# An A query with an EDNS0 record (buffer 1232): the answer's length.
QUERY = r"""
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x5151, 0x0100, 1, 0, 0, 1)
q += b"".join(bytes([len(p)]) + p.encode() for p in sys.argv[1].split(".")) + b"\0"
q += struct.pack(">HH", 1, 1) + b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(q, ("127.0.0.1", 53))
print(len(u.recvfrom(4096)[0]), flush=True)
"""

# A datagram of n bytes from port 53 of 127.0.0.2, received with recvfrom.
LONG_ANSWER = r"""
import socket, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.2", 53))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.bind(("127.0.0.1", 0))
s.sendto(b"\x51\x51\x81\x80" + bytes(n - 4), c.getsockname())
print(len(c.recvfrom(4096)[0]), flush=True)
"""


class Host:
    """A network namespace with addresses on its loopback, a dnsmasq on its
    127.0.0.1:53 with records, a listener, and a resolv.conf naming it."""

    def __init__(self, tag, tmp, records, ttl):
        self.ns = f"ebpflow{PID}{tag}"
        self.tmp = tmp
        self.procs = []
        testlib.run("ip", "netns", "add", self.ns)
        testlib.run("ip", "-n", self.ns, "link", "set", "lo", "up")
        for a in ADDR.values():
            testlib.run("ip", "-n", self.ns, "addr", "add", f"{a}/32", "dev", "lo")
        # on lo a prefix is local whole: MANY's addresses
        testlib.run("ip", "-n", self.ns, "addr", "add", "10.53.2.0/26", "dev", "lo")
        self.resolv = os.path.join(tmp, f"resolv-{tag}.conf")
        with open(self.resolv, "w") as f:
            f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")
        # glibc asks with EDNS0 (a buffer of 1200 bytes) only when told to
        self.resolv_edns0 = os.path.join(tmp, f"resolv-{tag}-edns0.conf")
        with open(self.resolv_edns0, "w") as f:
            f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:2 edns0\n")
        self.procs.append(testlib.Process(
            ["ip", "netns", "exec", self.ns, "dnsmasq", "--no-daemon", "--conf-file=/dev/null",
             "--no-resolv",
             "--no-hosts", "--port=53", "--listen-address=127.0.0.1", "--bind-interfaces",
             f"--local-ttl={ttl}", f"--pid-file={tmp}/dnsmasq-{tag}.pid", *records],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        listener = testlib.Process(["ip", "netns", "exec", self.ns, sys.executable, "-c",
                                    LISTENER, str(PORT)], stdout=subprocess.PIPE, text=True)
        self.procs.append(listener)
        if listener.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the listener did not start")
        # dnsmasq answers once it listens
        for _ in range(200):
            ss = subprocess.run(["ip", "netns", "exec", self.ns, "ss", "-Hlun", "sport", "= 53"],
                                capture_output=True, text=True).stdout
            if ss.strip():
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("dnsmasq did not start")

    def client(self, name, delay=0, edns0=False):
        """Resolve name with getaddrinfo in this host, then connect and send; the pid
        (the address it used in self.addr)."""
        resolv = self.resolv_edns0 if edns0 else self.resolv
        p = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "-m", "sh", "-c",
             f"mount --bind {resolv} /etc/resolv.conf && exec {sys.executable} -c "
             f"'{CLIENT}' {name} {PORT} {SENDS} {delay}"],
            stdout=subprocess.PIPE, text=True)
        out, _ = p.communicate(timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"client for {name} failed ({p.returncode})")
        self.addr = out.strip()
        return p.pid

    def python(self, script, *args):
        """Run a script in this host; what it prints."""
        return subprocess.run(["ip", "netns", "exec", self.ns, sys.executable, "-c", script,
                               *map(str, args)], capture_output=True, text=True, check=True,
                              timeout=60).stdout.strip()

    def close(self):
        for p in reversed(self.procs):
            p.stop()
        subprocess.run(["ip", "netns", "del", self.ns], stderr=subprocess.DEVNULL)


def flows_of(records, pid):
    """pid's records, by (proto, direction, peer address, port): their calls and names."""
    out = {}
    for r in records:
        if r["pid"] != pid:
            continue
        peer = r["daddr"] if r["direction"] == "outbound" else r["saddr"]
        k = (r["proto"], r["direction"], peer, r["dport"])
        calls, names = out.get(k, (0, set()))
        out[k] = (calls + r["count"], names | {r.get("peer_name")})
    return out


def expect(records, pid, addr, name, what, resolved=True):
    flows = flows_of(records, pid)
    got = {k: v for k, v in flows.items() if k[2] == addr and k[3] == PORT}
    want = {("TCP", "outbound", addr, PORT): (1, {name}),
            ("UDP", "outbound", addr, PORT): (SENDS, {name})}
    if got != want:
        raise AssertionError(f"{what}: want {want}, got {got}")
    # the DNS exchange itself (one query, one answer): its peer was never resolved
    dns = {k: v for k, v in flows.items() if k[2] == "127.0.0.1"}
    want = {("UDP", "outbound", "127.0.0.1", 53): (1, {None}),
            ("UDP", "inbound", "127.0.0.1", None): (1, {None})} if resolved else {}
    dns = {(k[0], k[1], k[2], k[3] if k[1] == "outbound" else None): v for k, v in dns.items()}
    if dns != want:
        raise AssertionError(f"{what}: the DNS flows carry a name: {dns}")


def main():
    testlib.require_kernel_privileges()
    testlib.require_tools("dnsmasq", "unshare", "mount")
    tmp = tempfile.mkdtemp(prefix=f"ebpflow-dns-{PID}-")
    conf = os.path.join(tmp, "ebpflow.conf")
    with open(conf, "w") as f:
        f.write(f"[flows]\ndns_grace = {GRACE}\n")
    one = two = None
    try:
        one = Host("n1", tmp, [f"--host-record=web-{PID}.test,{ADDR['web']}",
                               f"--host-record=target-{PID}.test,{ADDR['target']}",
                               f"--cname=alias-{PID}.test,target-{PID}.test",
                               f"--host-record=svc-{PID}.test,{ADDR['shared']}",
                               *[f"--host-record=many-{PID}.test,{a}" for a in MANY]],
                  ttl=600)
        # what the EDNS0 case stands on: the answer is longer than 512 bytes
        size = int(one.python(QUERY, f"many-{PID}.test"))
        if size <= 512:
            raise AssertionError(f"the answer for many-{PID}.test is {size} bytes, not over 512")
        two = Host("n2", tmp, [f"--host-record=other-{PID}.test,{ADDR['shared']}",
                               f"--host-record=short-{PID}.test,{ADDR['short']}",
                               f"--host-record=fresh-{PID}.test,{ADDR['fresh']}"], ttl=1)
        eb = testlib.Ebpflow("-o", "json", "-i", "1", "-c", conf)
        # the console, asked for names (--names), beside it
        con = testlib.Ebpflow("--names", "-i", "1", "-c", conf)
        pids = {
            "web": one.client(f"web-{PID}.test"),
            "alias": one.client(f"alias-{PID}.test"),
            "svc": one.client(f"svc-{PID}.test"),
            "other": two.client(f"other-{PID}.test"),
            "fresh": two.client(f"fresh-{PID}.test"),
            # resolved, then used after TTL 1 s + grace 2 s (and a pass to forget it)
            "short": two.client(f"short-{PID}.test", delay=1 + GRACE + 2.5),
            "literal": one.client(ADDR["literal"]),
            "many": one.client(f"many-{PID}.test", edns0=True),
        }
        many_addr = one.addr
        if one.python(LONG_ANSWER, LONG) != str(LONG):
            raise AssertionError(f"the {LONG}-byte datagram from port 53 did not arrive whole")
        time.sleep(1.5)  # a pass reads the last flows before the stop
        eb.stop()
        con.stop()
        if eb.returncode != 0:
            raise AssertionError(f"ebpflow exited with {eb.returncode}: {eb.stderr}")
        records = eb.records()
        expect(records, pids["web"], ADDR["web"], f"web-{PID}.test", "a name")
        expect(records, pids["alias"], ADDR["target"], f"alias-{PID}.test", "a CNAME chain")
        expect(records, pids["svc"], ADDR["shared"], f"svc-{PID}.test", "netns one")
        expect(records, pids["other"], ADDR["shared"], f"other-{PID}.test", "netns two")
        expect(records, pids["fresh"], ADDR["fresh"], f"fresh-{PID}.test", "TTL 1 s, at once")
        expect(records, pids["short"], ADDR["short"], None, "TTL and grace ran out")
        expect(records, pids["literal"], ADDR["literal"], None, "never resolved",
               resolved=False)
        if many_addr not in MANY:
            raise AssertionError(f"many-{PID}.test resolved to {many_addr}")
        expect(records, pids["many"], many_addr, f"many-{PID}.test",
               f"an answer of {size} bytes (EDNS0)")
        # the console asked for names shows them in place of addresses (any
        # client's: a flow made while a pass reads can miss its name, see the note)
        shown = {t for line in con.stdout.splitlines() for t in line.split()
                 if t.endswith(f"-{PID}.test")}
        if con.returncode != 0 or "DADDR/NAME" not in con.stdout or not shown:
            raise AssertionError(f"--names: no name shown (exit {con.returncode}): "
                                 f"{con.stdout[-2000:]}")
        stats = eb.stats()[-1]
        # the seven lookups' answers reached user space whole: none lost, none
        # malformed (the counters are the host's: other answers may add to them);
        # the one datagram longer than the capture is counted as cut, not malformed
        if (stats["dns_dropped"] or stats["dns_bad"] or stats["dns_answers"] < 8
                or stats.get("dns_long") != 1):
            raise AssertionError(f"DNS accounting: {stats}")
        print(f"ok: names on every flow on the {eb.tier} tier ({stats['dns_answers']} answers)")
    finally:
        for h in (one, two):
            if h:
                h.close()
        subprocess.run(["rm", "-rf", tmp])
        testlib.Workload.cleanup()


if __name__ == "__main__":
    main()
