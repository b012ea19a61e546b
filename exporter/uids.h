/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Whose flows the kernel made, folded and refused, per uid: the kernel's
 * counters (bpf/ebpflow.h struct uid_usage) next to what user space read, so
 * that losses are attributed and the kernel's budget of entries per uid is
 * kept true. Pure logic: runtime.c feeds it the kernel's counters and the
 * readings, and writes back what it says is released.
 */
#ifndef EBPFLOW_UIDS_H
#define EBPFLOW_UIDS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpflow.h"

/* What one uid cost the export. */
struct uid_loss {
	uint32_t uid;
	uint64_t calls_folded;  /* into its overflow flows (still counted there) */
	uint64_t calls_refused; /* lost: the full map refused their flow */
	uint64_t flows_unread;  /* its flows the map evicted before eBPFlow read them */
};

struct uids;

struct uids *uids_new(void);
void uids_free(struct uids *u);

/* The kernel's counters of uid, read just before a pass (after its last one at exit). */
void uids_set_kernel(struct uids *u, uint32_t uid, const struct uid_usage *k);
/* A pass begins: entries present are counted anew. */
void uids_begin_pass(struct uids *u);
/* An entry made by uid was read in this pass; first: never read before. */
void uids_read(struct uids *u, uint32_t uid, bool first);

/*
 * After a pass: for each uid whose value changed, the entries it no longer
 * holds (made, minus read in this pass), for the kernel's budget. Entries made
 * after the counters were read make this smaller, never larger: the budget
 * errs towards folding, for one pass.
 */
typedef void (*uids_release_fn)(uint32_t uid, uint64_t released, void *ctx);
void uids_release(struct uids *u, uids_release_fn fn, void *ctx);

/* Up to n uids with a loss or a fold, the largest first (calls, then flows). */
size_t uids_top(const struct uids *u, struct uid_loss *out, size_t n);

#endif
