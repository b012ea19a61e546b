// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: the JSON record, byte for byte, and string escaping. */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "dns.h"
#include "json.h"

#define S 1000000000ull

static struct flow_record sample(void)
{
	struct flow_record r = { 0 };

	r.key.direction = EBPFLOW_DIR_OUTBOUND;
	r.key.pid = 23087;
	r.key.ip_version = 4;
	r.key.proto = 6;
	r.key.port = 5201;
	inet_pton(AF_INET, "172.17.0.4", r.key.saddr);
	inet_pton(AF_INET, "172.17.0.3", r.key.daddr);
	r.count = 2;
	r.bytes = 0;
	r.first_ns = 10 * S;
	r.last_ns = 10 * S + 116000;
	r.end_ns = r.last_ns;
	r.flow_count = 2;
	r.flow_first_ns = 10 * S;
	r.uid = 0;
	strcpy(r.comm, "iperf3");
	r.reason = FLOW_END_FORCED;
	r.user = "root";
	r.container = "test-client";
	r.container_id = "dd068feb926d";
	r.exe = "/usr/bin/iperf3";
	r.cmdline = "iperf3 -c 172.17.0.3";
	r.ppid = 1;
	r.parent = "sh";
	return r;
}

static void test_record(void)
{
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);

	/* offset: monotonic 10 s is Unix time 1700000000.000 */
	json_format_record(s, &r, (int64_t)1700000000 * (int64_t)S - (int64_t)(10 * S));
	g_assert_cmpstr(s->str, ==,
			"{\"direction\":\"outbound\",\"pid\":23087,\"comm\":\"iperf3\",\"uid\":0,"
			"\"user\":\"root\",\"container\":\"test-client\",\"container_id\":"
			"\"dd068feb926d\",\"exe\":\"/usr/bin/iperf3\",\"cmdline\":"
			"\"iperf3 -c 172.17.0.3\",\"ppid\":1,\"parent\":\"sh\","
			"\"ip_version\":4,\"proto\":\"TCP\","
			"\"saddr\":\"172.17.0.4\",\"daddr\":\"172.17.0.3\",\"dport\":5201,"
			"\"count\":2,\"bytes\":0,\"reverse_bytes\":0,\"failed\":0,\"mtbs_s\":0.000116000,"
			"\"handshake_us_min\":null,\"handshake_us_mean\":null,\"handshake_us_max\":null,"
			"\"rtt_us_min\":null,\"rtt_us_mean\":null,\"rtt_us_max\":null,"
			"\"handshakes\":0,\"rtt_samples\":0,\"retrans_segs\":0,"
			"\"failed_refused\":0,\"failed_timeout\":0,\"failed_other\":0,"
			"\"first_ms\":1700000000000,\"last_ms\":1700000000000,"
			"\"end_reason\":\"forced\"}");
	g_string_free(s, TRUE);
}

static void test_single_call_and_ipv6_inbound(void)
{
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);

	r.key.direction = EBPFLOW_DIR_INBOUND;
	r.key.ip_version = 6;
	r.key.proto = 17;
	memset(r.key.saddr, 0, 16);
	memset(r.key.daddr, 0, 16);
	inet_pton(AF_INET6, "fd42::1", r.key.saddr);
	inet_pton(AF_INET6, "fd42::2", r.key.daddr);
	r.count = r.flow_count = 1;
	r.bytes = 21;
	r.reason = FLOW_END_IDLE;
	json_format_record(s, &r, 0);
	g_assert_nonnull(strstr(s->str, "\"direction\":\"inbound\""));
	g_assert_nonnull(strstr(s->str, "\"ip_version\":6,\"proto\":\"UDP\",\"saddr\":\"fd42::1\","
					"\"daddr\":\"fd42::2\""));
	g_assert_nonnull(strstr(s->str, "\"count\":1,\"bytes\":21,\"reverse_bytes\":0,\"failed\":0,\"mtbs_s\":null,"));
	g_assert_nonnull(strstr(s->str, "\"end_reason\":\"idle\"}"));
	g_string_free(s, TRUE);
}

/*
 * A TCP record's health: means are the record's sums over its counts, min
 * and max as they come; a UDP record has none of these keys.
 */
static void test_health(void)
{
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);

	r.failed = 6;
	r.health = (struct flow_health){ .hs_count = 2, .hs_sum_us = 301, .hs_min_us = 100,
					 .hs_max_us = 201, .rtt_count = 3, .rtt_sum_us = 90,
					 .rtt_min_us = 20, .rtt_max_us = 40, .retrans_segs = 4,
					 .failed_refused = 1, .failed_timeout = 2 };
	json_format_record(s, &r, 0);
	g_assert_nonnull(strstr(s->str,
				",\"handshake_us_min\":100,\"handshake_us_mean\":150,"
				"\"handshake_us_max\":201,\"rtt_us_min\":20,\"rtt_us_mean\":30,"
				"\"rtt_us_max\":40,\"handshakes\":2,\"rtt_samples\":3,"
				"\"retrans_segs\":4,\"failed_refused\":1,"
				"\"failed_timeout\":2,\"failed_other\":3,\"first_ms\":"));
	g_string_truncate(s, 0);
	r.key.proto = 17;
	json_format_record(s, &r, 0);
	g_assert_null(strstr(s->str, "rtt_us"));
	g_assert_null(strstr(s->str, "retrans"));
	g_string_free(s, TRUE);
}

/* A uid's overflow flow says so; a plain record has no such key. */
static void test_overflow(void)
{
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);

	json_format_record(s, &r, 0);
	g_assert_null(strstr(s->str, "overflow"));
	g_string_truncate(s, 0);
	r.key.flags = EBPFLOW_KEY_OVERFLOW;
	r.key.uid = 65534;
	json_format_record(s, &r, 0);
	g_assert_nonnull(strstr(s->str, ",\"failed\":0,\"overflow\":true,\"mtbs_s\":"));
	g_string_free(s, TRUE);
}

/*
 * Who the process is: its bytes escaped (a path or a command line is the
 * process's own), cmdline_cut and thread only where they are so, and a
 * process nobody could name has empty strings and ppid 0.
 */
static void test_process(void)
{
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);

	json_format_record(s, &r, 0);
	g_assert_null(strstr(s->str, "cmdline_cut"));
	g_assert_null(strstr(s->str, "thread"));
	g_string_truncate(s, 0);
	r.exe = "/tmp/a\"b\n\xff (deleted)";
	r.cmdline = "sh -c \x1b[2J";
	r.cmdline_cut = true;
	r.thread = "isc-net-0000";
	json_format_record(s, &r, 0);
	g_assert_nonnull(strstr(s->str, ",\"exe\":\"/tmp/a\\\"b\\u000a\\u00ff (deleted)\","
					"\"cmdline\":\"sh -c \\u001b[2J\",\"cmdline_cut\":true,"
					"\"ppid\":1,\"parent\":\"sh\",\"thread\":\"isc-net-0000\","));
	g_string_truncate(s, 0);
	r.exe = NULL;
	r.cmdline = "";
	r.cmdline_cut = false;
	r.ppid = 0;
	r.parent = "";
	r.thread = "";
	json_format_record(s, &r, 0);
	g_assert_nonnull(strstr(s->str, ",\"exe\":\"\",\"cmdline\":\"\",\"ppid\":0,\"parent\":\"\","
					"\"ip_version\""));
	g_string_free(s, TRUE);
}

/*
 * The peer's DNS name only when known; escaped as any string (the parser
 * keeps names printable, but the output does not rely on it).
 */
static void test_peer_name(void)
{
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);
	char *longest = g_strnfill(DNS_NAME_MAX, 'a');

	json_format_record(s, &r, 0);
	g_assert_null(strstr(s->str, "peer_name"));
	g_string_truncate(s, 0);
	r.peer_name = "";
	json_format_record(s, &r, 0);
	g_assert_null(strstr(s->str, "peer_name"));
	g_string_truncate(s, 0);
	r.peer_name = "api.payments.internal";
	json_format_record(s, &r, 0);
	g_assert_nonnull(strstr(s->str, "\"dport\":5201,\"peer_name\":\"api.payments.internal\","
					"\"count\":2,"));
	g_string_truncate(s, 0);
	r.peer_name = "a\"b\\c\n\x01\x7f\xff.example";
	json_format_record(s, &r, 0);
	g_assert_nonnull(strstr(s->str, ",\"peer_name\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00ff"
					".example\",\"count\":2,"));
	g_string_truncate(s, 0);
	r.peer_name = longest;
	json_format_record(s, &r, 0);
	g_assert_nonnull(strstr(s->str, "\"dport\":5201,\"peer_name\":\""));
	g_assert_nonnull(strstr(s->str, longest));
	g_free(longest);
	g_string_free(s, TRUE);
}

static void test_escape(void)
{
	GString *s = g_string_new(NULL);

	json_append_string(s, "a\"b\\c\n\x01");
	g_assert_cmpstr(s->str, ==, "\"a\\\"b\\\\c\\u000a\\u0001\"");
	g_string_truncate(s, 0);
	json_append_string(s, "caf\xc3\xa9"); /* valid UTF-8 passes */
	g_assert_cmpstr(s->str, ==, "\"caf\xc3\xa9\"");
	g_string_truncate(s, 0);
	json_append_string(s, "bad\xff"); /* a comm is bytes, not always UTF-8 */
	g_assert_cmpstr(s->str, ==, "\"bad\\u00ff\"");
	g_string_free(s, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/json/record", test_record);
	g_test_add_func("/json/health", test_health);
	g_test_add_func("/json/single_call_and_ipv6_inbound", test_single_call_and_ipv6_inbound);
	g_test_add_func("/json/overflow", test_overflow);
	g_test_add_func("/json/process", test_process);
	g_test_add_func("/json/escape", test_escape);
	g_test_add_func("/json/peer_name", test_peer_name);
	return g_test_run();
}
