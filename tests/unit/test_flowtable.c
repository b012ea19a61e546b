// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of ageing with a fake clock and a fake kernel: idle, active
 * deltas, forced end, eviction; the records of a flow add up to its calls.
 */
#include <glib.h>
#include <string.h>

#include "flowtable.h"

#define S 1000000000ull

struct fake {
	GArray *records;          /* struct flow_record */
	GArray *forgotten;        /* struct flow_key */
	size_t forget_calls, forget_max; /* flow_forget_fn calls, most keys in one */
	struct flow_totals kernel; /* what the kernel holds for the one flow */
	bool kernel_has;
	int takes;
};

static void on_report(const struct flow_record *rec, void *ctx)
{
	g_array_append_val(((struct fake *)ctx)->records, *rec);
}

static void on_forget(const struct flow_key *keys, size_t n, void *ctx)
{
	struct fake *f = ctx;

	g_array_append_vals(f->forgotten, keys, n);
	f->forget_calls++;
	f->forget_max = MAX(f->forget_max, n);
}

static bool on_take(const struct flow_key *key, struct flow_totals *final, void *ctx)
{
	struct fake *f = ctx;

	f->takes++;
	if (!f->kernel_has)
		return false;
	*final = f->kernel;
	f->kernel_has = false;
	return true;
}

static struct flowtable *setup_ops(struct fake *f, uint64_t idle_s, uint64_t active_s,
				   flow_wanted_fn wanted, flow_name_fn name)
{
	struct flowtable_timeouts t = { .idle_ns = idle_s * S, .active_ns = active_s * S };
	struct flowtable_ops ops = { .report = on_report, .take = on_take, .forget = on_forget,
				     .wanted = wanted, .name = name, .ctx = f };

	memset(f, 0, sizeof(*f));
	f->records = g_array_new(FALSE, TRUE, sizeof(struct flow_record));
	f->forgotten = g_array_new(FALSE, TRUE, sizeof(struct flow_key));
	return flowtable_new(&t, &ops);
}

static struct flowtable *setup_wanted(struct fake *f, uint64_t idle_s, uint64_t active_s,
				      flow_wanted_fn wanted)
{
	return setup_ops(f, idle_s, active_s, wanted, NULL);
}

static struct flowtable *setup(struct fake *f, uint64_t idle_s, uint64_t active_s)
{
	return setup_wanted(f, idle_s, active_s, NULL);
}

static void teardown(struct fake *f, struct flowtable *ft)
{
	flowtable_free(ft);
	g_array_free(f->records, TRUE);
	g_array_free(f->forgotten, TRUE);
}

/* The kernel makes calls: its counters grow; the drain reads them. */
static void kernel_calls(struct fake *f, struct flowtable *ft, const struct flow_key *k,
			 uint64_t count, uint64_t first, uint64_t last)
{
	f->kernel.count = count;
	f->kernel.bytes = count * 10;
	f->kernel.first_ns = first;
	f->kernel.last_ns = last;
	f->kernel.uid = 1000;
	strcpy(f->kernel.comm, "curl");
	f->kernel_has = true;
	flowtable_update(ft, k, &f->kernel);
}

static struct flow_record *rec(struct fake *f, guint i)
{
	g_assert_cmpuint(i, <, f->records->len);
	return &g_array_index(f->records, struct flow_record, i);
}

static void test_active_then_idle_adds_up(void)
{
	struct flow_key k = { .pid = 42, .port = 53, .ip_version = 4, .proto = 17 };
	struct fake f;
	struct flowtable *ft = setup(&f, 5, 10);

	kernel_calls(&f, ft, &k, 3, 1 * S, 2 * S);
	flowtable_expire(ft, 2 * S);
	g_assert_cmpuint(f.records->len, ==, 0);

	/* 10 s after the first call: active timeout, report what is there */
	kernel_calls(&f, ft, &k, 7, 1 * S, 9 * S);
	flowtable_expire(ft, 11 * S);
	g_assert_cmpuint(f.records->len, ==, 1);
	g_assert_cmpint(rec(&f, 0)->reason, ==, FLOW_END_ACTIVE);
	g_assert_cmpuint(rec(&f, 0)->count, ==, 7);
	g_assert_cmpuint(rec(&f, 0)->bytes, ==, 70);
	g_assert_cmpuint(rec(&f, 0)->first_ns, ==, 1 * S);
	g_assert_cmpuint(rec(&f, 0)->last_ns, ==, 9 * S);
	g_assert_cmpuint(f.takes, ==, 0); /* a live flow stays in the kernel */

	kernel_calls(&f, ft, &k, 10, 1 * S, 12 * S);
	flowtable_expire(ft, 14 * S);
	g_assert_cmpuint(f.records->len, ==, 1);

	/* idle: one more call landed after the last reading; the take has it */
	f.kernel.count = 11;
	f.kernel.bytes = 110;
	flowtable_expire(ft, 18 * S);
	g_assert_cmpuint(f.records->len, ==, 2);
	g_assert_cmpint(rec(&f, 1)->reason, ==, FLOW_END_IDLE);
	g_assert_cmpuint(rec(&f, 1)->count, ==, 4);
	g_assert_cmpuint(rec(&f, 1)->bytes, ==, 40);
	g_assert_cmpuint(rec(&f, 1)->first_ns, ==, 9 * S); /* the window after the last report */
	g_assert_cmpuint(rec(&f, 1)->flow_count, ==, 11);
	g_assert_cmpuint(rec(&f, 1)->flow_first_ns, ==, 1 * S);
	g_assert_cmpuint(rec(&f, 0)->count + rec(&f, 1)->count, ==, 11);
	g_assert_cmpuint(f.takes, ==, 1);
	g_assert_cmpuint(flowtable_size(ft), ==, 0);
	g_assert_cmpuint(flowtable_stats(ft)->calls, ==, 11);
	g_assert_cmpuint(flowtable_stats(ft)->records, ==, 2);
	teardown(&f, ft);
}

static void test_forced_reports_only_the_rest(void)
{
	struct flow_key k = { .pid = 7, .port = 80, .ip_version = 4, .proto = 6 };
	struct fake f;
	struct flowtable *ft = setup(&f, 60, 10);

	kernel_calls(&f, ft, &k, 4, 0, 1 * S);
	flowtable_expire(ft, 10 * S);
	g_assert_cmpuint(f.records->len, ==, 1);
	/* nothing new: a forced end has nothing to add */
	flowtable_flush(ft);
	g_assert_cmpuint(f.records->len, ==, 1);

	kernel_calls(&f, ft, &k, 1, 20 * S, 20 * S);
	kernel_calls(&f, ft, &k, 3, 20 * S, 22 * S);
	flowtable_flush(ft);
	g_assert_cmpuint(f.records->len, ==, 2);
	g_assert_cmpint(rec(&f, 1)->reason, ==, FLOW_END_FORCED);
	g_assert_cmpuint(rec(&f, 1)->count, ==, 3);
	g_assert_cmpuint(rec(&f, 1)->first_ns, ==, 20 * S);
	g_assert_cmpuint(flowtable_size(ft), ==, 0);
	teardown(&f, ft);
}

static void test_eviction_starts_a_new_generation(void)
{
	struct flow_key k = { .pid = 9, .port = 443, .ip_version = 6, .proto = 6 };
	struct fake f;
	struct flowtable *ft = setup(&f, 60, 600);

	kernel_calls(&f, ft, &k, 5, 1 * S, 2 * S);
	/* the LRU map dropped the entry; a later call made a new one */
	kernel_calls(&f, ft, &k, 2, 4 * S, 5 * S);
	g_assert_cmpuint(f.records->len, ==, 1);
	g_assert_cmpint(rec(&f, 0)->reason, ==, FLOW_END_LACK);
	g_assert_cmpuint(rec(&f, 0)->count, ==, 5);
	g_assert_cmpuint(flowtable_stats(ft)->generations, ==, 1);
	flowtable_flush(ft);
	g_assert_cmpuint(rec(&f, 1)->count, ==, 2);
	g_assert_cmpuint(rec(&f, 1)->first_ns, ==, 4 * S);
	teardown(&f, ft);
}

static void test_idle_flow_gone_from_kernel(void)
{
	struct flow_key k = { .pid = 1, .port = 22, .ip_version = 4, .proto = 6 };
	struct fake f;
	struct flowtable *ft = setup(&f, 5, 600);

	kernel_calls(&f, ft, &k, 2, 1 * S, 2 * S);
	f.kernel_has = false; /* evicted: the last reading is all there is */
	flowtable_expire(ft, 8 * S);
	g_assert_cmpuint(f.records->len, ==, 1);
	g_assert_cmpint(rec(&f, 0)->reason, ==, FLOW_END_IDLE);
	g_assert_cmpuint(rec(&f, 0)->count, ==, 2);
	teardown(&f, ft);
}

static void count_visit(const struct flow_key *k, const struct flow_totals *t, uint64_t unreported,
			void *ctx)
{
	g_assert_cmpuint(unreported, ==, t->count); /* nothing reported yet */
	*(uint64_t *)ctx += t->count;
}

static void test_many_flows_and_foreach(void)
{
	struct fake f;
	struct flowtable *ft = setup(&f, 5, 600);
	uint64_t live = 0;

	for (uint32_t pid = 1; pid <= 100; pid++) {
		struct flow_key k = { .pid = pid, .port = 80, .ip_version = 4, .proto = 6 };

		kernel_calls(&f, ft, &k, pid, 1 * S, (pid % 2 ? 1 : 9) * S);
	}
	flowtable_foreach(ft, count_visit, &live);
	g_assert_cmpuint(live, ==, 5050);
	/* at 10 s the odd pids (last call at 1 s) are idle, the even ones not */
	f.kernel_has = false;
	flowtable_expire(ft, 10 * S);
	g_assert_cmpuint(f.records->len, ==, 50);
	g_assert_cmpuint(flowtable_size(ft), ==, 50);
	teardown(&f, ft);
}

/* A process exits: its flows are reported at once, removed a pass later. */
static void test_process_end_reports_then_forgets(void)
{
	struct flow_key k = { .pid = 77, .start_ns = 5, .port = 80, .ip_version = 4, .proto = 6 };
	struct flow_key other = k;
	GHashTable *exited = g_hash_table_new_full(proc_key_hash, proc_key_equal, g_free, NULL);
	struct proc_key p = { .start_ns = 5, .pid = 77 };
	struct fake f;
	struct flowtable *ft = setup(&f, 60, 600);

	other.pid = 78;
	flowtable_begin_pass(ft);
	kernel_calls(&f, ft, &k, 4, 1 * S, 2 * S);
	kernel_calls(&f, ft, &other, 2, 1 * S, 2 * S);
	g_hash_table_add(exited, g_memdup2(&p, sizeof(p)));
	flowtable_end_processes(ft, exited);
	flowtable_expire(ft, 3 * S);
	g_assert_cmpuint(f.records->len, ==, 1);
	g_assert_cmpint(rec(&f, 0)->reason, ==, FLOW_END_END);
	g_assert_cmpuint(rec(&f, 0)->key.pid, ==, 77);
	g_assert_cmpuint(rec(&f, 0)->count, ==, 4);
	g_assert_cmpuint(f.takes, ==, 0);        /* no read-and-delete per flow */
	g_assert_cmpuint(f.forgotten->len, ==, 0); /* not yet: calls may be in flight */

	/* next pass: one call landed after the exit notice (a socket closed late) */
	flowtable_begin_pass(ft);
	kernel_calls(&f, ft, &k, 5, 1 * S, 4 * S);
	kernel_calls(&f, ft, &other, 2, 1 * S, 2 * S);
	flowtable_expire(ft, 5 * S);
	g_assert_cmpuint(f.records->len, ==, 2);
	g_assert_cmpint(rec(&f, 1)->reason, ==, FLOW_END_END);
	g_assert_cmpuint(rec(&f, 1)->count, ==, 1);
	g_assert_cmpuint(f.forgotten->len, ==, 1);
	g_assert_cmpuint(g_array_index(f.forgotten, struct flow_key, 0).pid, ==, 77);
	g_assert_cmpuint(flowtable_size(ft), ==, 1);
	g_assert_cmpuint(flowtable_stats(ft)->calls, ==, 5);
	g_hash_table_destroy(exited);
	teardown(&f, ft);
}

/* At most max_idle_per_pass idle flows go per pass; the rest the next. */
static void test_idle_budget_per_pass(void)
{
	struct flowtable_timeouts t = { .idle_ns = 5 * S, .active_ns = 600 * S,
					.max_idle_per_pass = 30 };
	struct fake f;
	struct flowtable *ft = setup(&f, 5, 600);

	flowtable_set_timeouts(ft, &t);
	for (uint32_t pid = 1; pid <= 100; pid++) {
		struct flow_key k = { .pid = pid, .port = 80, .ip_version = 4, .proto = 6 };

		kernel_calls(&f, ft, &k, 1, 1 * S, 1 * S);
	}
	f.kernel_has = false;
	flowtable_expire(ft, 10 * S);
	g_assert_cmpuint(f.records->len, ==, 30);
	flowtable_expire(ft, 11 * S);
	flowtable_expire(ft, 12 * S);
	flowtable_expire(ft, 13 * S);
	g_assert_cmpuint(f.records->len, ==, 100);
	g_assert_cmpuint(flowtable_size(ft), ==, 0);
	teardown(&f, ft);
}

/* Many ended flows leave the kernel at most max_forget_per_pass at a time. */
static void test_forget_budget_per_pass(void)
{
	struct flowtable_timeouts t = { .idle_ns = 600 * S, .active_ns = 600 * S,
					.max_end_per_pass = 40 };
	GHashTable *exited = g_hash_table_new_full(proc_key_hash, proc_key_equal, g_free, NULL);
	struct fake f;
	struct flowtable *ft = setup(&f, 600, 600);

	flowtable_set_timeouts(ft, &t);
	for (int pass = 0; pass < 5; pass++) {
		flowtable_begin_pass(ft);
		/* the kernel still holds what was not forgotten yet */
		for (uint32_t port = 1; port <= 100; port++) {
			struct flow_key k = { .pid = 9, .start_ns = 1, .port = port, .ip_version = 4 };
			gboolean gone = FALSE;

			for (guint i = 0; i < f.forgotten->len; i++)
				gone |= g_array_index(f.forgotten, struct flow_key, i).port == port;
			if (!gone)
				kernel_calls(&f, ft, &k, 2, 1 * S, 2 * S);
		}
		if (pass == 0) {
			struct proc_key p = { .start_ns = 1, .pid = 9 };

			g_hash_table_add(exited, g_memdup2(&p, sizeof(p)));
			flowtable_end_processes(ft, exited);
		}
		flowtable_expire(ft, 3 * S);
	}
	/* reported 40, 40, 20 in passes 0-2, forgotten a pass later; once each, 2 calls each */
	g_assert_cmpuint(f.forgotten->len, ==, 100);
	g_assert_cmpuint(f.records->len, ==, 100);
	g_assert_cmpuint(flowtable_stats(ft)->calls, ==, 200);
	g_assert_cmpuint(flowtable_size(ft), ==, 0);
	g_hash_table_destroy(exited);
	teardown(&f, ft);
}

/*
 * Ten thousand flows of one exited process, all removed in one pass: they
 * reach the kernel in bounded batches (no copy of the pass's keys), each
 * key once.
 */
static void test_forget_in_bounded_batches(void)
{
	GHashTable *exited = g_hash_table_new_full(proc_key_hash, proc_key_equal, g_free, NULL);
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	struct proc_key p = { .start_ns = 1, .pid = 9 };
	struct fake f;
	struct flowtable *ft = setup(&f, 600, 600);

	for (int pass = 0; pass < 2; pass++) {
		flowtable_begin_pass(ft);
		for (uint32_t i = 0; i < 10000; i++) {
			struct flow_key k = { .pid = 9, .start_ns = 1, .port = i % 65536,
					      .ip_version = 4 };

			memcpy(k.daddr, &i, sizeof(i));
			kernel_calls(&f, ft, &k, 1, 1 * S, 1 * S);
		}
		if (pass == 0) {
			g_hash_table_add(exited, g_memdup2(&p, sizeof(p)));
			flowtable_end_processes(ft, exited);
		}
		flowtable_expire(ft, 2 * S);
	}
	g_assert_cmpuint(f.records->len, ==, 10000);
	g_assert_cmpuint(f.forgotten->len, ==, 10000);
	g_assert_cmpuint(f.forget_calls, >=, 3);
	g_assert_cmpuint(f.forget_max, <=, 4096);
	for (guint i = 0; i < f.forgotten->len; i++) {
		uint32_t a;

		memcpy(&a, g_array_index(f.forgotten, struct flow_key, i).daddr, sizeof(a));
		g_hash_table_add(seen, GUINT_TO_POINTER(a + 1));
	}
	g_assert_cmpuint(g_hash_table_size(seen), ==, 10000);
	g_assert_cmpuint(flowtable_size(ft), ==, 0);
	g_hash_table_destroy(seen);
	g_hash_table_destroy(exited);
	teardown(&f, ft);
}

/* At shutdown a flow whose process exited is still an end, the others forced. */
static void test_shutdown_reasons(void)
{
	struct flow_key k = { .pid = 5, .start_ns = 2, .port = 80, .ip_version = 4, .proto = 6 };
	struct flow_key other = k;
	GHashTable *exited = g_hash_table_new_full(proc_key_hash, proc_key_equal, g_free, NULL);
	struct proc_key p = { .start_ns = 2, .pid = 5 };
	struct fake f;
	struct flowtable *ft = setup(&f, 60, 600);

	other.pid = 6;
	flowtable_begin_pass(ft);
	kernel_calls(&f, ft, &k, 3, 1 * S, 2 * S);
	kernel_calls(&f, ft, &other, 4, 1 * S, 2 * S);
	g_hash_table_add(exited, g_memdup2(&p, sizeof(p)));
	flowtable_end_processes(ft, exited);
	flowtable_flush(ft);
	g_assert_cmpuint(f.records->len, ==, 2);
	for (guint i = 0; i < 2; i++)
		g_assert_cmpint(rec(&f, i)->reason, ==,
				rec(&f, i)->key.pid == 5 ? FLOW_END_END : FLOW_END_FORCED);
	g_assert_cmpuint(flowtable_size(ft), ==, 0);
	g_hash_table_destroy(exited);
	teardown(&f, ft);
}

/* [filter] containers: a flow left out is never reported, and its calls are counted as filtered. */
static bool only_cgroup_7(uint64_t cgroup_id, void *ctx)
{
	return cgroup_id == 7;
}

static void test_wanted_filter_counts_as_filtered(void)
{
	struct flow_key k = { .pid = 5, .port = 80, .ip_version = 4, .proto = 6 };
	struct flow_key other = k;
	struct fake f;
	struct flowtable *ft = setup_wanted(&f, 5, 600, only_cgroup_7);

	other.pid = 6;
	f.kernel.cgroup_id = 7;
	kernel_calls(&f, ft, &k, 3, 1 * S, 2 * S);
	f.kernel.cgroup_id = 8;
	kernel_calls(&f, ft, &other, 4, 1 * S, 2 * S);
	f.kernel_has = false;
	g_assert_cmpuint(flowtable_unreported_calls(ft), ==, 7); /* live until reported */
	flowtable_expire(ft, 10 * S);
	g_assert_cmpuint(f.records->len, ==, 1);
	g_assert_cmpuint(rec(&f, 0)->key.pid, ==, 5);
	g_assert_cmpuint(flowtable_stats(ft)->calls, ==, 3);
	g_assert_cmpuint(flowtable_stats(ft)->records, ==, 1);
	g_assert_cmpuint(flowtable_stats(ft)->filtered, ==, 4);
	g_assert_cmpuint(flowtable_unreported_calls(ft), ==, 0);
	teardown(&f, ft);
}

/* The peer's name (issue 22): asked once, of the flow's netns, when the flow is first read. */
static int names_asked;
static uint32_t names_netns;

static const char *name_once(const struct flow_key *key, uint32_t netns, void *ctx)
{
	names_netns = netns;
	return names_asked++ ? NULL : "api.example";
}

static void test_peer_name_kept_from_first_reading(void)
{
	struct flow_key k = { .pid = 9, .port = 443, .ip_version = 4, .proto = 6 };
	struct fake f;
	struct flowtable *ft = setup_ops(&f, 60, 10, NULL, name_once);

	f.kernel.netns = 4026531840u;
	kernel_calls(&f, ft, &k, 1, 1 * S, 1 * S);
	flowtable_expire(ft, 11 * S);
	/* the answer's TTL ran out: later readings and records keep the name */
	kernel_calls(&f, ft, &k, 2, 1 * S, 12 * S);
	flowtable_expire(ft, 22 * S);
	g_assert_cmpint(names_asked, ==, 1);
	g_assert_cmpuint(names_netns, ==, 4026531840u);
	g_assert_cmpuint(f.records->len, ==, 2);
	g_assert_cmpstr(rec(&f, 0)->peer_name, ==, "api.example");
	g_assert_cmpstr(rec(&f, 1)->peer_name, ==, "api.example");
	g_assert_cmpuint(rec(&f, 1)->netns, ==, 4026531840u);
	teardown(&f, ft);
}

/*
 * An answer that reached the ring after it was read, and a call on its
 * address after that, before the flow map was read (issue 22's race): the
 * new flow's name is asked again once the ring is read after the flows, and
 * never again after that pass (the answer, if any, was in by then).
 */
static const char *name_second(const struct flow_key *key, uint32_t netns, void *ctx)
{
	names_netns = netns;
	return names_asked++ == 1 ? "late.example" : NULL;
}

static const char *name_never(const struct flow_key *key, uint32_t netns, void *ctx)
{
	names_asked++;
	return NULL;
}

static void test_peer_name_asked_again_after_the_flows(void)
{
	struct flow_key named = { .pid = 9, .port = 443, .ip_version = 4, .proto = 6 };
	struct flow_key unnamed = { .pid = 9, .port = 80, .ip_version = 4, .proto = 6 };
	struct fake f;
	struct flowtable *ft = setup_ops(&f, 60, 10, NULL, name_second);

	names_asked = 0;
	f.kernel.netns = 4026532000u;
	flowtable_begin_pass(ft);
	kernel_calls(&f, ft, &named, 1, 1 * S, 1 * S);
	g_assert_cmpint(names_asked, ==, 1);
	flowtable_name_new_flows(ft);
	g_assert_cmpint(names_asked, ==, 2);
	g_assert_cmpuint(names_netns, ==, 4026532000u);
	flowtable_expire(ft, 11 * S);
	g_assert_cmpuint(f.records->len, ==, 1);
	g_assert_cmpstr(rec(&f, 0)->peer_name, ==, "late.example");
	teardown(&f, ft);

	/* a flow without a name costs two lookups, whatever its readings */
	ft = setup_ops(&f, 60, 10, NULL, name_never);
	names_asked = 0;
	for (int i = 0; i < 3; i++) {
		flowtable_begin_pass(ft);
		kernel_calls(&f, ft, &unnamed, 1, 1 * S, (1 + i) * S);
		flowtable_name_new_flows(ft);
	}
	g_assert_cmpint(names_asked, ==, 2);
	flowtable_expire(ft, 11 * S);
	g_assert_cmpuint(f.records->len, ==, 1);
	g_assert_null(rec(&f, 0)->peer_name);
	teardown(&f, ft);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/flowtable/active_then_idle_adds_up", test_active_then_idle_adds_up);
	g_test_add_func("/flowtable/forced_reports_only_the_rest", test_forced_reports_only_the_rest);
	g_test_add_func("/flowtable/eviction_new_generation", test_eviction_starts_a_new_generation);
	g_test_add_func("/flowtable/idle_flow_gone_from_kernel", test_idle_flow_gone_from_kernel);
	g_test_add_func("/flowtable/many_flows_and_foreach", test_many_flows_and_foreach);
	g_test_add_func("/flowtable/process_end_reports_then_forgets",
			test_process_end_reports_then_forgets);
	g_test_add_func("/flowtable/idle_budget_per_pass", test_idle_budget_per_pass);
	g_test_add_func("/flowtable/forget_budget_per_pass", test_forget_budget_per_pass);
	g_test_add_func("/flowtable/forget_in_bounded_batches", test_forget_in_bounded_batches);
	g_test_add_func("/flowtable/shutdown_reasons", test_shutdown_reasons);
	g_test_add_func("/flowtable/peer_name_kept_from_first_reading",
			test_peer_name_kept_from_first_reading);
	g_test_add_func("/flowtable/peer_name_asked_again_after_the_flows",
			test_peer_name_asked_again_after_the_flows);
	g_test_add_func("/flowtable/wanted_filter_counts_as_filtered",
			test_wanted_filter_counts_as_filtered);
	return g_test_run();
}
