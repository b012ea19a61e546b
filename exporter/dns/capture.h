/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The DNS answers the kernel hands over (bpf/dns.bpf.h: the ring buffer
 * dns_answers), parsed (parse.c) and remembered per network namespace
 * (names.c), so that records can carry their peer's name (enrich.c).
 */
#ifndef EBPFLOW_DNS_CAPTURE_H
#define EBPFLOW_DNS_CAPTURE_H

#include <glib.h>
#include <stdint.h>

#include "dns.h"

struct dns_capture;

struct dns_capture_stats {
	uint64_t answers;     /* read from the ring */
	uint64_t bad;	      /* malformed: ignored whole */
	uint64_t cut;	      /* longer than the kernel's capture: ignored, not bad */
	uint64_t not_answers; /* a query, an error, no address: nothing to keep */
	struct dns_names_stats names;
};

/*
 * Read the ring of ring_fd into a name table of capacity addresses kept
 * grace_s past their TTL. Answers are read at each dns_capture_read and,
 * when the kernel finds the ring a quarter full, at once from the main loop.
 */
struct dns_capture *dns_capture_new(int ring_fd, unsigned int capacity, unsigned int grace_s,
				    GError **err);
void dns_capture_free(struct dns_capture *c);
/* Take every answer in the ring, then forget the names past TTL + grace. */
void dns_capture_read(struct dns_capture *c);
/* The table records are named from; owned by c. */
struct dns_names *dns_capture_names(struct dns_capture *c);
void dns_capture_get_stats(const struct dns_capture *c, struct dns_capture_stats *out);
/*
 * What one event of the ring (struct dns_event, size bytes) does: its answer
 * added to names at now_s, or counted in stats as cut, malformed or no answer.
 */
void dns_capture_event(struct dns_capture_stats *stats, struct dns_names *names, const void *data,
		       size_t size, uint64_t now_s);
/* monotonic seconds, the clock of the name table */
uint64_t dns_now_s(void);

#endif
