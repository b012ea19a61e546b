// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: defaults, every option, and each class of bad flag. */
#include <glib.h>
#include <string.h>

#include "options.h"

static int parse(struct ebpflow_config *c, GError **err, ...)
{
	char *argv[32] = { "ebpflow" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, err);
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	config_defaults(c);
	return config_parse_args(c, argc, argv, err);
}

static void test_defaults(void)
{
	struct ebpflow_config c;

	g_assert_cmpint(parse(&c, NULL, NULL), ==, 0);
	g_assert_cmpint(c.output, ==, OUTPUT_CONSOLE);
	g_assert_cmpuint(c.interval_s, ==, 5);
	g_assert_cmpuint(c.duration_s, ==, 0);
	g_assert_cmpuint(c.idle_timeout_s, ==, 30);
	g_assert_cmpuint(c.active_timeout_s, ==, 120);
	g_assert_cmpuint(c.map_entries, ==, 65536);
	g_assert_cmpuint(c.collectors->len, ==, 0);
	g_assert_null(c.ipfix_file);
	g_assert_cmpuint(c.template_refresh_s, ==, 60);
	g_assert_cmpuint(c.observation_domain, ==, 0);
	g_assert_cmpuint(c.pen, ==, EBPFLOW_PEN_DEFAULT);
	g_assert_cmpint(c.ie_profile, ==, IE_PROFILE_EBPFLOW);
	config_clear(&c);
}

static void test_ipfix_options(void)
{
	struct ebpflow_config c;

	g_assert_cmpint(parse(&c, NULL, "--collector", "127.0.0.1:9995", "--collector", "[::1]:4739",
			      "--ipfix-file", "/tmp/x.ipfix", "--template-refresh", "5",
			      "--observation-domain", "4294967295", "--pen", "35632", "--ie-profile",
			      "ntop", "-o", "none", NULL),
			==, 0);
	g_assert_cmpuint(c.collectors->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(c.collectors, 0), ==, "127.0.0.1:9995");
	g_assert_cmpstr(g_ptr_array_index(c.collectors, 1), ==, "[::1]:4739");
	g_assert_cmpstr(c.ipfix_file, ==, "/tmp/x.ipfix");
	g_assert_cmpuint(c.template_refresh_s, ==, 5);
	g_assert_cmpuint(c.observation_domain, ==, 4294967295u);
	g_assert_cmpuint(c.pen, ==, 35632);
	g_assert_cmpint(c.ie_profile, ==, IE_PROFILE_NTOP);
	g_assert_cmpint(c.output, ==, OUTPUT_NONE);
	config_clear(&c);
}

static void test_every_option(void)
{
	struct ebpflow_config c;

	g_assert_cmpint(parse(&c, NULL, "-o", "json", "-i", "2", "--duration", "60",
			      "--idle-timeout", "10", "--active-timeout=300", "--map-size",
			      "1048576", "-v", NULL),
			==, 0);
	g_assert_cmpint(c.output, ==, OUTPUT_JSON);
	g_assert_cmpuint(c.interval_s, ==, 2);
	g_assert_cmpuint(c.duration_s, ==, 60);
	g_assert_cmpuint(c.idle_timeout_s, ==, 10);
	g_assert_cmpuint(c.active_timeout_s, ==, 300);
	g_assert_cmpuint(c.map_entries, ==, 1048576);
	g_assert_cmpint(c.log_level, ==, LOG_LVL_DEBUG);
	config_clear(&c);
	g_assert_cmpint(parse(&c, NULL, "--output=console", "-q", NULL), ==, 0);
	g_assert_cmpint(c.output, ==, OUTPUT_CONSOLE);
	g_assert_cmpint(c.log_level, ==, LOG_LVL_WARN);
	config_clear(&c);
}

static void expect_error(const char *needle, ...)
{
	struct ebpflow_config c;
	char *argv[8] = { "ebpflow" };
	GError *err = NULL;
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, needle);
	while ((a = va_arg(ap, char *)))
		argv[argc++] = a;
	va_end(ap);
	config_defaults(&c);
	g_assert_cmpint(config_parse_args(&c, argc, argv, &err), ==, -1);
	g_assert_nonnull(err);
	if (!strstr(err->message, needle))
		g_error("'%s' does not say '%s'", err->message, needle);
	g_error_free(err);
	config_clear(&c);
}

static void test_errors(void)
{
	expect_error("unknown option '--nope'", "--nope", NULL);
	expect_error("unknown option '-Z'", "-Z", NULL);
	expect_error("--interval needs a value", "--interval", NULL);
	expect_error("--interval: 0 is out of range (1-3600)", "-i", "0", NULL);
	expect_error("--interval: 'abc' is not a whole number", "-i", "abc", NULL);
	expect_error("--duration: '-5' is not a whole number", "--duration", "-5", NULL);
	expect_error("--map-size: 100 is out of range", "--map-size", "100", NULL);
	expect_error("--idle-timeout: '10s' is not a whole number", "--idle-timeout", "10s", NULL);
	expect_error("--output: 'xml' is not one of: console, json, none", "-o", "xml", NULL);
	expect_error("--template-refresh: 0 is out of range (1-86400)", "--template-refresh", "0",
		     NULL);
	expect_error("--pen: 0 is out of range", "--pen", "0", NULL);
	expect_error("--observation-domain: 4294967296 is out of range (0-4294967295)", "--observation-domain",
		     "4294967296", NULL);
	expect_error("--ie-profile: 'nprobe' is not one of: ebpflow, ntop", "--ie-profile",
		     "nprobe", NULL);
	expect_error("--ipfix-file: the path is empty", "--ipfix-file", "", NULL);
	expect_error("unexpected argument 'extra'", "extra", NULL);
}

/*
 * A value of any length is shown by its first 64 bytes and its size: each
 * parser that quotes what it refuses, from the file or the command line.
 */
static void test_long_values_cut(void)
{
	static const struct {
		const char *section, *key, *before, *after;
	} cases[] = {
	    {"output", "interval", "'", "' is not a whole number (1-3600)"},
	    {"output", "mode", "'", "' is not one of: console, json, none"},
	    {"containers", "resolve_names", "'", "' is not true or false"},
	    {"filter", "ports", "'", "' is not a number (1-65535)"},
	    {"filter", "protocols", "'", "' is not one of: tcp, udp"},
	    {"filter", "users", "'", "' is no user of this host (a name or a uid)"},
	    {"ipfix", "collectors", "collector '",
	     "' is not HOST:PORT (an IPv6 address goes in brackets: [::1]:4739)"},
	};
	size_t n = 100000;
	char *x = g_strnfill(n, 'x');
	char *x64 = g_strnfill(64, 'x');
	char *arg = g_strconcat("--", x, NULL);
	char *argv[] = {"ebpflow", arg, NULL};
	struct ebpflow_config c;
	GError *err = NULL;

	config_defaults(&c);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct option_def *o = option_by_key(cases[i].section, cases[i].key);
		char *want = g_strdup_printf("%s%s... (%zu bytes)%s", cases[i].before, x64, n,
					     cases[i].after);

		g_assert_nonnull(o);
		g_assert_false(option_set(o, &c, x, false, true, &err));
		g_assert_nonnull(err);
		if (strcmp(err->message, want))
			g_error("[%s] %s:\n got  %.200s\n want %s", cases[i].section, cases[i].key,
				err->message, want);
		g_clear_error(&err);
		g_free(want);
	}
	config_clear(&c);
	config_defaults(&c);
	g_assert_cmpint(config_parse_args(&c, 2, argv, &err), ==, -1);
	g_assert_nonnull(err);
	g_assert_cmpuint(strlen(err->message), <, 120);
	g_assert_nonnull(strstr(err->message, "... (100002 bytes)"));
	g_clear_error(&err);
	config_clear(&c);
	g_free(arg);
	g_free(x64);
	g_free(x);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/options/defaults", test_defaults);
	g_test_add_func("/options/every_option", test_every_option);
	g_test_add_func("/options/ipfix", test_ipfix_options);
	g_test_add_func("/options/errors", test_errors);
	g_test_add_func("/options/long_values_cut", test_long_values_cut);
	return g_test_run();
}
