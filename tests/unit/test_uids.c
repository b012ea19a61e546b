// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the per-uid ledger (what each uid's budget releases, whose
 * losses come first) and the accounting's flows evicted unread.
 */
#include <glib.h>
#include <string.h>

#include "stats.h"
#include "uids.h"

struct released {
	uint32_t uid[4];
	uint64_t n[4];
	int calls;
};

static void note(uint32_t uid, uint64_t released, void *ctx)
{
	struct released *r = ctx;

	g_assert_cmpint(r->calls, <, 4);
	r->uid[r->calls] = uid;
	r->n[r->calls] = released;
	r->calls++;
}

/* Released = made minus read in this pass; said only when it changes. */
static void test_release(void)
{
	struct uids *u = uids_new();
	struct released r = { 0 };

	uids_set_kernel(u, 1000, &(struct uid_usage){ .created = 10 });
	uids_begin_pass(u);
	for (int i = 0; i < 4; i++)
		uids_read(u, 1000, true);
	uids_release(u, note, &r);
	g_assert_cmpint(r.calls, ==, 1);
	g_assert_cmpuint(r.uid[0], ==, 1000);
	g_assert_cmpuint(r.n[0], ==, 6);

	/* the same again: nothing to tell the kernel */
	uids_begin_pass(u);
	for (int i = 0; i < 4; i++)
		uids_read(u, 1000, false);
	uids_release(u, note, &r);
	g_assert_cmpint(r.calls, ==, 1);

	/* read more than the counters said (made since): never below zero */
	uids_begin_pass(u);
	for (int i = 0; i < 12; i++)
		uids_read(u, 1000, i >= 4);
	uids_release(u, note, &r);
	g_assert_cmpint(r.calls, ==, 2);
	g_assert_cmpuint(r.n[1], ==, 0);
	uids_free(u);
}

/* The costliest first: calls folded or refused, then flows never read. */
static void test_top(void)
{
	struct uids *u = uids_new();
	struct uid_loss top[3];

	uids_set_kernel(u, 1, &(struct uid_usage){ .created = 5 });
	uids_set_kernel(u, 2, &(struct uid_usage){ .created = 3, .folded = 7 });
	uids_set_kernel(u, 3, &(struct uid_usage){ .created = 9, .refused = 2, .folded = 6 });
	uids_set_kernel(u, 4, &(struct uid_usage){ .created = 4 });
	for (int i = 0; i < 4; i++)
		uids_read(u, 4, true); /* all read: nothing to say of uid 4 */
	uids_read(u, 1, true);     /* 4 of 5 never read */
	uids_read(u, 3, true);
	g_assert_cmpuint(uids_top(u, top, 3), ==, 3);
	g_assert_cmpuint(top[0].uid, ==, 3);
	g_assert_cmpuint(top[0].calls_folded, ==, 6);
	g_assert_cmpuint(top[0].calls_refused, ==, 2);
	g_assert_cmpuint(top[0].flows_unread, ==, 8);
	g_assert_cmpuint(top[1].uid, ==, 2);
	g_assert_cmpuint(top[1].flows_unread, ==, 3);
	g_assert_cmpuint(top[2].uid, ==, 1);
	g_assert_cmpuint(top[2].flows_unread, ==, 4);
	g_assert_cmpuint(uids_top(u, top, 1), ==, 1);
	uids_free(u);
}

/* Flows evicted: made again after a reading, plus made and never read. */
static void test_stats_unread(void)
{
	uint64_t k[EBPFLOW_STAT__MAX] = { 0 };
	struct ebpflow_stats s = { 0 };
	GString *j = g_string_new(NULL);

	k[EBPFLOW_STAT_UDP_SEND] = 100;
	k[EBPFLOW_STAT_FLOW_CREATED] = 60;
	k[EBPFLOW_STAT_FOLDED] = 30;
	k[EBPFLOW_STAT_DNS_ANSWERS] = 7;
	k[EBPFLOW_STAT_DNS_DROPPED] = 2;
	k[EBPFLOW_STAT_DNS_LONG] = 1;
	k[EBPFLOW_STAT_CONN_FULL] = 3;
	k[EBPFLOW_STAT_CLOSE_LOST] = 4;
	stats_account(&s, k, 50, 0, 10, 20, 2, 48);
	g_assert_cmpuint(s.flows_unread, ==, 12);
	g_assert_cmpuint(s.flows_evicted, ==, 14);
	g_assert_cmpuint(s.calls_folded, ==, 30);
	g_assert_cmpuint(s.calls_lost, ==, 40);
	s.top[0] = (struct uid_loss){ .uid = 7, .calls_folded = 30, .flows_unread = 12 };
	s.ntop = 1;
	stats_json(j, &s);
	g_assert_nonnull(strstr(j->str, ",\"calls_folded\":30,\"flows_unread\":12,\"uids\":[{\"uid\":7,"
					"\"calls_folded\":30,\"calls_refused\":0,\"flows_unread\":12}],"));
	/* the DNS answers the kernel handed over, and lost to a full ring (issue 22) */
	g_assert_nonnull(strstr(j->str, "\"dns_answers\":7,\"dns_dropped\":2,"));
	/* ... and those longer than the capture: cut, apart from the malformed */
	g_assert_nonnull(strstr(j->str, "\"dns_bad\":0,\"dns_long\":1,"));
	/* TCP connections never followed to their close, and closes the full map
	 * refused: their bytes and health are missing (counted, never silent) */
	g_assert_nonnull(strstr(j->str, ",\"connections_unfollowed\":3,\"closes_refused\":4,"));
	/* entries read that were made after the counters: no negative count */
	stats_account(&s, k, 50, 0, 10, 20, 0, 61);
	g_assert_cmpuint(s.flows_unread, ==, 0);
	g_string_free(j, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/uids/release", test_release);
	g_test_add_func("/uids/top", test_top);
	g_test_add_func("/uids/stats_unread", test_stats_unread);
	return g_test_run();
}
