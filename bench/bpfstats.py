# SPDX-License-Identifier: GPL-2.0-only
"""The kernel's run-time statistics of BPF programs (run_time_ns, run_cnt),
on for as long as a `with bpfstats.enabled():` block lasts.

BPF_ENABLE_STATS hands out a file descriptor and the kernel keeps the
statistics on while any such descriptor is open. Writing the sysctl
kernel.bpf_stats_enabled instead, as bench/run once did, let two runs that
overlapped leave it on for good (one saved 0 and set 1, the other saved that
1 and restored it last): every BPF program on the host then paid two clock
reads a run, and every later measurement with it.
"""
import contextlib
import ctypes
import os
import platform

BPF_ENABLE_STATS = 32
BPF_STATS_RUN_TIME = 0
SYS_BPF = {"x86_64": 321, "aarch64": 280}


@contextlib.contextmanager
def enabled():
    nr = SYS_BPF.get(platform.machine())
    if nr is None:
        raise OSError(f"bpf(2)'s number on {platform.machine()} is not known here")
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(8)   # union bpf_attr's enable_stats: a __u32 type
    ctypes.c_uint32.from_buffer(attr).value = BPF_STATS_RUN_TIME
    fd = libc.syscall(nr, BPF_ENABLE_STATS, attr, ctypes.sizeof(attr))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"BPF_ENABLE_STATS: {os.strerror(err)} (Linux 5.8 or later, as root)")
    try:
        yield
    finally:
        os.close(fd)
