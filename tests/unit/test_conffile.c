// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of ebpflow.conf: every key read and applied; every class of
 * mistake named with file, line, key and what is allowed; the shipped
 * config/ebpflow.conf valid and equal to the defaults.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conffile.h"

static char *write_conf(const char *text, mode_t mode)
{
	char *path = NULL;
	int fd = g_file_open_tmp("ebpflow-conf-XXXXXX", &path, NULL);

	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_chmod(path, mode);
	return path;
}

static void test_every_key(void)
{
	char *path = write_conf("# a comment\n"
				"[output]\nmode = json\ninterval = 2\n"
				"[flows]\nidle_timeout = 10\nactive_timeout = 300\nmap_size = 131072\n"
				"[ipfix]\ncollectors = 127.0.0.1:9995, [::1]:4739\ntransport = udp\n"
				"file = /tmp/x.ipfix\ntemplate_refresh = 5\nobservation_domain = 7\n"
				"enterprise_number = 35632\nprofile = ntop\n"
				"[containers]\nresolve_names = true\ndocker_socket = /run/d.sock\n"
				"podman_socket = /run/p.sock\n"
				"[filter]\npids = 1, 42\nusers = root, 65534\nports = 53,443\n"
				"protocols = udp\ndirections = inbound, outbound\n"
				"containers = web, db\n"
				"[log]\nlevel = debug\ntarget = syslog\n",
				0600);
	struct ebpflow_config c;
	GError *err = NULL;

	config_defaults(&c);
	g_assert_true(conffile_load(path, &c, &err));
	g_assert_no_error(err);
	g_assert_cmpint(c.output, ==, OUTPUT_JSON);
	g_assert_cmpuint(c.interval_s, ==, 2);
	g_assert_cmpuint(c.idle_timeout_s, ==, 10);
	g_assert_cmpuint(c.active_timeout_s, ==, 300);
	g_assert_cmpuint(c.map_entries, ==, 131072);
	g_assert_cmpuint(c.collectors->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(c.collectors, 1), ==, "[::1]:4739");
	g_assert_cmpstr(c.ipfix_file, ==, "/tmp/x.ipfix");
	g_assert_cmpuint(c.template_refresh_s, ==, 5);
	g_assert_cmpuint(c.observation_domain, ==, 7);
	g_assert_cmpuint(c.pen, ==, 35632);
	g_assert_cmpint(c.ie_profile, ==, IE_PROFILE_NTOP);
	g_assert_true(c.container_names);
	g_assert_cmpstr(c.docker_socket, ==, "/run/d.sock");
	g_assert_cmpstr(c.podman_socket, ==, "/run/p.sock");
	g_assert_cmpuint(c.filter.pids->len, ==, 2);
	g_assert_cmpuint(g_array_index(c.filter.pids, uint32_t, 1), ==, 42);
	g_assert_cmpuint(c.filter.uids->len, ==, 2);
	g_assert_cmpuint(g_array_index(c.filter.uids, uint32_t, 0), ==, 0);
	g_assert_cmpuint(g_array_index(c.filter.uids, uint32_t, 1), ==, 65534);
	g_assert_cmpuint(g_array_index(c.filter.ports, uint32_t, 1), ==, 443);
	g_assert_cmpuint(c.filter.protocols, ==, FILTER_PROTO_UDP);
	g_assert_cmpuint(c.filter.directions, ==, FILTER_DIR_INBOUND | FILTER_DIR_OUTBOUND);
	g_assert_cmpstr(g_ptr_array_index(c.filter.containers, 1), ==, "db");
	g_assert_cmpint(c.log_level, ==, LOG_LVL_DEBUG);
	g_assert_cmpint(c.log_target, ==, LOG_TARGET_SYSLOG);
	config_clear(&c);
	g_unlink(path);
	g_free(path);
}

struct bad {
	const char *text;
	const char *message; /* after "FILE:" */
};

static void test_mistakes(void)
{
	const struct bad bad[] = {
	    {"[output]\nmode = json\n[nonsense]\nx = 1\n",
	     ":3: [nonsense]: unknown section (sections: output, flows, kernel, service, ipfix, "
	     "zmq, "
	     "containers, filter, log)"},
	    {"[output]\nmode = json\nintervall = 5\n",
	     ":3: [output] intervall: unknown key (in [output]: mode, interval, ended_rows, names)"},
	    {"[output]\ninterval = soon\n",
	     ":2: [output] interval: 'soon' is not a whole number (1-3600)"},
	    {"[output]\ninterval = 0\n", ":2: [output] interval: 0 is out of range (1-3600)"},
	    {"[flows]\nmap_size = 99999999999\n",
	     ":2: [flows] map_size: 99999999999 is out of range (1024-16777216)"},
	    {"[output]\nmode = xml\n",
	     ":2: [output] mode: 'xml' is not one of: console, json, none"},
	    {"[containers]\n\nresolve_names = maybe\n",
	     ":3: [containers] resolve_names: 'maybe' is not true or false"},
	    {"[ipfix]\ncollectors = 127.0.0.1:9995, nocolon\n",
	     ":2: [ipfix] collectors: collector 'nocolon' is not HOST:PORT (an IPv6 address goes "
	     "in brackets: [::1]:4739)"},
	    {"[ipfix]\ntransport = sctp\n", ":2: [ipfix] transport: 'sctp' is not one of: udp"},
	    {"[ipfix]\nprofile = nprobe\n",
	     ":2: [ipfix] profile: 'nprobe' is not one of: ebpflow, ntop"},
	    {"[filter]\nports = 53, 0\n", ":2: [filter] ports: '0' is not a number (1-65535)"},
	    {"[filter]\nusers = root, no-such-user-here\n",
	     ":2: [filter] users: 'no-such-user-here' is no user of this host (a name or a uid)"},
	    {"[filter]\nprotocols = tcp, icmp\n",
	     ":2: [filter] protocols: 'icmp' is not one of: tcp, udp"},
	    {"[log]\nlevel = loud\n",
	     ":2: [log] level: 'loud' is not one of: error, warning, info, debug"},
	    {"mode = json\n", ":1: 'mode = json' is outside any [section]"},
	    {"[output]\njust words\n",
	     ":2: 'just words' is not a key = value, a [section] or a # comment"},
	    {"[output\n", ":1: '[output' is not a [section]"},
	    /* names GKeyFile refuses saying no line */
	    {"[output]\nmode = json\n[a[b]\n", ":3: '[a[b]' is not a [section]"},
	    {"[output]\n[\x01]\n", ":2: '[\x01]' is not a [section]"},
	    /* GKeyFile reads key[xx] as a translation and drops it unless xx is the locale */
	    {"[output]\nmode = json\ninterval[de] = garbage\n",
	     ":3: [output] interval[de]: a translated key (key[locale]): eBPFlow's keys have no "
	     "translations"},
	    {"[filter]\nports[xx] = 9\n",
	     ":2: [filter] ports[xx]: a translated key (key[locale]): eBPFlow's keys have no "
	     "translations"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *path = write_conf(bad[i].text, 0600);
		char *want = g_strconcat(path, bad[i].message, NULL);
		struct ebpflow_config c;
		GError *err = NULL;

		config_defaults(&c);
		g_assert_false(conffile_load(path, &c, &err));
		g_assert_nonnull(err);
		if (strcmp(err->message, want))
			g_error("case %zu:\n got  %s\n want %s", i, err->message, want);
		g_error_free(err);
		config_clear(&c);
		g_unlink(path);
		g_free(path);
		g_free(want);
	}
}

/* Bytes written as they are (a NUL included), mode 0600. */
static char *write_bytes(const char *bytes, gssize len)
{
	char *path = write_conf("", 0600);

	g_assert_true(g_file_set_contents(path, bytes, len, NULL));
	g_chmod(path, 0600);
	return path;
}

static char *load_error(const char *path)
{
	struct ebpflow_config c;
	GError *err = NULL;
	char *message;

	config_defaults(&c);
	g_assert_false(conffile_load(path, &c, &err));
	g_assert_nonnull(err);
	message = g_strdup(err->message);
	g_error_free(err);
	config_clear(&c);
	return message;
}

static void assert_error(const char *bytes, gssize len, const char *after_path)
{
	char *path = write_bytes(bytes, len);
	char *got = load_error(path);
	char *want = g_strconcat(path, after_path, NULL);

	g_assert_cmpstr(got, ==, want);
	g_unlink(path);
	g_free(path);
	g_free(got);
	g_free(want);
}

/* A NUL used to end the text GKeyFile and the line scan saw: "FILE:0:" after it. */
static void test_nul_byte(void)
{
	static const char text[] = "[output]\nmode = json\n\n# a\0b\n[output]\ninterval = x\n";

	assert_error(text, sizeof(text) - 1, ":4: a NUL byte: the file is not text");
}

/* A UTF-8 byte order mark, as some editors write, is skipped. */
static void test_bom_skipped(void)
{
	char *path = write_conf("\xef\xbb\xbf[output]\ninterval = 7\n", 0600);
	struct ebpflow_config c;
	GError *err = NULL;

	config_defaults(&c);
	g_assert_true(conffile_load(path, &c, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(c.interval_s, ==, 7);
	config_clear(&c);
	g_unlink(path);
	g_free(path);
	assert_error("\xef\xbb\xbf[output]\ninterval = soon\n", -1,
		     ":2: [output] interval: 'soon' is not a whole number (1-3600)");
}

/* A value, a key or a line of 512 KiB is shown by its first 64 bytes and its size. */
static void test_long_text_cut(void)
{
	size_t n = 512 * 1024;
	char *x = g_strnfill(n, 'x');
	char *x64 = g_strnfill(64, 'x');
	char *text = g_strdup_printf("[output]\ninterval = %s\n", x);
	char *want = g_strdup_printf(":2: [output] interval: '%s... (%zu bytes)' is not a whole "
				     "number (1-3600)",
				     x64, n);

	assert_error(text, -1, want);
	g_free(text);
	g_free(want);
	text = g_strdup_printf("[output]\n%s = 1\n", x);
	want = g_strdup_printf(":2: [output] %s... (%zu bytes): unknown key (in [output]: mode, "
			       "interval, ended_rows, names)",
			       x64, n);
	assert_error(text, -1, want);
	g_free(text);
	g_free(want);
	text = g_strdup_printf("[%s\n", x);
	want = g_strdup_printf(":1: '[%s... (%zu bytes)' is not a [section]", x64 + 1, n + 1);
	assert_error(text, -1, want);
	g_free(text);
	g_free(want);
	g_free(x64);
	g_free(x);
}

/* 1 MiB at most: a larger file is refused before it is read (50 MB were). */
static void test_size_bounded(void)
{
	size_t n = (1 << 20) + 1;
	char *text = g_strnfill(n, '#');

	text[n - 1] = '\n';
	assert_error(text, n, ": 1048577 bytes, more than a configuration file may have (1 MiB)");
	g_free(text);
}

static void test_writable_file_refused(void)
{
	char *path = write_conf("[output]\nmode = json\n", 0666);
	struct ebpflow_config c;
	GError *err = NULL;

	config_defaults(&c);
	g_assert_false(conffile_load(path, &c, &err));
	g_assert_nonnull(strstr(err->message, "is writable by everyone: refusing it"));
	g_clear_error(&err);
	g_chmod(path, 0620);
	g_assert_false(conffile_load(path, &c, &err));
	g_assert_nonnull(strstr(err->message, "is writable by its group"));
	g_clear_error(&err);
	g_assert_false(conffile_load("/nonexistent/ebpflow.conf", &c, &err));
	g_assert_nonnull(strstr(err->message, "No such file or directory"));
	g_clear_error(&err);
	config_clear(&c);
	g_unlink(path);
	g_free(path);
}

static void test_shipped_file_is_the_defaults(void)
{
	struct ebpflow_config d, c;
	GError *err = NULL;

	config_defaults(&d);
	config_defaults(&c);
	g_chmod(EBPFLOW_SOURCE_DIR "/config/ebpflow.conf", 0644);
	g_assert_true(conffile_load(EBPFLOW_SOURCE_DIR "/config/ebpflow.conf", &c, &err));
	g_assert_no_error(err);
	g_assert_cmpint(c.output, ==, d.output);
	g_assert_cmpuint(c.interval_s, ==, d.interval_s);
	g_assert_cmpuint(c.map_entries, ==, d.map_entries);
	g_assert_cmpuint(c.collectors->len, ==, 0);
	config_clear(&c);
	config_clear(&d);
}

/* The command line wins over the file; its collectors replace the file's. */
static void test_flags_win(void)
{
	char *path = write_conf("[output]\ninterval = 9\n[ipfix]\ncollectors = 127.0.0.1:1, "
				"127.0.0.1:2\n",
				0600);
	char *argv[] = { "ebpflow", "-c", path, "-i", "3", "--collector", "127.0.0.1:3", NULL };
	struct ebpflow_config c;
	GError *err = NULL;

	g_assert_cmpint(config_load(&c, 7, argv, &err), ==, 0);
	g_assert_no_error(err);
	g_assert_cmpuint(c.interval_s, ==, 3);
	g_assert_cmpuint(c.collectors->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(c.collectors, 0), ==, "127.0.0.1:3");
	g_assert_cmpstr(c.config_path, ==, path);
	config_clear(&c);
	g_unlink(path);
	g_free(path);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/conffile/every_key", test_every_key);
	g_test_add_func("/conffile/mistakes", test_mistakes);
	g_test_add_func("/conffile/nul_byte", test_nul_byte);
	g_test_add_func("/conffile/bom_skipped", test_bom_skipped);
	g_test_add_func("/conffile/long_text_cut", test_long_text_cut);
	g_test_add_func("/conffile/size_bounded", test_size_bounded);
	g_test_add_func("/conffile/writable_file_refused", test_writable_file_refused);
	g_test_add_func("/conffile/shipped_file_is_the_defaults", test_shipped_file_is_the_defaults);
	g_test_add_func("/conffile/flags_win", test_flags_win);
	return g_test_run();
}
