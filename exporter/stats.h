/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exporter's accounting of every call: what the kernel counted, what the
 * filters left out (in the kernel, or [filter] containers in user space),
 * what was reported, what is still live, and what was lost
 * (a full map refused it, or its flow was evicted before it was read).
 * Shown in the log, as a JSON stats record and as an IPFIX options record.
 */
#ifndef EBPFLOW_STATS_H
#define EBPFLOW_STATS_H

#include <glib.h>
#include <linux/types.h>
#include <stdint.h>

#include "ebpflow.h"
#include "templates.h"
#include "uids.h"

/* The uids named in the accounting, the costliest first. */
#define STATS_TOP_UIDS 5

struct ebpflow_stats {
	uint64_t time_ms;        /* Unix time of the accounting */
	uint64_t kernel_calls;   /* every call the kernel side counted */
	uint64_t calls_filtered; /* left out by [filter] */
	uint64_t calls_reported; /* in records */
	uint64_t calls_live;     /* read, in flows not reported yet */
	uint64_t calls_refused;  /* a full flow map refused them */
	uint64_t calls_lost;     /* all calls missing: refused + in evicted flows */
	uint64_t calls_folded;   /* into overflow flows: counted, without their peers */
	uint64_t flows_evicted;  /* flows the kernel map evicted before they were read: */
	uint64_t flows_unread;   /* ... of them never read at all */
	struct uid_loss top[STATS_TOP_UIDS]; /* whose (uids_top) */
	size_t ntop;
	uint64_t records;
	uint64_t udp_no_peer;
	/* TCP connections whose bytes and health are missing: no room to follow
	 * them (conn_hash full), or the full flow map refused their close */
	uint64_t connections_unfollowed, closes_refused;
	uint64_t ipfix_messages, ipfix_records, ipfix_octets, ipfix_messages_lost;
	uint64_t json_records_lost, json_calls_lost; /* -o json could not write them */
	/* DNS answers for the peers' names: handed over by the kernel, lost to a
	 * full ring, malformed, cut (longer than the kernel's capture: ignored,
	 * not malformed); addresses named now, forgotten early (table full) */
	uint64_t dns_answers, dns_dropped, dns_bad, dns_long, dns_names, dns_names_evicted;
};

/*
 * Fill the kernel and flow-table part: k[] are the kernel's counters read
 * *before* the drain pass whose results the table now holds, so that no call
 * counted is on its way between the two. filtered: calls the user-space
 * filter left out (added to those the kernel's filter did). renewed: flows
 * evicted after a reading and made again; entries: kernel entries ever read
 * (the others the kernel made were evicted unread).
 */
void stats_account(struct ebpflow_stats *s, const uint64_t k[EBPFLOW_STAT__MAX],
		   uint64_t reported, uint64_t filtered, uint64_t live, uint64_t records,
		   uint64_t renewed, uint64_t entries);
void stats_json(GString *out, const struct ebpflow_stats *s);
/* The top uids for the log: "uid N: F calls folded, R refused, U flows evicted unread; ..." */
void stats_uids_text(GString *out, const struct ebpflow_stats *s);
/* The accounting in the log: the calls each pass; at exit what was lost, folded, and whose. */
void stats_log(const struct ebpflow_stats *s, bool at_exit);
void stats_ipfix(struct ipfix_stats_rec *r, const struct ebpflow_stats *s, uint32_t pid);

#endif
