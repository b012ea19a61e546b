// SPDX-License-Identifier: GPL-2.0-only
/*
 * address -> the name asked for, per network namespace (dns.h): a hash for
 * the look-ups and a sequence sorted by expiry, so that the expiry of what is
 * due and the eviction of what expires first when full are O(log n).
 */
#include "dns.h"

#include <string.h>
#include <sys/socket.h>

struct name_key {
	uint32_t netns;
	uint32_t family;
	uint8_t addr[16];
};

struct name_entry {
	struct name_key key; /* first: the hash table's key points here */
	uint64_t expires;    /* monotonic seconds: TTL + grace after the answer */
	uint64_t serial;     /* order of arrival: ties in `expires` go oldest first */
	char *name;	     /* a GRefString: the addresses of one answer share it */
	GSequenceIter *by_time;
};

struct dns_names {
	GHashTable *by_addr;  /* struct name_key * -> struct name_entry * */
	GSequence *by_expiry; /* struct name_entry *, soonest first */
	unsigned int capacity;
	unsigned int grace_s;
	uint64_t serial;
	struct dns_names_stats stats;
};

static guint key_hash(gconstpointer p)
{
	const struct name_key *k = p;
	guint h = k->netns * 2654435761u ^ k->family;

	for (size_t i = 0; i < sizeof(k->addr); i++)
		h = h * 31 + k->addr[i];
	return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct name_key));
}

static gint cmp_expiry(gconstpointer a, gconstpointer b, gpointer unused)
{
	const struct name_entry *x = a, *y = b;

	if (x->expires != y->expires)
		return x->expires < y->expires ? -1 : 1;
	return x->serial < y->serial ? -1 : x->serial > y->serial;
}

static void entry_free(gpointer p)
{
	struct name_entry *e = p;

	g_ref_string_release(e->name);
	g_free(e);
}

struct dns_names *dns_names_new(unsigned int capacity, unsigned int grace_s)
{
	struct dns_names *n = g_new0(struct dns_names, 1);

	/* the table owns the entries; the sequence only orders them */
	n->by_addr = g_hash_table_new_full(key_hash, key_equal, NULL, entry_free);
	n->by_expiry = g_sequence_new(NULL);
	n->capacity = capacity;
	n->grace_s = grace_s;
	return n;
}

void dns_names_free(struct dns_names *names)
{
	if (!names)
		return;
	g_sequence_free(names->by_expiry);
	g_hash_table_destroy(names->by_addr);
	g_free(names);
}

static void forget(struct dns_names *n, struct name_entry *e)
{
	g_sequence_remove(e->by_time);
	g_hash_table_remove(n->by_addr, &e->key);
}

void dns_names_expire(struct dns_names *names, uint64_t now_s)
{
	for (;;) {
		GSequenceIter *it = g_sequence_get_begin_iter(names->by_expiry);
		struct name_entry *e;

		if (g_sequence_iter_is_end(it))
			break;
		e = g_sequence_get(it);
		if (e->expires > now_s)
			break;
		forget(names, e);
		names->stats.expired++;
	}
}

static void make_key(struct name_key *k, uint32_t netns, int family, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->netns = netns;
	k->family = (uint32_t)family;
	memcpy(k->addr, addr, family == AF_INET ? 4 : 16);
}

void dns_names_add(struct dns_names *names, uint32_t netns, const struct dns_answer *answer,
		   uint64_t now_s)
{
	char *name;

	/* capacity 0: names are not kept at all */
	if (!names->capacity || !answer->n_addrs)
		return;
	name = g_ref_string_new(answer->qname);
	for (unsigned int i = 0; i < answer->n_addrs && i < DNS_ANSWER_MAX_ADDRS; i++) {
		const struct dns_addr *a = &answer->addrs[i];
		struct name_entry *e;
		struct name_key k;

		if (a->family != AF_INET && a->family != AF_INET6)
			continue;
		make_key(&k, netns, a->family, a->addr);
		e = g_hash_table_lookup(names->by_addr, &k);
		if (e) {
			/* answered again: the newer name and TTL, even a shorter one */
			g_sequence_remove(e->by_time);
			g_ref_string_release(e->name);
		} else {
			if (g_hash_table_size(names->by_addr) >= names->capacity)
				dns_names_expire(names, now_s);
			if (g_hash_table_size(names->by_addr) >= names->capacity) {
				GSequenceIter *first = g_sequence_get_begin_iter(names->by_expiry);

				forget(names, g_sequence_get(first));
				names->stats.evicted++;
			}
			e = g_new0(struct name_entry, 1);
			e->key = k;
			g_hash_table_insert(names->by_addr, &e->key, e);
		}
		e->name = g_ref_string_acquire(name);
		e->expires = now_s + a->ttl + names->grace_s;
		e->serial = names->serial++;
		e->by_time = g_sequence_insert_sorted(names->by_expiry, e, cmp_expiry, NULL);
		names->stats.added++;
	}
	g_ref_string_release(name);
}

const char *dns_names_lookup(struct dns_names *names, uint32_t netns, int family,
			     const uint8_t *addr, uint64_t now_s)
{
	struct name_entry *e;
	struct name_key k;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	make_key(&k, netns, family, addr);
	e = g_hash_table_lookup(names->by_addr, &k);
	/* past its time but not yet expired by the caller: no name either */
	if (!e || e->expires <= now_s)
		return NULL;
	return e->name;
}

void dns_names_get_stats(const struct dns_names *names, struct dns_names_stats *out)
{
	*out = names->stats;
	out->entries = g_hash_table_size(names->by_addr);
}
