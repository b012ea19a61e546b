// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ageing of flows (idle and active timeouts, process exit, forced end) and
 * the bookkeeping that keeps counts exact across reports.
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

/* Where a flow is in its life; each pass moves it at most one step. */
enum flow_state {
	FLOW_LIVE,   /* counting */
	FLOW_EXITED, /* its process exited: every call it made is in `seen` */
	FLOW_ENDED,  /* reported as ended; waits one reading for calls in flight */
	FLOW_DOOMED, /* read after its end: report the rest, remove it from the kernel */
};

struct flow_entry {
	struct flow_key key;
	struct flow_totals seen; /* latest reading of this kernel entry */
	uint64_t reported_count; /* what earlier records of it carried */
	uint64_t reported_bytes;
	uint64_t reported_reverse;
	uint64_t reported_failed;
	struct flow_health reported_health; /* what of seen.health is reported */
	uint64_t window_first_ns; /* first_ns of the next record */
	uint64_t active_since_ns; /* start of the current active-timeout period */
	uint32_t seen_pass;       /* the pass that last read it */
	enum flow_state state;
	/*
	 * The peer's name as known when the flow was first read (flow_name_fn),
	 * or just after (flowtable_name_new_flows):
	 * its records keep it after the answer's TTL, as the connection does.
	 */
	char *peer_name;
};

struct flowtable {
	GHashTable *flows; /* struct flow_key * -> struct flow_entry * (key inside) */
	struct flowtable_timeouts t;
	struct flowtable_ops ops;
	struct flowtable_stats stats;
	uint32_t pass;
	bool stopping;  /* flowtable_flush: everything goes now */
	GArray *doomed; /* struct flow_key: being removed from the kernel */
	/*
	 * This pass's new flows without a peer name (not owned): emptied before
	 * any entry can go (a new pass, expiry, flush), so never stale.
	 */
	GPtrArray *unnamed;
};

/*
 * Doomed keys are handed to flow_forget_fn this many at a time: one batch
 * deletion each, and no copy of a whole pass's keys (200,000 of them took
 * 11 MB at the peak of a pass).
 */
#define FORGET_CHUNK 4096

static void free_entry(gpointer p)
{
	struct flow_entry *e = p;

	g_free(e->peer_name);
	g_free(e);
}

struct flowtable *flowtable_new(const struct flowtable_timeouts *t, const struct flowtable_ops *ops)
{
	struct flowtable *ft = g_new0(struct flowtable, 1);

	ft->flows = g_hash_table_new_full(flow_key_hash, flow_key_equal, NULL, free_entry);
	ft->doomed = g_array_sized_new(FALSE, FALSE, sizeof(struct flow_key), FORGET_CHUNK);
	ft->unnamed = g_ptr_array_new();
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
	g_ptr_array_free(ft->unnamed, TRUE);
	g_free(ft);
}

void flowtable_set_timeouts(struct flowtable *ft, const struct flowtable_timeouts *t)
{
	ft->t = *t;
}

/* The latest thing that happened to a flow: a call, or a close that added to it. */
static uint64_t last_activity(const struct flow_totals *t)
{
	return t->last_ns > t->close_ns ? t->last_ns : t->close_ns;
}

/*
 * What is due for flow e at time now, and why: the one place that maps a
 * cause of expiry to its end reason, as softflowd's flow_update_expiry does.
 * (An eviction is noticed when a reading arrives instead: see renew.)
 */
static enum flow_end_reason flow_expiry(const struct flowtable *ft, const struct flow_entry *e,
					uint64_t now)
{
	switch (e->state) {
	case FLOW_EXITED:
	case FLOW_DOOMED:
		return FLOW_END_END;
	case FLOW_ENDED:
		/* at shutdown the calls in flight at the exit are all in */
		return ft->stopping ? FLOW_END_END : FLOW_END_NONE;
	case FLOW_LIVE:
		break;
	}
	if (ft->stopping)
		return FLOW_END_FORCED;
	if (now >= last_activity(&e->seen) && now - last_activity(&e->seen) >= ft->t.idle_ns)
		return FLOW_END_IDLE;
	if (now >= e->active_since_ns && now - e->active_since_ns >= ft->t.active_ns)
		return FLOW_END_ACTIVE;
	return FLOW_END_NONE;
}

/* Something of e is not reported yet: calls, or bytes and failures from closes. */
static bool unreported(const struct flow_entry *e)
{
	return e->seen.count > e->reported_count || e->seen.bytes > e->reported_bytes ||
	       e->seen.reverse_bytes > e->reported_reverse || e->seen.failed > e->reported_failed ||
	       flow_health_newer(&e->seen.health, &e->reported_health);
}

/* Report what e has not reported yet; nothing when there is nothing. */
static void report(struct flowtable *ft, struct flow_entry *e, enum flow_end_reason reason)
{
	struct flow_record rec = { 0 };

	if (!unreported(e))
		return;
	rec.key = e->key;
	rec.count = e->seen.count - e->reported_count;
	rec.bytes = e->seen.bytes - e->reported_bytes;
	rec.reverse_bytes = e->seen.reverse_bytes - e->reported_reverse;
	rec.failed = e->seen.failed - e->reported_failed;
	flow_health_delta(&rec.health, &e->seen.health, &e->reported_health);
	/* a record of closes only begins at the close */
	rec.first_ns = rec.count ? e->window_first_ns : e->seen.close_ns;
	rec.last_ns = e->seen.last_ns;
	rec.end_ns = last_activity(&e->seen);
	rec.flow_count = e->seen.count;
	rec.flow_first_ns = e->seen.first_ns;
	rec.cgroup_id = e->seen.cgroup_id;
	rec.uid = e->seen.uid;
	rec.netns = e->seen.netns;
	memcpy(rec.comm, e->seen.comm, sizeof(rec.comm));
	rec.reason = reason;
	rec.user = "";
	rec.container = "";
	rec.container_id = "";
	rec.exe = "";
	rec.cmdline = "";
	rec.parent = "";
	rec.thread = "";
	rec.peer_name = e->peer_name;
	/* left out before it is counted as reported: the accounting stays exact */
	if (ft->ops.wanted && !ft->ops.wanted(rec.cgroup_id, ft->ops.ctx)) {
		ft->stats.filtered += rec.count;
	} else {
		if (ft->ops.enrich)
			ft->ops.enrich(&rec, ft->ops.ctx);
		ft->ops.report(&rec, ft->ops.ctx);
		ft->stats.records++;
		ft->stats.calls += rec.count;
	}
	e->reported_count = e->seen.count;
	e->reported_bytes = e->seen.bytes;
	e->reported_reverse = e->seen.reverse_bytes;
	e->reported_failed = e->seen.failed;
	e->reported_health = e->seen.health;
	/*
	 * The next record starts after this one's last call; its own first call
	 * is not known (only totals are kept in the kernel), so the time of the
	 * last reported call stands for the start of the next window.
	 */
	e->window_first_ns = e->seen.last_ns;
}

/*
 * A kernel entry whose first call is not ours, or whose counters went back,
 * is a new one (ours was evicted). An entry made by a close has no call yet:
 * its first call may come later.
 */
static bool same_generation(const struct flow_entry *e, const struct flow_totals *t)
{
	return (t->first_ns == e->seen.first_ns || !e->seen.first_ns) &&
	       t->count >= e->seen.count && t->bytes >= e->seen.bytes &&
	       t->reverse_bytes >= e->seen.reverse_bytes && t->failed >= e->seen.failed &&
	       !flow_health_newer(&e->seen.health, &t->health);
}

static void start_generation(struct flow_entry *e, const struct flow_totals *t)
{
	uint64_t first = t->first_ns ? t->first_ns : t->close_ns;

	e->seen = *t;
	e->reported_count = 0;
	e->reported_bytes = 0;
	e->reported_reverse = 0;
	e->reported_failed = 0;
	memset(&e->reported_health, 0, sizeof(e->reported_health));
	e->window_first_ns = first;
	e->active_since_ns = first;
}

/* Every reading of a kernel entry goes here: the entries read tell the unread from the read. */
static void was_read(struct flowtable *ft, const struct flow_totals *t, bool first)
{
	if (first)
		ft->stats.entries++;
	if (ft->ops.read)
		ft->ops.read(t->uid, first, ft->ops.ctx);
}

/*
 * The kernel evicted e and a later call started it again: what the old
 * entry had when last read is all we will ever know of it.
 */
static void renew(struct flowtable *ft, struct flow_entry *e, const struct flow_totals *t)
{
	report(ft, e, FLOW_END_LACK);
	ft->stats.generations++;
	start_generation(e, t);
	was_read(ft, t, true);
}

void flowtable_begin_pass(struct flowtable *ft)
{
	ft->pass++;
	g_ptr_array_set_size(ft->unnamed, 0); /* asked again last pass, or nobody will */
}

void flowtable_update(struct flowtable *ft, const struct flow_key *key, const struct flow_totals *t)
{
	struct flow_entry *e = g_hash_table_lookup(ft->flows, key);

	if (!e) {
		e = g_new0(struct flow_entry, 1);
		e->key = *key;
		e->seen_pass = ft->pass;
		start_generation(e, t);
		if (ft->ops.name) {
			e->peer_name = g_strdup(ft->ops.name(key, t->netns, ft->ops.ctx));
			if (!e->peer_name)
				g_ptr_array_add(ft->unnamed, e);
		}
		g_hash_table_insert(ft->flows, &e->key, e);
		was_read(ft, t, true);
		return;
	}
	e->seen_pass = ft->pass;
	if (same_generation(e, t) || e->state == FLOW_ENDED || e->state == FLOW_DOOMED)
		was_read(ft, t, false); /* renew says it of a new entry */
	if (e->state == FLOW_ENDED || e->state == FLOW_DOOMED) {
		/* a pass after the exit: what came in flight is in, and nothing more */
		if (same_generation(e, t))
			e->seen = *t;
		e->state = FLOW_DOOMED;
		return;
	}
	if (!same_generation(e, t)) {
		renew(ft, e, t);
		return;
	}
	e->seen = *t;
}

void flowtable_name_new_flows(struct flowtable *ft)
{
	for (guint i = 0; i < ft->unnamed->len; i++) {
		struct flow_entry *e = g_ptr_array_index(ft->unnamed, i);

		e->peer_name = g_strdup(ft->ops.name(&e->key, e->seen.netns, ft->ops.ctx));
	}
	g_ptr_array_set_size(ft->unnamed, 0);
}

/* Take the final totals of e from the kernel, reporting them with reason. */
static void finish(struct flowtable *ft, struct flow_entry *e, enum flow_end_reason reason)
{
	struct flow_totals final;

	if (ft->ops.take && ft->ops.take(&e->key, &final, ft->ops.ctx)) {
		if (same_generation(e, &final))
			e->seen = final;
		else
			renew(ft, e, &final); /* evicted and started again since the last reading */
	}
	report(ft, e, reason);
}

static void forget_doomed(struct flowtable *ft)
{
	if (ft->doomed->len && ft->ops.forget)
		ft->ops.forget((const struct flow_key *)ft->doomed->data, ft->doomed->len,
			       ft->ops.ctx);
	g_array_set_size(ft->doomed, 0);
}

static bool ready(struct flowtable *ft, const struct flow_entry *e)
{
	return !ft->ops.ready || ft->ops.ready(e->seen.cgroup_id, e->seen.uid, ft->ops.ctx);
}

void flowtable_expire(struct flowtable *ft, uint64_t now_ns)
{
	unsigned int idle_left = ft->t.max_idle_per_pass ? ft->t.max_idle_per_pass : UINT_MAX;
	unsigned int end_left = ft->t.max_end_per_pass ? ft->t.max_end_per_pass : UINT_MAX;
	unsigned int forget_left = end_left;
	GHashTableIter it;
	struct flow_entry *e;

	g_ptr_array_set_size(ft->unnamed, 0); /* entries may go from here on */
	g_hash_table_iter_init(&it, ft->flows);
	/* ready() is asked only of a flow about to be reported: it is not free */
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e)) {
		enum flow_end_reason why;

		if (e->state == FLOW_ENDED && e->seen_pass != ft->pass) {
			/* gone from the kernel already (evicted): nothing can follow */
			g_hash_table_iter_remove(&it);
			continue;
		}
		why = flow_expiry(ft, e, now_ns);
		if (why == FLOW_END_END && e->state == FLOW_EXITED) {
			if (!end_left || !ready(ft, e))
				continue;
			end_left--;
			report(ft, e, why);
			e->state = FLOW_ENDED;
		} else if (why == FLOW_END_END) {
			/* doomed: the rest stay (read, unchanged) until a later pass */
			if (!forget_left)
				continue;
			forget_left--;
			report(ft, e, why);
			g_array_append_val(ft->doomed, e->key);
			g_hash_table_iter_remove(&it);
			if (ft->doomed->len == FORGET_CHUNK)
				forget_doomed(ft);
		} else if (why == FLOW_END_IDLE) {
			if (!idle_left || !ready(ft, e))
				continue;
			idle_left--;
			finish(ft, e, why);
			g_hash_table_iter_remove(&it);
		} else if (why == FLOW_END_ACTIVE && ready(ft, e)) {
			report(ft, e, why);
			e->active_since_ns = now_ns;
		}
	}
	forget_doomed(ft);
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

		if (e->state == FLOW_LIVE && g_hash_table_contains(procs, &p))
			e->state = FLOW_EXITED;
	}
}

void flowtable_flush(struct flowtable *ft)
{
	GHashTableIter it;
	struct flow_entry *e;

	ft->stopping = true;
	g_ptr_array_set_size(ft->unnamed, 0);
	g_hash_table_iter_init(&it, ft->flows);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e)) {
		report(ft, e, flow_expiry(ft, e, 0));
		g_hash_table_iter_remove(&it);
	}
	ft->stopping = false;
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
		fn(&e->key, &e->seen, e->seen.count - e->reported_count, ctx);
}
