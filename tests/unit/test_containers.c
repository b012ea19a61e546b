// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: reading a container's name from an Engine API reply. */
#include <glib.h>
#include <string.h>

#include "clock.h"
#include "containers.h"

static bool parse(const char *body, char *name)
{
	return containers_parse_inspect(body, strlen(body), name, 256);
}

static void test_docker_name(void)
{
	char name[256];

	g_assert_true(parse("{\"Id\":\"dd06\",\"Name\":\"/test-client\",\"Config\":{\"Labels\":{}}}",
			    name));
	g_assert_cmpstr(name, ==, "test-client");
	g_assert_true(parse("{\"Name\":\"web\"}", name));
	g_assert_cmpstr(name, ==, "web");
}

static void test_kubernetes_labels(void)
{
	char name[256];

	g_assert_true(parse("{\"Name\":\"/k8s_app_web-5d8_default_0b8f_0\",\"Config\":{\"Labels\":{"
			    "\"io.kubernetes.pod.name\":\"web-5d8\","
			    "\"io.kubernetes.pod.namespace\":\"default\","
			    "\"io.kubernetes.container.name\":\"app\"}}}",
			    name));
	g_assert_cmpstr(name, ==, "default/web-5d8/app");
	/* labels incomplete: the container's own name */
	g_assert_true(parse("{\"Name\":\"/x\",\"Config\":{\"Labels\":{\"io.kubernetes.pod.name\":"
			    "\"p\"}}}",
			    name));
	g_assert_cmpstr(name, ==, "x");
}

static void test_garbage(void)
{
	char name[256];
	const char *bad[] = {
		"", "not json {{{", "[]", "{}", "{\"Name\":42}", "{\"Name\":\"/\"}",
		"{\"Name\":null}", "{\"Name\":\"/a\",\"Config\":\"x\"}" /* Config not an object: Name */,
	};

	for (size_t i = 0; i + 1 < G_N_ELEMENTS(bad); i++)
		if (parse(bad[i], name))
			g_error("'%s' gave a name: %s", bad[i], name);
	g_assert_true(parse(bad[G_N_ELEMENTS(bad) - 1], name));
	g_assert_cmpstr(name, ==, "a");
	g_assert_false(containers_parse_inspect(NULL, 0, name, sizeof(name)));
}

static void test_name_too_long(void)
{
	char name[8];
	const char *body = "{\"Name\":\"/a-very-long-container-name\"}";

	g_assert_false(containers_parse_inspect(body, strlen(body), name, sizeof(name)));
}

/* The back-off of failed look-ups (and of collectors): 1 s, doubling, 60 s at most. */
static void test_backoff(void)
{
	const uint64_t s = 1000000000ull;
	const unsigned int failures[] = { 0, 1, 2, 3, 6, 7, 8, 1000 };
	const uint64_t want[] = { 1, 1, 2, 4, 32, 60, 60, 60 };

	for (size_t i = 0; i < G_N_ELEMENTS(failures); i++)
		g_assert_cmpuint(clock_backoff_ns(failures[i], CONTAINERS_RETRY_MIN_MS,
						  CONTAINERS_RETRY_MAX_MS), ==, want[i] * s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/containers/docker_name", test_docker_name);
	g_test_add_func("/containers/kubernetes_labels", test_kubernetes_labels);
	g_test_add_func("/containers/garbage", test_garbage);
	g_test_add_func("/containers/name_too_long", test_name_too_long);
	g_test_add_func("/containers/backoff", test_backoff);
	return g_test_run();
}
