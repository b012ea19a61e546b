// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ageing of flows (idle and active timeouts, forced end) and the bookkeeping
 * that keeps counts exact across reports.
 *
 * The kernel's counters only grow while its entry lives, so a live flow is
 * never removed from the kernel to be reported: each report carries the
 * difference between the latest reading and what was reported before. An
 * idle flow is removed by an atomic read-and-delete, so that a call landing
 * between the last reading and the removal is still reported. A flow whose
 * process exited is reported at once and removed a pass later, in a batch,
 * once nothing more can come (no read-and-delete per flow: a million
 * processes' flows can end in one pass).
 */
#include "flowtable.h"

#include <glib.h>
#include <limits.h>
#include <string.h>

struct flow_entry {
	struct flow_key key;
	struct flow_totals seen; /* latest reading of this kernel entry */
	uint64_t reported_count; /* what earlier records of it carried */
	uint64_t reported_bytes;
	uint64_t window_first_ns; /* first_ns of the next record */
	uint64_t active_since_ns; /* start of the current active-timeout period */
	uint32_t seen_pass;       /* the pass that last read it */
	bool exited;              /* its process exited */
	bool ended;               /* ... and it was reported so */
	bool doomed;              /* ... and read once more since: remove it */
};

struct flowtable {
	GHashTable *flows; /* struct flow_key * -> struct flow_entry * (key inside) */
	struct flowtable_timeouts t;
	struct flowtable_ops ops;
	struct flowtable_stats stats;
	uint32_t pass;
	GArray *doomed; /* struct flow_key: being removed from the kernel */
};

struct flowtable *flowtable_new(const struct flowtable_timeouts *t, const struct flowtable_ops *ops)
{
	struct flowtable *ft = g_new0(struct flowtable, 1);

	ft->flows = g_hash_table_new_full(flow_key_hash, flow_key_equal, NULL, g_free);
	ft->doomed = g_array_new(FALSE, FALSE, sizeof(struct flow_key));
	ft->t = *t;
	ft->ops = *ops;
	return ft;
}

void flowtable_free(struct flowtable *ft)
{
	if (!ft)
		return;
	g_hash_table_destroy(ft->flows);
	g_array_free(ft->doomed, TRUE);
	g_free(ft);
}

void flowtable_set_timeouts(struct flowtable *ft, const struct flowtable_timeouts *t)
{
	ft->t = *t;
}

/* Report the calls of e not reported yet; nothing when there are none. */
static void report(struct flowtable *ft, struct flow_entry *e, enum flow_end_reason reason)
{
	struct flow_record rec = { 0 };

	if (e->seen.count <= e->reported_count)
		return;
	rec.key = e->key;
	rec.count = e->seen.count - e->reported_count;
	rec.bytes = e->seen.bytes - e->reported_bytes;
	rec.first_ns = e->window_first_ns;
	rec.last_ns = e->seen.last_ns;
	rec.flow_count = e->seen.count;
	rec.flow_first_ns = e->seen.first_ns;
	rec.cgroup_id = e->seen.cgroup_id;
	rec.uid = e->seen.uid;
	memcpy(rec.comm, e->seen.comm, sizeof(rec.comm));
	rec.reason = reason;
	rec.user = "";
	rec.container = "";
	rec.container_id = "";
	if (ft->ops.enrich)
		ft->ops.enrich(&rec, ft->ops.ctx);
	ft->ops.report(&rec, ft->ops.ctx);

	ft->stats.records++;
	ft->stats.calls += rec.count;
	e->reported_count = e->seen.count;
	e->reported_bytes = e->seen.bytes;
	/*
	 * The next record starts after this one's last call; its own first call
	 * is not known (only totals are kept in the kernel), so the time of the
	 * last reported call stands for the start of the next window.
	 */
	e->window_first_ns = e->seen.last_ns;
}

/* A kernel entry whose first call is not ours is a new one (ours was evicted). */
static bool same_generation(const struct flow_entry *e, const struct flow_totals *t)
{
	return t->first_ns == e->seen.first_ns && t->count >= e->seen.count;
}

static void start_generation(struct flow_entry *e, const struct flow_totals *t)
{
	e->seen = *t;
	e->reported_count = 0;
	e->reported_bytes = 0;
	e->window_first_ns = t->first_ns;
	e->active_since_ns = t->first_ns;
}

void flowtable_begin_pass(struct flowtable *ft)
{
	ft->pass++;
}

void flowtable_update(struct flowtable *ft, const struct flow_key *key, const struct flow_totals *t)
{
	struct flow_entry *e = g_hash_table_lookup(ft->flows, key);

	if (!e) {
		e = g_new0(struct flow_entry, 1);
		e->key = *key;
		e->seen_pass = ft->pass;
		start_generation(e, t);
		g_hash_table_insert(ft->flows, &e->key, e);
		return;
	}
	e->seen_pass = ft->pass;
	if (e->ended) {
		/* a pass after the exit: what came in flight is in, and nothing more */
		if (t->count > e->seen.count)
			e->seen = *t;
		report(ft, e, FLOW_END_END);
		e->doomed = true;
		return;
	}
	if (!same_generation(e, t)) {
		/* what the old entry had when last read is all we will ever know */
		report(ft, e, FLOW_END_LACK);
		ft->stats.generations++;
		start_generation(e, t);
		return;
	}
	e->seen = *t;
}

/* Take the final totals of e from the kernel, reporting them with reason. */
static void finish(struct flowtable *ft, struct flow_entry *e, enum flow_end_reason reason)
{
	struct flow_totals final;

	if (ft->ops.take && ft->ops.take(&e->key, &final, ft->ops.ctx)) {
		if (same_generation(e, &final)) {
			e->seen = final;
		} else {
			/* evicted and started again since the last reading */
			report(ft, e, FLOW_END_LACK);
			ft->stats.generations++;
			start_generation(e, &final);
		}
	}
	report(ft, e, reason);
}

static bool ready(struct flowtable *ft, const struct flow_entry *e)
{
	return !ft->ops.ready || ft->ops.ready(e->seen.cgroup_id, ft->ops.ctx);
}

void flowtable_expire(struct flowtable *ft, uint64_t now_ns)
{
	unsigned int idle_left = ft->t.max_idle_per_pass ? ft->t.max_idle_per_pass : UINT_MAX;
	unsigned int end_left = ft->t.max_end_per_pass ? ft->t.max_end_per_pass : UINT_MAX;
	unsigned int forget_left = end_left;
	GHashTableIter it;
	struct flow_entry *e;

	g_hash_table_iter_init(&it, ft->flows);
	/* ready() is asked only of a flow about to be reported: it is not free */
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e)) {
		if (e->exited && !e->ended) {
			/* read after the exit notice: every call it made is in e->seen */
			if (end_left && ready(ft, e)) {
				end_left--;
				report(ft, e, FLOW_END_END);
				e->ended = true;
			}
		} else if (e->ended) {
			if (e->seen_pass != ft->pass) {
				/* gone from the kernel already (evicted): nothing can follow */
				g_hash_table_iter_remove(&it);
			} else if (e->doomed && forget_left) {
				/* the rest stay (read, unchanged) until a later pass */
				forget_left--;
				g_array_append_val(ft->doomed, e->key);
				g_hash_table_iter_remove(&it);
			}
		} else if (now_ns >= e->seen.last_ns && now_ns - e->seen.last_ns >= ft->t.idle_ns) {
			if (!idle_left || !ready(ft, e))
				continue;
			idle_left--;
			finish(ft, e, FLOW_END_IDLE);
			g_hash_table_iter_remove(&it);
		} else if (now_ns >= e->active_since_ns &&
			   now_ns - e->active_since_ns >= ft->t.active_ns && ready(ft, e)) {
			report(ft, e, FLOW_END_ACTIVE);
			e->active_since_ns = now_ns;
		}
	}
	if (ft->doomed->len && ft->ops.forget)
		ft->ops.forget((const struct flow_key *)ft->doomed->data, ft->doomed->len,
			       ft->ops.ctx);
	g_array_set_size(ft->doomed, 0);
}

void flowtable_end_processes(struct flowtable *ft, GHashTable *procs)
{
	GHashTableIter it;
	struct flow_entry *e;

	if (!g_hash_table_size(procs))
		return;
	g_hash_table_iter_init(&it, ft->flows);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e)) {
		struct proc_key p = { .start_ns = e->key.start_ns, .pid = e->key.pid };

		if (!e->exited && g_hash_table_contains(procs, &p))
			e->exited = true;
	}
}

void flowtable_flush(struct flowtable *ft, enum flow_end_reason reason)
{
	GHashTableIter it;
	struct flow_entry *e;

	g_hash_table_iter_init(&it, ft->flows);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e)) {
		report(ft, e, reason);
		g_hash_table_iter_remove(&it);
	}
}

unsigned int flowtable_size(const struct flowtable *ft)
{
	return g_hash_table_size(ft->flows);
}

uint64_t flowtable_unreported_calls(const struct flowtable *ft)
{
	GHashTableIter it;
	struct flow_entry *e;
	uint64_t n = 0;

	g_hash_table_iter_init(&it, ft->flows);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e))
		n += e->seen.count - e->reported_count;
	return n;
}

const struct flowtable_stats *flowtable_stats(const struct flowtable *ft)
{
	return &ft->stats;
}

void flowtable_foreach(struct flowtable *ft, flowtable_visit_fn fn, void *ctx)
{
	GHashTableIter it;
	struct flow_entry *e;

	g_hash_table_iter_init(&it, ft->flows);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e))
		fn(&e->key, &e->seen, ctx);
}
