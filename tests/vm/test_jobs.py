#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The kernel matrix's runner of jobs side by side (tests/vm/jobs.py), with
small shell jobs instead of guests: never more than N at once, started in the
order given, each one's output printed whole and apart from the others', and
a stopped run leaves none of its jobs running. No guest, no root needed.
"""
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import jobs  # noqa: E402

# a job that notes when it starts and ends (host clock) and talks on both
# streams meanwhile, so that two jobs at once would interleave their lines
JOB = """
echo "start $(date +%s.%N)" > "$1/$2.times"
for i in 1 2 3 4 5; do echo "$2 out $i"; echo "$2 err $i" >&2; sleep 0.1; done
echo "end $(date +%s.%N)" >> "$1/$2.times"
exit $3
"""


class Jobs(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=f"ebpflow-jobs-{os.getpid()}-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.dir])

    def job(self, name, rc=0):
        return jobs.Job(name, ["sh", "-c", JOB, "sh", self.dir, name, str(rc)],
                        os.path.join(self.dir, f"{name}.log"))

    def times(self, name):
        with open(os.path.join(self.dir, f"{name}.times")) as f:
            return [float(line.split()[1]) for line in f]

    def pid(self, name):
        try:
            with open(os.path.join(self.dir, f"{name}.pid")) as f:
                return int(f.read())
        except (OSError, ValueError):   # not yet written
            return None

    def test_at_most_n_at_once_each_output_whole(self):
        names = ["a", "b", "c", "d", "e"]
        out = io.StringIO()
        done = jobs.run([self.job(n, rc=3 if n == "c" else 0) for n in names], 2, out)
        self.assertEqual([(j.name, j.rc) for j in done],
                         [("a", 0), ("b", 0), ("c", 3), ("d", 0), ("e", 0)])
        spans = {n: self.times(n) for n in names}
        # at no job's start were more than 2 running (itself included)
        for n, (start, _) in spans.items():
            running = [m for m, (s, e) in spans.items() if s <= start < e]
            self.assertLessEqual(len(running), 2, (n, spans))
        # two ran at once indeed: a and b
        self.assertLess(spans["b"][0], spans["a"][1], spans)
        # started in the order given
        starts = re.findall(r"(?m)^vm: (\w): started", out.getvalue())
        self.assertEqual(starts, names)
        # each job's 10 lines between its own header and end, in its order
        text = out.getvalue()
        for n in names:
            block = re.search(rf"(?ms)^=== {n}: exit (\d+) after \d+s \(log: [^)]*\)\n(.*?)\n"
                              rf"=== {n}: end$", text)
            self.assertIsNotNone(block, text)
            self.assertEqual(block.group(1), "3" if n == "c" else "0")
            self.assertEqual(block.group(2).splitlines(),
                             [f"{n} {s} {i}" for i in range(1, 6) for s in ("out", "err")])

    def test_stopped_run_stops_its_jobs(self):
        # a runner in a process of its own, stopped as ctest stops the matrix
        p = subprocess.Popen([sys.executable, "-c", runner(self.dir)], stdout=subprocess.DEVNULL)
        pids = []
        deadline = time.monotonic() + 10
        while len(pids) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = [pid for pid in map(self.pid, ("x", "y", "z")) if pid]
        self.assertEqual(len(pids), 2, "two jobs should have started")
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        self.assertEqual(p.returncode, 143)
        for pid in pids:
            self.assertFalse(os.path.exists(f"/proc/{pid}"), f"job {pid} still running")


def runner(d):
    """Two jobs that would sleep a minute, each writing its pid first; its
    SIGTERM handler as the matrix's (unwind)."""
    return (f"import signal, sys; sys.path.insert(0, {HERE!r}); import jobs\n"
            "signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))\n"
            f"todo = [jobs.Job(n, ['sh', '-c', 'echo $$ > {d}/' + n + '.pid; exec sleep 60'],"
            f" '{d}/' + n + '.log') for n in ('x', 'y', 'z')]\n"
            "jobs.run(todo, 2)\n")


if __name__ == "__main__":
    unittest.main()
