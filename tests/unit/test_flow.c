// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: per-CPU merge, MTBS, key hashing and address text. */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "flow.h"

static struct flow_value slot(uint64_t count, uint64_t bytes, uint64_t first, uint64_t last,
			      uint32_t uid, const char *comm)
{
	struct flow_value v = { .count = count, .bytes = bytes, .first_ns = first, .last_ns = last,
				.uid = uid, .cgroup_id = 1000 + uid };

	strncpy(v.comm, comm, sizeof(v.comm) - 1);
	return v;
}

static void test_merge_percpu(void)
{
	struct flow_value cpus[4] = {
		slot(3, 30, 200, 900, 1, "old"),
		{ 0 }, /* a CPU that never saw the flow */
		slot(2, 20, 100, 1500, 2, "new"),
		slot(5, 0, 400, 1200, 3, "mid"),
	};
	struct flow_totals t;

	g_assert_true(flow_merge_percpu(cpus, sizeof(cpus[0]), 4, &t));
	g_assert_cmpuint(t.count, ==, 10);
	g_assert_cmpuint(t.bytes, ==, 50);
	g_assert_cmpuint(t.first_ns, ==, 100);
	g_assert_cmpuint(t.last_ns, ==, 1500);
	/* who: the maker of the flow's first call */
	g_assert_cmpstr(t.comm, ==, "new");
	g_assert_cmpuint(t.uid, ==, 2);
	g_assert_cmpuint(t.cgroup_id, ==, 1002);
}

/*
 * TCP health across CPUs: counts and sums add, min of the mins and max of
 * the maxes of the CPUs that measured (a CPU whose count is 0 has no min);
 * a slot holding only a close's RTT is a slot that saw the flow. A record's
 * delta takes counts and sums since the last report, min and max as they are.
 */
static void test_merge_health(void)
{
	struct flow_value cpus[3] = { slot(1, 0, 10, 10, 0, "a"), { 0 }, slot(1, 0, 20, 20, 0, "a") };
	struct flow_totals t;
	struct flow_health before, d;

	cpus[0].health = (struct tcp_health){ .hs_count = 2, .hs_sum_us = 300, .hs_min_us = 100,
					      .hs_max_us = 200, .failed_refused = 1 };
	cpus[0].retrans_segs = 3;
	/* RTT only, after the flow's calls were read: still merged */
	cpus[1].health = (struct tcp_health){ .rtt_count = 1, .rtt_sum_us = 70, .rtt_min_us = 70,
					      .rtt_max_us = 70 };
	cpus[2].health = (struct tcp_health){ .hs_count = 1, .hs_sum_us = 50, .hs_min_us = 50,
					      .hs_max_us = 50, .rtt_count = 2, .rtt_sum_us = 90,
					      .rtt_min_us = 40, .rtt_max_us = 50,
					      .failed_timeout = 2 };
	cpus[2].retrans_segs = 4;
	cpus[2].failed = 4;
	g_assert_true(flow_merge_percpu(cpus, sizeof(cpus[0]), 3, &t));
	g_assert_cmpuint(t.health.hs_count, ==, 3);
	g_assert_cmpuint(t.health.hs_sum_us, ==, 350);
	g_assert_cmpuint(t.health.hs_min_us, ==, 50);
	g_assert_cmpuint(t.health.hs_max_us, ==, 200);
	g_assert_cmpuint(t.health.rtt_count, ==, 3);
	g_assert_cmpuint(t.health.rtt_sum_us, ==, 160);
	g_assert_cmpuint(t.health.rtt_min_us, ==, 40);
	g_assert_cmpuint(t.health.rtt_max_us, ==, 70);
	g_assert_cmpuint(t.health.retrans_segs, ==, 7);
	g_assert_cmpuint(t.health.failed_refused, ==, 1);
	g_assert_cmpuint(t.health.failed_timeout, ==, 2);
	g_assert_cmpuint(flow_failed_other(t.failed, &t.health), ==, 1);

	before = t.health;
	g_assert_false(flow_health_newer(&t.health, &before));
	t.health.rtt_count++;
	t.health.rtt_sum_us += 10;
	t.health.rtt_min_us = 10;
	g_assert_true(flow_health_newer(&t.health, &before));
	flow_health_delta(&d, &t.health, &before);
	g_assert_cmpuint(d.rtt_count, ==, 1);
	g_assert_cmpuint(d.rtt_sum_us, ==, 10);
	g_assert_cmpuint(d.rtt_min_us, ==, 10);
	g_assert_cmpuint(d.rtt_max_us, ==, 70);
	g_assert_cmpuint(d.hs_count, ==, 0);
	g_assert_cmpuint(d.retrans_segs, ==, 0);
}

static void test_merge_stride_and_empty(void)
{
	/* the kernel rounds each CPU's value up to 8 bytes: honour the stride */
	char buf[3][(sizeof(struct flow_value) + 7) & ~7ul] = { { 0 } };
	struct flow_value v = slot(7, 1, 5, 6, 0, "x");
	struct flow_totals t;

	g_assert_false(flow_merge_percpu(buf, sizeof(buf[0]), 3, &t));
	memcpy(buf[2], &v, sizeof(v));
	g_assert_true(flow_merge_percpu(buf, sizeof(buf[0]), 3, &t));
	g_assert_cmpuint(t.count, ==, 7);
}

static void test_mtbs(void)
{
	g_assert_cmpfloat(flow_mtbs_s(1, 100, 100), <, 0);
	g_assert_cmpfloat(flow_mtbs_s(0, 0, 0), <, 0);
	/* (last - first) / (count - 1): 5 calls 1 s apart */
	g_assert_cmpfloat_with_epsilon(flow_mtbs_s(5, 1000000000ull, 5000000000ull), 1.0, 1e-12);
	g_assert_cmpfloat_with_epsilon(flow_mtbs_s(2, 0, 116000), 0.000116, 1e-12);
}

static void test_key_text_and_hash(void)
{
	struct flow_key a = { .ip_version = 4, .port = 443 }, b;
	char buf[64];

	inet_pton(AF_INET, "192.0.2.7", a.saddr);
	g_assert_cmpstr(flow_addr_str(&a, a.saddr, buf, sizeof(buf)), ==, "192.0.2.7");
	b = a;
	g_assert_true(flow_key_equal(&a, &b));
	g_assert_cmpuint(flow_key_hash(&a), ==, flow_key_hash(&b));
	b.port = 444;
	g_assert_false(flow_key_equal(&a, &b));

	a.ip_version = 6;
	inet_pton(AF_INET6, "2001:db8::1", a.daddr);
	g_assert_cmpstr(flow_addr_str(&a, a.daddr, buf, sizeof(buf)), ==, "2001:db8::1");
	g_assert_cmpstr(flow_proto_name(6), ==, "TCP");
	g_assert_cmpstr(flow_proto_name(17), ==, "UDP");
	g_assert_cmpstr(flow_end_reason_name(FLOW_END_IDLE), ==, "idle");
	g_assert_cmpstr(flow_end_reason_name(FLOW_END_ACTIVE), ==, "active");
	g_assert_cmpstr(flow_end_reason_name(FLOW_END_END), ==, "end");
	g_assert_cmpstr(flow_end_reason_name(FLOW_END_FORCED), ==, "forced");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/flow/merge_percpu", test_merge_percpu);
	g_test_add_func("/flow/merge_health", test_merge_health);
	g_test_add_func("/flow/merge_stride_and_empty", test_merge_stride_and_empty);
	g_test_add_func("/flow/mtbs", test_mtbs);
	g_test_add_func("/flow/key_text_and_hash", test_key_text_and_hash);
	return g_test_run();
}
