/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The peer's DNS name (issue 22): the answers processes receive from port 53
 * are parsed here (parse.c) and remembered as address -> name, per network
 * namespace, for the answer's TTL plus a grace period (names.c), so that a
 * record whose peer was resolved on this host carries the name its process
 * asked for.
 *
 * DNS answers are bytes anyone on the path may have written: the parser is
 * bounded in every loop, reads nothing outside the message, and takes an
 * answer whole or not at all.
 */
#ifndef EBPFLOW_DNS_H
#define EBPFLOW_DNS_H

#include <glib.h>
#include <stdint.h>

#define DNS_NAME_MAX 253       /* presentation form, no trailing dot */
#define DNS_ANSWER_MAX_ADDRS 32 /* address records kept from one answer */

struct dns_addr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network order; IPv4 in the first 4 bytes */
	uint32_t ttl;      /* seconds: the smallest TTL along the CNAME chain to it */
};

/* What one answer says: the name asked for and the addresses it led to. */
struct dns_answer {
	char qname[DNS_NAME_MAX + 1]; /* the question's name, lower case, printable */
	struct dns_addr addrs[DNS_ANSWER_MAX_ADDRS];
	unsigned int n_addrs;
	unsigned int n_cnames;        /* CNAME records followed from qname */
};

/*
 * Parse one DNS message (UDP payload, `len` bytes as received: it may be cut
 * short of the datagram). TRUE with `out` filled when it is a response
 * (QR set, RCODE 0, one question of class IN) whose A/AAAA records are reached
 * from the question's name directly or through its CNAME chain (records that
 * are not on the chain are ignored); FALSE with `error` set (domain
 * DNS_PARSE_ERROR) otherwise: not an answer, no address, or malformed
 * (compression loop, pointer out of the message, truncated record, a label
 * that is not printable, counts larger than the message can hold).
 */
#define DNS_PARSE_ERROR (dns_parse_error_quark())
GQuark dns_parse_error_quark(void);

enum dns_parse_error {
	DNS_PARSE_NOT_ANSWER, /* a query, an error RCODE, not IN, no address: ignored, not bad */
	DNS_PARSE_MALFORMED,  /* hostile or broken: counted as bad */
};

gboolean dns_parse_answer(const uint8_t *msg, size_t len, struct dns_answer *out, GError **error);

/*
 * address -> name, per network namespace (its inode number), bounded: when
 * full, the entry that expires first is forgotten (counted). An address
 * answered again takes the newer name and TTL.
 */
struct dns_names;

/*
 * Defaults. The grace: a connection often starts after the TTL of the answer
 * that led to it (a pooled client, a runtime's own cache: Java keeps answers
 * 30 s, browsers about a minute, CDNs answer with TTLs of 20 to 60 s), and an
 * address answered again takes the newer name anyway, so 5 minutes costs only
 * memory. The capacity: about 200 bytes an entry with a 28-character name of
 * its own, 430 with a 253-character one (measured, docs/ARCHITECTURE.md):
 * 3.2 MiB for 16,384 addresses, 7 MiB at worst.
 */
#define DNS_NAMES_GRACE_S 300
#define DNS_NAMES_CAPACITY 16384

struct dns_names_stats {
	uint64_t entries;   /* held now */
	uint64_t added;     /* address records taken in */
	uint64_t evicted;   /* forgotten early because the table was full */
	uint64_t expired;   /* forgotten after TTL + grace */
};

struct dns_names *dns_names_new(unsigned int capacity, unsigned int grace_s);
void dns_names_free(struct dns_names *names);
/* `now_s`: monotonic seconds */
void dns_names_add(struct dns_names *names, uint32_t netns, const struct dns_answer *answer,
		   uint64_t now_s);
/* The name asked for, or NULL; valid until the next add or expire. */
const char *dns_names_lookup(struct dns_names *names, uint32_t netns, int family,
			     const uint8_t *addr, uint64_t now_s);
/* Forget what is past TTL + grace. */
void dns_names_expire(struct dns_names *names, uint64_t now_s);
void dns_names_get_stats(const struct dns_names *names, struct dns_names_stats *out);

#endif
