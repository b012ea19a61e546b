// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: what ntopng's ZMQ collector reads. The header byte for byte
 * (ntopng's struct zmq_msg_hdr_v2), a record as ntopng's flow object byte
 * for byte, the other direction and family read back as JSON, and the
 * --zmq endpoint's syntax (or, in a build without libzmq, its refusal).
 */
#include <arpa/inet.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "ntopng.h"
#include "sample_record.h"
#include "zmq_export.h"

#define S 1000000000ull

static void test_header(void)
{
	static const unsigned char want[28] = {
		'f', 'l', 'o', 'w', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* topic */
		2, 0,                                                   /* version, padding */
	};
	struct ntopng_hdr h;
	uint16_t size = 1234;
	uint32_t id = htonl(7), source = 42;

	ntopng_header(&h, NTOPNG_TOPIC_FLOW, NTOPNG_HDR_VERSION_JSON, 1234, 7, 42);
	g_assert_cmpmem(&h, 18, want, 18);
	/* size as ntopng's own publisher writes it, the id as ntopng reads it (ntohl) */
	g_assert_cmpmem((char *)&h + 18, 2, &size, 2);
	g_assert_cmpmem((char *)&h + 20, 4, &id, 4);
	g_assert_cmpmem((char *)&h + 24, 4, &source, 4);
	/* a size past 16 bits is clamped (the publisher never builds one) */
	ntopng_header(&h, NTOPNG_TOPIC_FLOW, NTOPNG_HDR_VERSION_TLV, 70000, 8, 0);
	g_assert_cmpuint(h.size, ==, NTOPNG_MAX_PAYLOAD);
}

static void test_outbound_tcp(void)
{
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);

	/* offset: monotonic 10 s is Unix time 1700000000 */
	ntopng_format_flow(s, &r, (int64_t)1700000000 * (int64_t)S - (int64_t)(10 * S));
	g_assert_cmpstr(s->str, ==,
			"{\"IP_PROTOCOL_VERSION\":4,\"IPV4_SRC_ADDR\":\"10.199.0.1\","
			"\"IPV4_DST_ADDR\":\"10.199.0.2\",\"L4_DST_PORT\":47511,\"PROTOCOL\":6,"
			"\"IN_BYTES\":3500,\"OUT_BYTES\":45000,\"FIRST_SWITCHED\":1700000000,"
			"\"LAST_SWITCHED\":1700000002,\"DIRECTION\":1,\"FLOW_END_REASON\":\"end\","
			"\"SRC_PROC_PID\":26867,\"SRC_PROC_NAME\":\"ebpflow-wl\",\"SRC_PROC_UID\":65534,"
			"\"SRC_PROC_USER_NAME\":\"nobody\",\"SRC_PROC_CONTAINER_ID\":\"\","
			"\"SRC_PROC_CMDLINE\":\"ebpflow-wl --name \\\"a b\\\" \\u00ff\\u00fe\","
			"\"SRC_FATHER_PROC_PID\":26866,\"SRC_FATHER_PROC_NAME\":\"bash\","
			"\"SRC_PROC_PATH\":\"/usr/lib/ebpflow/ebpflow-wl\","
			"\"callDeltaCount\":5,\"failedConnectionDeltaCount\":1,"
			/* the health: ntop's latency and retransmissions, then eBPFlow's */
			"\"SERVER_NW_LATENCY_MS\":0.750,\"RETRANSMITTED_IN_PKTS\":3,"
			"\"connectionRefusedDeltaCount\":0,\"connectionTimedOutDeltaCount\":1,"
			"\"connectionFailedOtherDeltaCount\":0,\"handshakeDeltaCount\":2,"
			"\"rttSampleDeltaCount\":4,\"handshakeMeanMicroseconds\":1500,"
			"\"rttMeanMicroseconds\":250,\"containerName\":\"\"}");
	g_string_free(s, TRUE);
}

static JsonObject *parse(const char *text, JsonParser *p)
{
	GError *err = NULL;

	if (!json_parser_load_from_data(p, text, -1, &err))
		g_error("not JSON: %s: %s", err->message, text);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)));
	return json_node_get_object(json_parser_get_root(p));
}

/*
 * An inbound TCP record measured at the server: the client's half round trip
 * and the server's retransmissions (dst->src); no latency without a measured
 * handshake (ntopng leaves a 0 unset anyway).
 */
static void test_inbound_tcp_health(void)
{
	struct flow_record r = sample();
	JsonParser *p = json_parser_new();
	GString *s = g_string_new(NULL);
	JsonObject *o;

	r.key.direction = EBPFLOW_DIR_INBOUND;
	r.failed = 0;
	r.health.failed_timeout = 0;
	r.health.hs_sum_us = 201; /* 100.5 us on average: 0.050 ms */
	ntopng_format_flow(s, &r, 0);
	o = parse(s->str, p);
	g_assert_cmpfloat(json_object_get_double_member(o, "CLIENT_NW_LATENCY_MS"), ==, 0.05);
	g_assert_false(json_object_has_member(o, "SERVER_NW_LATENCY_MS"));
	g_assert_cmpint(json_object_get_int_member(o, "RETRANSMITTED_OUT_PKTS"), ==, 3);
	g_assert_false(json_object_has_member(o, "RETRANSMITTED_IN_PKTS"));
	g_assert_cmpint(json_object_get_int_member(o, "handshakeMeanMicroseconds"), ==, 100);
	g_string_truncate(s, 0);
	r.health.hs_count = 0;
	ntopng_format_flow(s, &r, 0);
	o = parse(s->str, p);
	g_assert_false(json_object_has_member(o, "CLIENT_NW_LATENCY_MS"));
	g_assert_false(json_object_has_member(o, "handshakeMeanMicroseconds"));
	g_assert_cmpint(json_object_get_int_member(o, "handshakeDeltaCount"), ==, 0);
	g_object_unref(p);
	g_string_free(s, TRUE);
}

static void test_inbound_udp6(void)
{
	struct flow_record r = sample();
	JsonParser *p = json_parser_new();
	GString *s = g_string_new(NULL);
	GList *members;
	JsonObject *o;

	r.key.direction = EBPFLOW_DIR_INBOUND;
	r.key.ip_version = 6;
	r.key.proto = 17;
	inet_pton(AF_INET6, "fd42:199::1", r.key.saddr);
	inet_pton(AF_INET6, "fd42:199::2", r.key.daddr);
	r.count = 4;
	r.bytes = 84;
	r.reverse_bytes = r.failed = 0;
	r.uid = 0;
	r.user = "root";
	r.container = "test-server";
	r.container_id = "3a0c709ca9b5";
	strcpy(r.comm, "a\"b\xff"); /* names are any bytes */
	r.exe = r.parent = NULL;
	r.cmdline = "";
	r.cmdline_cut = true; /* [flows] cmdline_bytes = 0 would say so */
	r.ppid = 0;
	ntopng_format_flow(s, &r, 0);
	o = parse(s->str, p);
	g_assert_cmpstr(json_object_get_string_member(o, "IPV6_SRC_ADDR"), ==, "fd42:199::1");
	g_assert_cmpstr(json_object_get_string_member(o, "IPV6_DST_ADDR"), ==, "fd42:199::2");
	g_assert_cmpint(json_object_get_int_member(o, "IP_PROTOCOL_VERSION"), ==, 6);
	g_assert_cmpint(json_object_get_int_member(o, "PROTOCOL"), ==, 17);
	/* a UDP call is a datagram from the initiator */
	g_assert_cmpint(json_object_get_int_member(o, "IN_PKTS"), ==, 4);
	g_assert_cmpint(json_object_get_int_member(o, "IN_BYTES"), ==, 84);
	g_assert_false(json_object_has_member(o, "OUT_BYTES"));
	g_assert_false(json_object_has_member(o, "failedConnectionDeltaCount"));
	g_assert_cmpint(json_object_get_int_member(o, "DIRECTION"), ==, 0);
	/* the process accepted or received: the responder, the destination */
	g_assert_cmpint(json_object_get_int_member(o, "DST_PROC_PID"), ==, 26867);
	g_assert_cmpstr(json_object_get_string_member(o, "DST_PROC_NAME"), ==, "a\"b\xc3\xbf");
	g_assert_cmpint(json_object_get_int_member(o, "DST_PROC_UID"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(o, "DST_PROC_USER_NAME"), ==, "root");
	g_assert_cmpstr(json_object_get_string_member(o, "DST_PROC_CONTAINER_ID"), ==,
			"3a0c709ca9b5");
	g_assert_cmpstr(json_object_get_string_member(o, "containerName"), ==, "test-server");
	/* who it is, unknown here: empty and 0; a cut command line ends in "..." */
	g_assert_cmpstr(json_object_get_string_member(o, "DST_PROC_CMDLINE"), ==, "...");
	g_assert_cmpint(json_object_get_int_member(o, "DST_FATHER_PROC_PID"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(o, "DST_FATHER_PROC_NAME"), ==, "");
	g_assert_cmpstr(json_object_get_string_member(o, "DST_PROC_PATH"), ==, "");
	members = json_object_get_members(o);
	for (GList *m = members; m; m = m->next)
		g_assert_false(g_str_has_prefix(m->data, "SRC_PROC_"));
	g_list_free(members);
	g_string_free(s, TRUE);
	g_object_unref(p);
}

/*
 * The peer's DNS name (issue 22): peerName on every record that has one (an
 * additional field in ntopng), and L7_INFO where it names the server
 * (outbound, not to a DNS server): ntopng shows it as the flow's TLS server
 * name or HTTP site when it guesses TLS or HTTP. Escaped as every string.
 */
static void test_peer_name(void)
{
	struct flow_record r = sample();
	JsonParser *p = json_parser_new();
	GString *s = g_string_new(NULL);
	char *longest = g_strnfill(253, 'n');
	JsonObject *o;

	ntopng_format_flow(s, &r, 0);
	g_assert_null(strstr(s->str, "peerName"));
	g_assert_null(strstr(s->str, "L7_INFO"));
	g_string_truncate(s, 0);
	r.peer_name = "api.payments.internal";
	ntopng_format_flow(s, &r, 0);
	g_assert_true(g_str_has_suffix(s->str, "\"containerName\":\"\",\"peerName\":"
					       "\"api.payments.internal\",\"L7_INFO\":"
					       "\"api.payments.internal\"}"));
	/* inbound: the peer is the client, no server name */
	g_string_truncate(s, 0);
	r.key.direction = EBPFLOW_DIR_INBOUND;
	ntopng_format_flow(s, &r, 0);
	g_assert_true(g_str_has_suffix(s->str, ",\"peerName\":\"api.payments.internal\"}"));
	/* to a DNS server: ntopng would take L7_INFO for the query */
	g_string_truncate(s, 0);
	r.key.direction = EBPFLOW_DIR_OUTBOUND;
	r.key.port = 53;
	ntopng_format_flow(s, &r, 0);
	g_assert_true(g_str_has_suffix(s->str, ",\"peerName\":\"api.payments.internal\"}"));
	/* hostile bytes and the longest name: valid JSON, the same string back */
	g_string_truncate(s, 0);
	r.key.port = 443;
	memcpy(longest, "\"q\\\x01\x1b[2J\n", 9);
	r.peer_name = longest;
	ntopng_format_flow(s, &r, 0);
	o = parse(s->str, p);
	g_assert_cmpstr(json_object_get_string_member(o, "peerName"), ==, longest);
	g_assert_cmpstr(json_object_get_string_member(o, "L7_INFO"), ==, longest);
	g_free(longest);
	g_string_free(s, TRUE);
	g_object_unref(p);
}

static void test_endpoint(void)
{
	GError *err = NULL;
#ifdef EBPFLOW_HAVE_ZMQ
	const char *good[] = { "tcp://*:5556", "tcp://127.0.0.1:5556", "tcp://[::1]:5556",
			       "tcp://ntopng.example:5556c", "ipc:///run/ebpflow.zmq" };
	const char *bad[] = { "", "tcp://*", "tcp://:5556", "tcp://*:0", "tcp://*:65536",
			      "tcp://*:55x6", "tcp://*:5556c", "udp://*:5556", "ipc://" };

	for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(zmq_export_check(good[i], NULL));
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_false(zmq_export_check(bad[i], &err));
		g_assert_true(g_str_has_prefix(err->message, "--zmq "));
		g_clear_error(&err);
	}
#else
	g_assert_false(zmq_export_check("tcp://*:5556", &err));
	g_assert_cmpstr(err->message, ==,
			"--zmq tcp://*:5556: this build has no ZMQ support: install libzmq3-dev "
			"and rebuild");
	g_clear_error(&err);
#endif
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ntopng/header", test_header);
	g_test_add_func("/ntopng/outbound_tcp", test_outbound_tcp);
	g_test_add_func("/ntopng/inbound_tcp_health", test_inbound_tcp_health);
	g_test_add_func("/ntopng/inbound_udp6", test_inbound_udp6);
	g_test_add_func("/ntopng/endpoint", test_endpoint);
	g_test_add_func("/ntopng/peer_name", test_peer_name);
	return g_test_run();
}
