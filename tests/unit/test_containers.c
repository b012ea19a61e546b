// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: reading a container's name from an Engine API reply. */
#include <glib.h>
#include <string.h>

#include "clock.h"
#include "containers.h"

/* The name parsed from body into name (a test's buffer); false when there is none. */
static bool parse(const char *body, char *name)
{
	char *n = containers_parse_inspect(body, strlen(body));

	if (n)
		g_strlcpy(name, n, 256);
	g_free(n);
	return n != NULL;
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
	g_assert_null(containers_parse_inspect(NULL, 0));
}

/* Kubernetes' longest: a 63-byte namespace, a 253-byte pod, a 63-byte container (381 bytes). */
static void test_kubernetes_longest(void)
{
	GString *body = g_string_new("{\"Name\":\"/k8s\",\"Config\":{\"Labels\":{");
	char *ns = g_strnfill(63, 'n'), *pod = g_strnfill(253, 'p'), *ctr = g_strnfill(63, 'c');
	char *want = g_strdup_printf("%s/%s/%s", ns, pod, ctr), *name;

	g_string_append_printf(body, "\"io.kubernetes.pod.namespace\":\"%s\",\"io.kubernetes.pod.name\":"
			       "\"%s\",\"io.kubernetes.container.name\":\"%s\"}}}", ns, pod, ctr);
	name = containers_parse_inspect(body->str, body->len);
	g_assert_cmpstr(name, ==, want);
	g_assert_cmpuint(strlen(name), ==, 381);
	g_free(name);
	g_free(want);
	g_free(ns);
	g_free(pod);
	g_free(ctr);
	g_string_free(body, TRUE);
}

/* Up to CONTAINERS_NAME_MAX bytes, none longer. */
static void test_name_too_long(void)
{
	for (size_t len = CONTAINERS_NAME_MAX; len <= CONTAINERS_NAME_MAX + 1; len++) {
		char *n = g_strnfill(len, 'a');
		char *body = g_strdup_printf("{\"Name\":\"/%s\"}", n);
		char *name = containers_parse_inspect(body, strlen(body));

		if (len <= CONTAINERS_NAME_MAX)
			g_assert_cmpstr(name, ==, n);
		else
			g_assert_null(name);
		g_free(name);
		g_free(body);
		g_free(n);
	}
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
	g_test_add_func("/containers/kubernetes_longest", test_kubernetes_longest);
	g_test_add_func("/containers/name_too_long", test_name_too_long);
	g_test_add_func("/containers/backoff", test_backoff);
	return g_test_run();
}
