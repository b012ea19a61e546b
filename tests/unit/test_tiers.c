// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: the tier chosen from made-up kernels, auto and forced. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "tiers.h"

/* Debian 12's 6.1, as seen in its guest: fentry and kprobes, no send/recv tracepoints. */
static struct kernel_features debian12(void)
{
	struct kernel_features f = {
		.btf = true, .fentry = true, .kprobe = true, .sk_storage_tracing = true,
		.tp_state = true, .tp_io = false, .tp_exit = true, .cgroup2 = true,
		.accept_args = 4,
	};

	strcpy(f.release, "6.1.0-50-amd64");
	return f;
}

/* This machine's 6.18: tracepoints only. */
static struct kernel_features tracepoints_only(void)
{
	struct kernel_features f = debian12();

	f.fentry = f.kprobe = false;
	f.tp_io = true;
	f.accept_args = 2;
	strcpy(f.fentry_why, "a test program does not load: Operation not permitted");
	strcpy(f.kprobe_why, "a test program loads but does not attach: No such file or directory");
	strcpy(f.release, "6.18.44");
	return f;
}

static void test_auto_order(void)
{
	struct kernel_features f = debian12();
	struct tier_plan p;

	g_assert_true(tier_choose(&f, HOOKS_AUTO, &p, NULL));
	g_assert_cmpint(p.tier, ==, EBPFLOW_TIER_FENTRY);
	g_assert_true(p.udp && !p.accept_first_use && p.recv_peer_always && p.conn_sk_storage);
	g_assert_cmpint(p.accept_args, ==, 4);

	f.fentry = false;
	g_assert_true(tier_choose(&f, HOOKS_AUTO, &p, NULL));
	g_assert_cmpint(p.tier, ==, EBPFLOW_TIER_KPROBE);
	/* kprobes may not use socket storage: connections go to the hash */
	g_assert_false(p.conn_sk_storage);

	f = tracepoints_only();
	g_assert_true(tier_choose(&f, HOOKS_AUTO, &p, NULL));
	g_assert_cmpint(p.tier, ==, EBPFLOW_TIER_TRACEPOINT);
	g_assert_true(p.udp && p.accept_first_use && !p.recv_peer_always && p.conn_sk_storage);
}

static void test_forced_tier_missing_is_a_usage_error(void)
{
	struct kernel_features f = tracepoints_only();
	struct tier_plan p;
	GError *err = NULL;

	g_assert_false(tier_choose(&f, HOOKS_FENTRY, &p, &err));
	g_assert_cmpint(err->code, ==, EOPNOTSUPP);
	g_assert_cmpstr(err->message, ==,
			"--hooks fentry: this kernel (6.18.44) cannot run that tier: fentry: a test "
			"program does not load: Operation not permitted");
	g_clear_error(&err);

	f = debian12();
	g_assert_false(tier_choose(&f, HOOKS_TRACEPOINT, &p, &err));
	g_assert_nonnull(strstr(err->message, "sock_send_length"));
	g_clear_error(&err);

	/* a kernel whose inet_csk_accept eBPFlow does not know */
	f.accept_args = 3;
	g_assert_false(tier_choose(&f, HOOKS_FENTRY, &p, &err));
	g_assert_nonnull(strstr(err->message, "inet_csk_accept has 3 arguments"));
	g_clear_error(&err);

	f = debian12();
	f.missing_fn = "skb_consume_udp";
	g_assert_false(tier_choose(&f, HOOKS_KPROBE, &p, &err));
	g_assert_nonnull(strstr(err->message, "no function skb_consume_udp"));
	g_clear_error(&err);
}

static void test_what_is_left_on_an_old_kernel(void)
{
	struct kernel_features f = debian12();
	struct tier_plan p;
	GError *err = NULL;

	/* no fentry, no kprobes, no send/recv tracepoints: TCP only, accepts at close */
	f.fentry = f.kprobe = false;
	g_assert_true(tier_choose(&f, HOOKS_AUTO, &p, NULL));
	g_assert_cmpint(p.tier, ==, EBPFLOW_TIER_TRACEPOINT);
	g_assert_false(p.udp);
	g_assert_true(p.accept_close_only);

	f.btf = false;
	g_assert_false(tier_choose(&f, HOOKS_AUTO, &p, &err));
	g_assert_nonnull(strstr(err->message, "no BTF"));
	g_clear_error(&err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tiers/auto_order", test_auto_order);
	g_test_add_func("/tiers/forced_missing", test_forced_tier_missing_is_a_usage_error);
	g_test_add_func("/tiers/old_kernel", test_what_is_left_on_an_old_kernel);
	return g_test_run();
}
