// SPDX-License-Identifier: GPL-2.0-only
/* Per-uid accounting of flow entries (uids.h). */
#include "uids.h"

#include <glib.h>
#include <stdlib.h>

struct uid_entry {
	uint32_t uid;
	struct uid_usage kernel; /* as last read */
	uint64_t present;        /* entries read in the current pass */
	uint64_t seen;           /* entries ever read (each new entry once) */
	uint64_t released;       /* as last handed to the kernel */
};

struct uids {
	GHashTable *by_uid; /* GUINT_TO_POINTER(uid) -> struct uid_entry * */
};

struct uids *uids_new(void)
{
	struct uids *u = g_new0(struct uids, 1);

	u->by_uid = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	return u;
}

void uids_free(struct uids *u)
{
	if (!u)
		return;
	g_hash_table_destroy(u->by_uid);
	g_free(u);
}

static struct uid_entry *entry(struct uids *u, uint32_t uid)
{
	struct uid_entry *e = g_hash_table_lookup(u->by_uid, GUINT_TO_POINTER(uid));

	if (!e) {
		e = g_new0(struct uid_entry, 1);
		e->uid = uid;
		g_hash_table_insert(u->by_uid, GUINT_TO_POINTER(uid), e);
	}
	return e;
}

void uids_set_kernel(struct uids *u, uint32_t uid, const struct uid_usage *k)
{
	entry(u, uid)->kernel = *k;
}

void uids_begin_pass(struct uids *u)
{
	GHashTableIter it;
	struct uid_entry *e;

	g_hash_table_iter_init(&it, u->by_uid);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e))
		e->present = 0;
}

void uids_read(struct uids *u, uint32_t uid, bool first)
{
	struct uid_entry *e = entry(u, uid);

	e->present++;
	if (first)
		e->seen++;
}

void uids_release(struct uids *u, uids_release_fn fn, void *ctx)
{
	GHashTableIter it;
	struct uid_entry *e;

	g_hash_table_iter_init(&it, u->by_uid);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e)) {
		uint64_t released = e->kernel.created > e->present ? e->kernel.created - e->present : 0;

		if (released == e->released)
			continue;
		e->released = released;
		fn(e->uid, released, ctx);
	}
}

/* Made but never read: evicted before the first reading (exact once nothing is made). */
static uint64_t unread(const struct uid_entry *e)
{
	return e->kernel.created > e->seen ? e->kernel.created - e->seen : 0;
}

static int by_loss(const void *a, const void *b)
{
	const struct uid_loss *x = a, *y = b;
	uint64_t cx = x->calls_folded + x->calls_refused, cy = y->calls_folded + y->calls_refused;

	if (cx != cy)
		return cx < cy ? 1 : -1;
	if (x->flows_unread != y->flows_unread)
		return x->flows_unread < y->flows_unread ? 1 : -1;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

size_t uids_top(const struct uids *u, struct uid_loss *out, size_t n)
{
	GArray *all = g_array_new(FALSE, FALSE, sizeof(struct uid_loss));
	GHashTableIter it;
	struct uid_entry *e;
	size_t got;

	g_hash_table_iter_init(&it, u->by_uid);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e)) {
		struct uid_loss l = { .uid = e->uid,
				      .calls_folded = e->kernel.folded,
				      .calls_refused = e->kernel.refused,
				      .flows_unread = unread(e) };

		if (l.calls_folded || l.calls_refused || l.flows_unread)
			g_array_append_val(all, l);
	}
	g_array_sort(all, by_loss);
	got = all->len < n ? all->len : n;
	for (size_t i = 0; i < got; i++)
		out[i] = g_array_index(all, struct uid_loss, i);
	g_array_free(all, TRUE);
	return got;
}
