# SPDX-License-Identifier: GPL-2.0-only
"""Commands run side by side, at most N at once: the kernel matrix's guests
(tests/vm/matrix --jobs). Python's standard library only.

Why processes and not threads: each guest is a qemu that its own Python
process kills when it unwinds (guest.py), an arm64 run needs a mount
namespace of its own (arm64.py), and a process's output can go to a file of
its own. Each job's output (stdout and stderr, in order) goes to its log,
printed whole once the job ends, so the output of guests that ran at the
same time never interleaves. If we are stopped (ctest's timeout sends
SIGTERM), the jobs still running get SIGTERM too, by pid, and are waited for.
The SIGTERM is held while jobs are started and taken at the loop's turn, so
no job is ever started and not yet known to the list that stops them.
"""
import os
import signal
import subprocess
import sys
import time

STOP_GRACE = 60   # seconds a stopped job has to kill its qemu and unwind


class Job:
    def __init__(self, name, argv, log):
        self.name = name
        self.argv = argv
        self.log = log
        self.rc = None
        self.seconds = None
        self._proc = None
        self._t0 = None

    def start(self):
        env = dict(os.environ, PYTHONUNBUFFERED="1")   # stdout and stderr in order
        with open(self.log, "w") as out:
            self._proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, env=env)
        self._t0 = time.monotonic()

    def done(self):
        if self._proc.poll() is None:
            return False
        self.rc = self._proc.returncode
        self.seconds = time.monotonic() - self._t0
        return True

    def stop(self):
        self._proc.terminate()   # ours, by its pid
        try:
            self._proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def report(job, out):
    with open(job.log, errors="replace") as f:
        text = f.read()
    print(f"=== {job.name}: exit {job.rc} after {job.seconds:.0f}s (log: {job.log})\n"
          f"{text.rstrip()}\n=== {job.name}: end", file=out, flush=True)


def run(jobs, n, out=sys.stdout):
    """Run jobs (started in the order given), at most n at once; each job's
    rc and seconds are set when this returns."""
    pending, running, stopped = list(jobs), [], []
    # a SIGTERM raised in the middle of a start would leave that job running
    # unknown to `running`: noted here, acted on at the loop's turn
    before = signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    try:
        while (pending or running) and not stopped:
            while pending and len(running) < n:
                job = pending.pop(0)
                job.start()
                running.append(job)
                print(f"vm: {job.name}: started (log: {job.log})", file=out, flush=True)
            time.sleep(0.5)
            for job in [j for j in running if j.done()]:
                running.remove(job)
                report(job, out)
    finally:
        signal.signal(signal.SIGTERM, before)
        for job in running:   # interrupted: leave no job (and no guest) behind
            job.stop()
    if stopped:
        signal.raise_signal(signal.SIGTERM)   # now to the caller's own handling
    return jobs
