#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The unit under systemd, run inside a guest booted with systemd as PID 1
(tests/vm/systemd boots it; do not run this on a host). With the unit as
installed: its user made by the sysusers file, `systemctl start` returns once
eBPFlow said READY=1 (after it attached and dropped privileges), every thread
runs as that user without capabilities, a workload's calls reach a collector
exactly, `systemctl reload` makes a new collector take effect, and `systemctl
stop` ends it with exit 0 and its last, forced, records written. Prints one
line per check; exit 1 at the first that fails, with the unit's journal.

Environment: EBPFLOW_BUILD_DIR (the build, for the workload and the
collector), EBPFLOW_STAGE (the installed tree, where the sysusers file may be),
EBPFLOW_SOURCE (for systemd/ebpflow.sysusers otherwise)."""
import glob
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

BUILD = os.environ["EBPFLOW_BUILD_DIR"]
STAGE = os.environ["EBPFLOW_STAGE"]
SOURCE = os.environ["EBPFLOW_SOURCE"]
WL = os.path.join(BUILD, "tests", "ebpflow-wl")
COLLECTOR = os.path.join(BUILD, "ebpflow-collector")
UNIT = "ebpflow.service"
PORTS = (4739, 4740)          # the two collectors (the guest is ours alone)
CAP_BPF = 1 << 39
FORCED = 4                    # flowEndReason: forced end


class Failed(Exception):
    pass


def step(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        raise Failed(what)


def sh(*cmd, check=True, timeout=120):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode:
        raise Failed(f"{shlex.join(cmd)}: exit {r.returncode}: {r.stdout}{r.stderr}")
    return r


def show(*props):
    out = sh("systemctl", "show", UNIT, *(f"--property={p}" for p in props)).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def journal():
    sh("journalctl", "--sync", check=False)
    return sh("journalctl", "-b", "-u", UNIT, "--no-pager").stdout


def bpf_reads_need_cap_bpf():
    """Before 5.19, kernel.unprivileged_bpf_disabled refused every bpf()
    command to a process without CAP_BPF, reads of maps it holds too."""
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
        return (major, minor) < (5, 19) and f.read().strip() != "0"


class Collector:
    def __init__(self, port):
        self.out = open(f"/tmp/collector-{port}.json", "w+")
        self.proc = subprocess.Popen([COLLECTOR, "--udp", f"127.0.0.1:{port}"], stdout=self.out,
                                     stderr=subprocess.PIPE, text=True)
        if "listening" not in self.proc.stderr.readline():
            raise Failed(f"ebpflow-collector on {port} did not start")

    def records(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.out.seek(0)
        return [json.loads(line) for line in self.out if line.strip()]


def calls(records, pid):
    return sum(r.get("callDeltaCount", 0) for r in records if r.get("processId") == pid)


def udp_pair(port, n):
    """n datagrams from a client process that then exits: its pid."""
    srv = subprocess.Popen([WL, "udp-server", "127.0.0.1", str(port), str(n)],
                           stdout=subprocess.PIPE, text=True)
    srv.stdout.readline()
    cli = sh(WL, "udp-client", "127.0.0.1", str(port), str(n), "5", "sendto")
    srv.communicate(timeout=60)
    return int(cli.stdout.split("pid=")[1].split()[0])


def config(path, collector_port):
    with open(path, "w") as f:
        f.write(f"[output]\ninterval = 1\n[ipfix]\ncollectors = 127.0.0.1:{collector_port}\n"
                f"file = /var/lib/ebpflow/flows.ipfix\n")
    os.chmod(path, 0o644)


def main():
    # the user, from the sysusers file (installed, or the source's)
    sysusers = (sorted(glob.glob(os.path.join(STAGE, "**", "sysusers.d", "ebpflow*.conf"),
                                 recursive=True)) +
                [os.path.join(SOURCE, "systemd", "ebpflow.sysusers")])[0]
    sh("systemd-sysusers", sysusers)
    user = sh("getent", "passwd", "ebpflow").stdout.split(":")
    uid = int(user[2])
    step(f"systemd-sysusers {sysusers} made user ebpflow", uid > 0 and uid < 1000, f"uid {uid}")

    unit = show("FragmentPath", "Type", "ExecStart")
    step("the installed unit is the one systemd loaded",
         unit["FragmentPath"].startswith("/usr/") and unit["Type"] == "notify",
         f"{unit['FragmentPath']}, Type={unit['Type']}")
    conf = re.search(r"--config (\S+)", unit["ExecStart"]).group(1)
    config(conf, PORTS[0])
    a, b = Collector(PORTS[0]), Collector(PORTS[1])

    start = sh("systemctl", "start", UNIT, check=False, timeout=300)
    st = show("ActiveState", "SubState", "MainPID", "StatusText", "NRestarts",
              "ExecMainStartTimestampMonotonic", "ActiveEnterTimestampMonotonic")
    took = (int(st["ActiveEnterTimestampMonotonic"]) -
            int(st["ExecMainStartTimestampMonotonic"])) / 1e6
    step("systemctl start", start.returncode == 0 and st["ActiveState"] == "active" and
         st["SubState"] == "running" and st["NRestarts"] == "0",
         f"{st['ActiveState']}/{st['SubState']}, ready {took:.1f}s after it started")
    pid = int(st["MainPID"])
    # Type=notify: start returned once READY=1 came; eBPFlow sends it after
    # these lines (journalctl --sync: everything logged so far is in)
    text = journal()
    said = [w for w in ("attached", "dropped every capability", "watching") if w not in text]
    step("active only once attached and privileges dropped (READY=1)",
         not said and st["StatusText"] == "watching",
         f"status '{st['StatusText']}'" + (f"; not yet in the journal: {said}" if said else ""))
    keep = CAP_BPF if bpf_reads_need_cap_bpf() else 0
    bad = []
    tasks = sorted(os.listdir(f"/proc/{pid}/task"))
    for tid in tasks:
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            s = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        for cap, want in (("CapInh", 0), ("CapPrm", keep), ("CapEff", keep), ("CapAmb", 0)):
            if int(s[cap], 16) != want:
                bad.append(f"{tid} {s['Name']} {cap} {s[cap]}")
        if s["Uid"].split() != [str(uid)] * 4 or s["NoNewPrivs"] != "1" or s["Seccomp"] != "2":
            bad.append(f"{tid} {s['Name']} Uid {s['Uid']} NoNewPrivs {s['NoNewPrivs']} "
                       f"Seccomp {s['Seccomp']}")
    step(f"every thread runs as ebpflow with {'CAP_BPF alone' if keep else 'no capability'}, "
         "no new privileges, a seccomp filter", not bad,
         "; ".join(bad) or f"{len(tasks)} threads")

    first = udp_pair(5001, 5)
    time.sleep(3)
    config(conf, PORTS[1])
    reload = sh("systemctl", "reload", UNIT, check=False)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        st = show("ActiveState", "SubState", "StatusText", "MainPID")
        if st["StatusText"] == "watching; configuration reloaded":
            break
        time.sleep(0.2)
    step("systemctl reload", reload.returncode == 0 and st["ActiveState"] == "active" and
         st["SubState"] == "running" and int(st["MainPID"]) == pid and
         st["StatusText"] == "watching; configuration reloaded",
         f"{st['ActiveState']}/{st['SubState']}, status '{st['StatusText']}'")
    second = udp_pair(5002, 6)
    # a live flow at the stop: 4 sends by a process that stays
    live = subprocess.Popen(["python3", "-c", "import os, socket, time\n"
                             "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                             "for _ in range(4): s.sendto(b'x', ('127.0.0.1', 5003))\n"
                             "print(os.getpid(), flush=True)\ntime.sleep(600)\n"],
                            stdout=subprocess.PIPE, text=True)
    third = int(live.stdout.readline())
    time.sleep(3)

    t0 = time.monotonic()
    stop = sh("systemctl", "stop", UNIT, check=False, timeout=300)
    took = time.monotonic() - t0
    live.kill()
    live.wait()
    # an inactive unit is unloaded at once (systemctl show would see a fresh
    # one): how it ended is in the journal, from its last "Stopping"
    text = journal()
    end = text[text.rindex("Stopping " + UNIT):]
    state = sh("systemctl", "is-active", UNIT, check=False).stdout.strip()
    step("systemctl stop: exit 0 after the last records",
         stop.returncode == 0 and state == "inactive" and "Deactivated successfully" in end and
         "Failed with result" not in end and "Killing" not in end and
         "ebpflow: info: resources:" in end,
         f"{took:.1f}s, {state}, " + "; ".join(
             l.split(": ", 1)[-1] for l in end.splitlines() if "systemd[1]" in l))
    got_a, got_b = a.records(), b.records()
    step("the first collector had the workload before the reload, exactly",
         (calls(got_a, first), calls(got_b, first)) == (5, 0),
         f"{calls(got_a, first)} and {calls(got_b, first)} of 5 calls")
    step("the reload moved the export to the second collector",
         (calls(got_a, second), calls(got_b, second)) == (0, 6),
         f"{calls(got_a, second)} and {calls(got_b, second)} of 6 calls")
    forced = [r for r in got_b if r.get("processId") == third]
    step("the stop reported the live flow (forced end)",
         calls(got_b, third) == 4 and {r.get("flowEndReason") for r in forced} == {FORCED},
         f"{calls(got_b, third)} of 4 calls, end reasons {sorted({r.get('flowEndReason') for r in forced})}")
    path = "/var/lib/ebpflow/flows.ipfix"
    owner = os.stat(path).st_uid
    from_file = [json.loads(line) for line in
                 sh(COLLECTOR, "--file", path).stdout.splitlines() if line.strip()]
    step("the IPFIX file in the state directory, written as ebpflow, has the last records",
         owner == uid and calls(from_file, third) == 4 and calls(from_file, second) == 6,
         f"owner uid {owner}, {calls(from_file, third)} of 4 and {calls(from_file, second)} of 6")
    at_exit = [l.split("info: ", 1)[-1] for l in end.splitlines() if "at exit: calls" in l]
    step("the journal has eBPFlow's accounting at exit, nothing lost",
         len(at_exit) == 1 and at_exit[0].endswith(", 0 lost"), "; ".join(at_exit) or "none")
    sec = sh("systemd-analyze", "security", UNIT, check=False).stdout
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", sec)
    step("systemd-analyze security of the running system's unit", m and float(m.group(1)) <= 2.5,
         m.group(0) if m else sec[-300:])


if __name__ == "__main__":
    try:
        main()
    except Failed as e:
        print(f"FAIL: {e}", flush=True)
        print(journal()[-6000:], file=sys.stderr)
        sys.exit(1)
    print("all checks passed")
