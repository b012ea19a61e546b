// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the user names: a directory service that takes a second per
 * look-up does not hold the drain loop (a pass waits ENRICH_USER_BUDGET_MS
 * at most); the names come in a later pass; a record waits for its name a
 * bounded time; names nothing uses are forgotten. No thread before
 * enrich_start (the privilege drop comes between the two).
 */
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "containers.h"
#include "enrich.h"

static gint asked;

/* A directory that answers after a second: uid 1000 is alice, others are unknown. */
static char *slow_lookup(uint32_t uid)
{
	g_atomic_int_inc(&asked);
	g_usleep(1000 * 1000);
	return uid == 1000 ? g_strdup("alice") : NULL;
}

/* A directory that hangs (longer than a record waits). */
static char *hanging_lookup(uint32_t uid)
{
	g_usleep(2 * ENRICH_USER_MAX_WAIT_MS * 1000);
	return NULL;
}

static char *fast_lookup(uint32_t uid)
{
	g_atomic_int_inc(&asked);
	return g_strdup_printf("user%u", uid);
}

/* Started, as runtime.c does once privileges are dropped. */
static struct enrich *started(enrich_user_fn lookup)
{
	struct enrich *e = enrich_new_with(NULL, lookup);

	enrich_start(e);
	return e;
}

static unsigned int threads(void)
{
	GDir *d = g_dir_open("/proc/self/task", 0, NULL);
	unsigned int n = 0;

	g_assert_nonnull(d);
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	return n;
}

/*
 * Made before the privilege drop, the parts make no thread: one made then
 * would keep root's capabilities (GLib 2.76 and later start a pool-spawner
 * thread with the first shared pool). Run first: later tests make pools.
 */
static void test_no_thread_before_start(void)
{
	unsigned int before = threads();
	struct containers *c = containers_new(&(struct containers_config){ .resolve_names = true });
	struct enrich *e = enrich_new(c);

	g_assert_cmpuint(threads(), ==, before);
	enrich_start(e);
	g_assert_cmpstr(enrich_user(e, 0), ==, "root");
	enrich_free(e);
	containers_free(c);
}

static double ms_since(uint64_t t0)
{
	return (clock_mono_ns() - t0) / 1e6;
}

static void test_slow_directory_does_not_stall(void)
{
	struct enrich *e = started(slow_lookup);
	uint64_t t0 = clock_mono_ns();

	g_atomic_int_set(&asked, 0);
	/* a pass meets two new users: it waits its budget once, then not at all */
	g_assert_cmpstr(enrich_user(e, 1000), ==, "1000");
	g_assert_cmpstr(enrich_user(e, 1001), ==, "1001");
	g_assert_false(enrich_user_ready(e, 1000));
	g_assert_cmpfloat(ms_since(t0), <, ENRICH_USER_BUDGET_MS + 40);
	/* the next pass, the next budget: the answers are not in yet */
	enrich_collect(e);
	t0 = clock_mono_ns();
	g_assert_cmpstr(enrich_user(e, 1000), ==, "1000");
	g_assert_cmpfloat(ms_since(t0), <, 10); /* asked already: no wait */
	/* a second later the names are taken at a pass */
	g_usleep(1200 * 1000);
	enrich_collect(e);
	g_assert_cmpstr(enrich_user(e, 1000), ==, "alice");
	g_assert_true(enrich_user_ready(e, 1000));
	g_assert_cmpstr(enrich_user(e, 1001), ==, "1001"); /* no such user: its uid */
	g_assert_true(enrich_user_ready(e, 1001));
	g_assert_cmpint(g_atomic_int_get(&asked), ==, 2); /* each asked once */
	enrich_free(e);
}

static void test_record_waits_a_bounded_time(void)
{
	struct enrich *e = started(hanging_lookup);
	uint64_t t0 = clock_mono_ns();

	g_assert_false(enrich_user_ready(e, 2000));
	while (!enrich_user_ready(e, 2000)) {
		enrich_collect(e);
		g_usleep(100 * 1000);
		g_assert_cmpfloat(ms_since(t0), <, ENRICH_USER_MAX_WAIT_MS + 500);
	}
	g_assert_cmpfloat(ms_since(t0), >=, ENRICH_USER_MAX_WAIT_MS - 50);
	g_assert_cmpstr(enrich_user(e, 2000), ==, "2000"); /* the record carries the uid */
	enrich_free(e); /* while the look-up still hangs: it ends by itself */
}

static void test_fast_directory_answers_at_once(void)
{
	struct enrich *e = started(fast_lookup);

	g_assert_cmpstr(enrich_user(e, 7), ==, "user7");
	g_assert_true(enrich_user_ready(e, 7));
	enrich_free(e);
}

static void test_unused_names_forgotten(void)
{
	struct enrich *e = started(fast_lookup);
	uint64_t s = 1000000000ull, now;

	enrich_user(e, 1);
	enrich_user(e, 2);
	now = clock_mono_ns();
	enrich_forget_unused(e, now + (ENRICH_FORGET_AFTER_S - 1) * s);
	g_assert_cmpuint(enrich_users_cached(e), ==, 2);
	g_usleep(20 * 1000);
	enrich_user(e, 2); /* used again 20 ms later: kept longer than 1 */
	enrich_forget_unused(e, now + ENRICH_FORGET_AFTER_S * s + 10 * s / 1000);
	g_assert_cmpuint(enrich_users_cached(e), ==, 1);
	enrich_forget_unused(e, clock_mono_ns() + (ENRICH_FORGET_AFTER_S + 1) * s);
	g_assert_cmpuint(enrich_users_cached(e), ==, 0);
	enrich_free(e);
	/* a name still being asked stays */
	e = started(hanging_lookup);
	enrich_user(e, 3);
	enrich_forget_unused(e, clock_mono_ns() + (ENRICH_FORGET_AFTER_S + 1) * s);
	g_assert_cmpuint(enrich_users_cached(e), ==, 1);
	enrich_free(e);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/enrich/no_thread_before_start", test_no_thread_before_start);
	g_test_add_func("/enrich/slow_directory_does_not_stall", test_slow_directory_does_not_stall);
	g_test_add_func("/enrich/record_waits_a_bounded_time", test_record_waits_a_bounded_time);
	g_test_add_func("/enrich/fast_directory_answers_at_once",
			test_fast_directory_answers_at_once);
	g_test_add_func("/enrich/unused_names_forgotten", test_unused_names_forgotten);
	return g_test_run();
}
