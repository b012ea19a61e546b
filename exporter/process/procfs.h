/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who a process is, as /proc says: for the processes that ran before eBPFlow
 * started (the kernel saw no exec of theirs) and for those the kernel's map
 * of processes forgot. Pure reading of files, under a root that the tests
 * can make up.
 */
#ifndef EBPFLOW_PROCFS_H
#define EBPFLOW_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strings are the process's own bytes, NUL-terminated, never NULL ("": not known). */
struct proc_ident {
	char *exe;        /* full path of the executable */
	char *cmdline;    /* arguments joined by ' ' */
	bool cmdline_cut; /* more arguments than kept */
	uint32_t ppid;
	char *parent; /* the parent's name */
};

void proc_ident_clear(struct proc_ident *id);

/*
 * A command line as the kernel keeps it (each argument followed by a NUL), in
 * words: the NULs between arguments become spaces, the last one goes. A
 * process may have rewritten it (setproctitle): whatever bytes are there are
 * kept, up to n. A new string; "" for n == 0.
 */
char *proc_args_text(const char *buf, size_t n);

/*
 * Does a process that started start_ns after boot (the kernel's clock, as in
 * struct proc_key) have the start time /proc gives in clock ticks? /proc
 * rounds down to ticks, so a pid reused within a tick is the one thing it
 * cannot tell apart.
 */
bool procfs_same_start(uint64_t start_ns, uint64_t start_ticks);

/*
 * Read pid under root (normally "/proc"): its start in ticks, and who it is,
 * with at most cmdline_bytes of its command line. False when there is no such
 * process (any more). exe is "" when it cannot be read (another user's
 * process once privileges are dropped, a kernel thread) and ends in
 * " (deleted)" when the file was deleted since the exec, as the kernel says.
 */
bool procfs_read(const char *root, uint32_t pid, size_t cmdline_bytes, uint64_t *start_ticks,
		 struct proc_ident *out);

/* Every process under root, once (at start); fn takes over id. Returns how many. */
typedef void (*procfs_visit_fn)(uint32_t pid, uint64_t start_ticks, struct proc_ident *id,
				void *ctx);
unsigned int procfs_scan(const char *root, size_t cmdline_bytes, procfs_visit_fn fn, void *ctx);

#endif
