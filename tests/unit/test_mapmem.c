// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the flow map's kernel memory (exact where the host's kernel
 * counted it), how many flows fit a budget, and the refusal's message.
 */
#include <glib.h>

#include "mapmem.h"

static void test_bytes(void)
{
	/* as the 6.18 of the build machine counts it in fdinfo (2 possible CPUs) */
	g_assert_cmpuint(mapmem_flow_map_bytes(65536, 2), ==, 27263872);
	/* the hosts: 64 and 128 possible CPUs at the default map_size */
	g_assert_cmpuint(mapmem_flow_map_bytes(65536, 64), ==, 612371264);
	g_assert_cmpuint(mapmem_flow_map_bytes(65536, 128), ==, 1216353088);
	/* buckets are a power of two: one flow more doubles them */
	g_assert_cmpuint(mapmem_flow_map_bytes(65537, 1) - mapmem_flow_map_bytes(65536, 1), ==,
			 (112 + 144) + 65536 * 16);
}

static void test_max_entries(void)
{
	g_assert_cmpuint(mapmem_max_entries(256ull << 20, 64, 1024, 1u << 24), ==, 28720);
	g_assert_cmpuint(mapmem_max_entries(256ull << 20, 128, 1024, 1u << 24), ==, 14461);
	g_assert_cmpuint(mapmem_max_entries(512ull << 20, 128, 1024, 1u << 24), ==, 28922);
	/* not even the smallest map */
	g_assert_cmpuint(mapmem_max_entries(1ull << 20, 512, 1024, 1u << 24), ==, 0);
	/* everything fits: the largest asked */
	g_assert_cmpuint(mapmem_max_entries(1ull << 40, 2, 1024, 65536), ==, 65536);
}

static void test_check(void)
{
	GError *err = NULL;

	g_assert_true(mapmem_check(65536, 256, 2, &err));
	g_assert_true(mapmem_check(28720, 256, 64, &err));
	g_assert_false(mapmem_check(65536, 256, 64, &err));
	g_assert_cmpstr(err->message, ==,
			"[flows] map_size = 65536 flows would take 584.0 MiB of kernel memory on 64 "
			"possible CPUs (144 bytes per flow and CPU), more than [flows] map_memory_max = "
			"256 MiB: lower map_size (--map-size) to at most 28720, or raise "
			"map_memory_max (--map-memory-max)");
	g_clear_error(&err);
	g_assert_false(mapmem_check(65536, 1, 512, &err));
	g_assert_cmpstr(err->message, ==,
			"[flows] map_size = 65536 flows would take 4616.0 MiB of kernel memory on 512 "
			"possible CPUs (144 bytes per flow and CPU), more than [flows] map_memory_max = "
			"1 MiB: raise map_memory_max (--map-memory-max)");
	g_clear_error(&err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mapmem/bytes", test_bytes);
	g_test_add_func("/mapmem/max_entries", test_max_entries);
	g_test_add_func("/mapmem/check", test_check);
	return g_test_run();
}
