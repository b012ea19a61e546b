// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the TLV encoder (exporter/ntopng/ntopng_tlv.c) byte for
 * byte, from nDPI's format as ntopng reads it: integer keys and values in
 * the fewest bytes, big-endian; strings with a 16-bit length; the end of a
 * record; a whole outbound TCP record and an inbound UDP one over IPv6.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "ntopng.h"
#include "ntopng_tlv.h"
#include "sample_record.h"
#include "tlv_read.h"

#define S 1000000000ull

static void assert_bytes(const GString *s, const char *want, size_t len)
{
	g_assert_cmpmem(s->str, s->len, want, len);
}

static void test_integer_widths(void)
{
	static const struct {
		uint32_t key;
		uint64_t value;
		const char *want;
		size_t len;
	} cases[] = {
		/* type byte: key type << 4 | value type (2 u8, 3 u16, 4 u32, 5 u64) */
		{ 1, 0, "\x22\x01\x00", 3 },
		{ 255, 255, "\x22\xff\xff", 3 },
		{ 256, 256, "\x33\x01\x00\x01\x00", 5 },
		{ 65535, 65535, "\x33\xff\xff\xff\xff", 5 },
		{ 65536, 65536, "\x44\x00\x01\x00\x00\x00\x01\x00\x00", 9 },
		{ UINT32_MAX, UINT32_MAX, "\x44\xff\xff\xff\xff\xff\xff\xff\xff", 9 },
		{ 1, 1ull << 32, "\x25\x01\x00\x00\x00\x01\x00\x00\x00\x00", 10 },
		{ 1, UINT64_MAX, "\x25\x01\xff\xff\xff\xff\xff\xff\xff\xff", 10 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GString *s = g_string_new(NULL);

		ntopng_tlv_uint(s, cases[i].key, cases[i].value);
		assert_bytes(s, cases[i].want, cases[i].len);
		g_string_free(s, TRUE);
	}
}

static void test_strings(void)
{
	GString *s = g_string_new(NULL);
	char *long_name = g_strnfill(300, 'x');

	/* an empty value is a length of 0 (ntopng then ignores the field) */
	ntopng_tlv_string(s, 8, "");
	assert_bytes(s, "\x2b\x08\x00\x00", 4);
	g_string_truncate(s, 0);
	ntopng_tlv_string(s, 8, NULL);
	assert_bytes(s, "\x2b\x08\x00\x00", 4);
	g_string_truncate(s, 0);
	/* a key by name (type 11 in the high bits), any byte in the value */
	ntopng_tlv_named_string(s, "k", "a\"\xff");
	assert_bytes(s, "\xbb\x00\x01k\x00\x03"
			"a\"\xff",
		     9);
	g_string_truncate(s, 0);
	ntopng_tlv_named_uint(s, "n", 70000);
	assert_bytes(s, "\xb4\x00\x01n\x00\x01\x11\x70", 8);
	g_string_truncate(s, 0);
	/* a length past 255 takes both bytes */
	ntopng_tlv_string(s, 57641, long_name);
	g_assert_cmpuint(s->len, ==, 1 + 2 + 2 + 300);
	g_assert_cmpmem(s->str, 5, "\x3b\xe1\x29\x01\x2c", 5);
	g_free(long_name);
	g_string_free(s, TRUE);
}

static void test_outbound_tcp(void)
{
	/* literals split after each \x escape: a hex escape would swallow the text's digits */
	static const char want[] =
		"\x22\x3c\x04"			       /* IP_PROTOCOL_VERSION (60) 4 */
		"\x2b\x08\x00\x0a" "10.199.0.1"	       /* IPV4_SRC_ADDR (8) */
		"\x2b\x0c\x00\x0a" "10.199.0.2"	       /* IPV4_DST_ADDR (12) */
		"\x23\x0b\xb9\x97"		       /* L4_DST_PORT (11) 47511 */
		"\x22\x04\x06"			       /* PROTOCOL (4) 6 */
		"\x23\x01\x0d\xac"		       /* IN_BYTES (1) 3500 */
		"\x23\x17\xaf\xc8"		       /* OUT_BYTES (23) 45000 */
		"\x24\x16\x65\x53\xf1\x00"	       /* FIRST_SWITCHED (22) 1700000000 */
		"\x24\x15\x65\x53\xf1\x02"	       /* LAST_SWITCHED (21) 1700000002 */
		"\x22\x3d\x01"			       /* DIRECTION (61) 1 */
		"\x2b\x88\x00\x03" "end"	       /* FLOW_END_REASON (136) */
		"\xb2\x00\x0e" "callDeltaCount" "\x05"
		"\xb2\x00\x1a" "failedConnectionDeltaCount" "\x01"
		/* SERVER_NW_LATENCY_MS (57472 + 124) 0.75 ms, a float (10) as this host stores it */
		"\x3a\xe0\xfc\x00\x00\x40\x3f"
		"\x32\xe0\xed\x03"		       /* RETRANSMITTED_IN_PKTS (+ 109) 3 */
		"\xb2\x00\x1b" "connectionRefusedDeltaCount" "\x00"
		"\xb2\x00\x1c" "connectionTimedOutDeltaCount" "\x01"
		"\xb2\x00\x1f" "connectionFailedOtherDeltaCount" "\x00"
		"\xb2\x00\x13" "handshakeDeltaCount" "\x02"
		"\xb2\x00\x13" "rttSampleDeltaCount" "\x04"
		"\xb3\x00\x19" "handshakeMeanMicroseconds" "\x05\xdc"
		"\xb2\x00\x13" "rttMeanMicroseconds" "\xfa"
		"\xbb\x00\x0d" "containerName" "\x00\x00"
		/* the process last */
		"\x33\xe1\x28\x68\xf3"		       /* SRC_PROC_PID (57472 + 168) 26867 */
		"\x3b\xe1\x29\x00\x0a" "ebpflow-wl"    /* SRC_PROC_NAME (+ 169) */
		"\x33\xe2\x29\xff\xfe"		       /* SRC_PROC_UID (+ 425) 65534 */
		"\x3b\xe1\xf4\x00\x06" "nobody"	       /* SRC_PROC_USER_NAME (+ 372) */
		"\x3b\xe2\xae\x00\x00"		       /* SRC_PROC_CONTAINER_ID (+ 558) "" */
		"\x3b\xe2\xac\x00\x1a"		       /* SRC_PROC_CMDLINE (+ 556) */
		"ebpflow-wl --name \"a b\" \xff\xfe"
		"\x33\xe1\xf5\x68\xf2"		       /* SRC_FATHER_PROC_PID (+ 373) 26866 */
		"\x3b\xe1\xf6\x00\x04" "bash"	       /* SRC_FATHER_PROC_NAME (+ 374) */
		"\xbb\x00\x0d" "SRC_PROC_PATH"	       /* by name: ntopng has no id for it */
		"\x00\x1b" "/usr/lib/ebpflow/ebpflow-wl"
		"\x01"; /* the end of the record */
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);

	/* offset: monotonic 10 s is Unix time 1700000000 */
	ntopng_tlv_format_flow(s, &r, (int64_t)1700000000 * (int64_t)S - (int64_t)(10 * S));
	assert_bytes(s, want, sizeof(want) - 1);
	g_string_free(s, TRUE);
}

static void test_inbound_udp6(void)
{
	static const char want[] =
		"\x22\x3c\x06"
		"\x2b\x1b\x00\x0b" "fd42:199::1"       /* IPV6_SRC_ADDR (27) */
		"\x2b\x1c\x00\x0b" "fd42:199::2"       /* IPV6_DST_ADDR (28) */
		"\x22\x0b\x35"			       /* L4_DST_PORT 53 */
		"\x22\x04\x11"			       /* PROTOCOL 17 */
		"\x22\x02\x04"			       /* IN_PKTS (2): 4 datagrams */
		"\x22\x01\x54"			       /* IN_BYTES 84; no OUT_BYTES */
		"\x24\x16\x65\x53\xf1\x00"
		"\x24\x15\x65\x53\xf1\x02"
		"\x22\x3d\x00"			       /* DIRECTION 0: inbound */
		"\x2b\x88\x00\x04" "idle"
		"\xb2\x00\x0e" "callDeltaCount" "\x04" /* no failedConnectionDeltaCount */
		"\xbb\x00\x0d" "containerName" "\x00\x0b" "test-server"
		"\x32\xe1\xf7\x07"		       /* DST_PROC_PID (57472 + 375) 7 */
		"\x3b\xe1\xf8\x00\x03" "dns"	       /* DST_PROC_NAME (+ 376) */
		"\x32\xe2\x2a\x00"		       /* DST_PROC_UID (+ 426) 0 */
		"\x3b\xe1\xf9\x00\x04" "root"	       /* DST_PROC_USER_NAME (+ 377) */
		"\x3b\xe2\xaf\x00\x0c" "3a0c709ca9b5"  /* DST_PROC_CONTAINER_ID (+ 559) */
		"\x3b\xe2\xad\x00\x00"		       /* DST_PROC_CMDLINE (+ 557): unknown */
		"\x32\xe1\xfa\x00"		       /* DST_FATHER_PROC_PID (+ 378) 0 */
		"\x3b\xe1\xfb\x00\x00"		       /* DST_FATHER_PROC_NAME (+ 379) */
		"\xbb\x00\x0d" "DST_PROC_PATH" "\x00\x00"
		"\x01";
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);

	r.key.direction = EBPFLOW_DIR_INBOUND;
	r.key.ip_version = 6;
	r.key.proto = 17;
	r.key.port = 53;
	r.key.pid = 7;
	inet_pton(AF_INET6, "fd42:199::1", r.key.saddr);
	inet_pton(AF_INET6, "fd42:199::2", r.key.daddr);
	r.count = 4;
	r.bytes = 84;
	r.reverse_bytes = r.failed = 0;
	r.uid = 0;
	r.user = "root";
	r.reason = FLOW_END_IDLE;
	r.container = "test-server";
	r.container_id = "3a0c709ca9b5";
	strcpy(r.comm, "dns");
	r.exe = r.cmdline = r.parent = NULL; /* who it is: not known */
	r.ppid = 0;
	ntopng_tlv_format_flow(s, &r, (int64_t)1700000000 * (int64_t)S - (int64_t)(10 * S));
	assert_bytes(s, want, sizeof(want) - 1);
	g_string_free(s, TRUE);
}

/* records one after the other make a message ntopng reads whole */
/*
 * The peer's DNS name (issue 22): peerName by name, and L7_INFO (ntop's 539)
 * where it names the server (outbound, not to port 53), before the process.
 */
/* where needle (n bytes, NULs included) is in s, or NULL */
static const char *find(const GString *s, const char *needle, size_t n)
{
	for (size_t i = 0; i + n <= s->len; i++)
		if (!memcmp(s->str + i, needle, n))
			return s->str + i;
	return NULL;
}

static void test_peer_name(void)
{
	struct flow_record r = sample();
	GString *s = g_string_new(NULL), *want = g_string_new(NULL);
	char *longest = g_strnfill(253, 'n');
	const char *at;

	memcpy(longest, "\"q\\\x01\x1b[2J\n\xff", 10);
	ntopng_tlv_format_flow(s, &r, 0);
	g_assert_null(find(s, "peerName", 8));
	g_string_truncate(s, 0);
	r.peer_name = "api.payments.internal";
	ntopng_tlv_format_flow(s, &r, 0);
	g_string_append_len(want, "\xbb\x00\x0d" "containerName" "\x00\x00"
				  "\xbb\x00\x08" "peerName" "\x00\x15" "api.payments.internal"
				  "\x3b\xe2\x9b" /* L7_INFO (57472 + 539) */
				  "\x00\x15" "api.payments.internal"
				  "\x33\xe1\x28", 81);
	at = find(s, "\xbb\x00\x0d" "containerName", 16);
	g_assert_nonnull(at);
	g_assert_cmpmem(at, want->len, want->str, want->len);
	/* inbound: no server name; hostile bytes and the longest name, byte for byte */
	g_string_truncate(s, 0);
	r.key.direction = EBPFLOW_DIR_INBOUND;
	r.peer_name = longest;
	ntopng_tlv_format_flow(s, &r, 0);
	g_string_truncate(want, 0);
	g_string_append_len(want, "\xbb\x00\x08" "peerName" "\x00\xfd", 13);
	g_string_append_len(want, longest, 253);
	g_string_append_len(want, "\x33\xe1\xf7", 3); /* DST_PROC_PID next */
	at = find(s, "\xbb\x00\x08" "peerName", 11);
	g_assert_nonnull(at);
	g_assert_cmpmem(at, want->len, want->str, want->len);
	g_assert_null(find(s, "\x3b\xe2\x9b", 3));
	g_free(longest);
	g_string_free(want, TRUE);
	g_string_free(s, TRUE);
}

static void test_message(void)
{
	struct flow_record r = sample();
	GString *s = g_string_new(NTOPNG_TLV_BEGIN);

	g_assert_cmpuint(s->len, ==, NTOPNG_TLV_BEGIN_LEN);
	for (int i = 0; i < 3; i++)
		ntopng_tlv_format_flow(s, &r, 0);
	g_assert_cmpint(tlv_count_records((const unsigned char *)s->str, s->len), ==, 3);
	/* the last byte is the last record's end */
	g_assert_cmpint(s->str[s->len - 1], ==, NTOPNG_TLV_END_OF_RECORD);
	/* one byte less is a record cut short */
	g_assert_cmpint(tlv_count_records((const unsigned char *)s->str, s->len - 1), ==, -1);
	g_string_free(s, TRUE);
}

/* the bytes of one record: its body, then the processes given, then the end */
static void expect_record(GString *want, const struct flow_record *r, const GString *proc1,
			  const GString *proc2)
{
	GString *full = g_string_new(NULL);

	ntopng_tlv_format_flow(full, r, 0);
	/* the body: all but the record's own process and the end byte */
	g_string_append_len(want, full->str, full->len - proc1->len - 1);
	g_string_append_len(want, proc1->str, proc1->len);
	if (proc2)
		g_string_append_len(want, proc2->str, proc2->len);
	ntopng_tlv_end_record(want);
	g_string_free(full, TRUE);
}

/*
 * Both ends of one connection in a message: each record carries the
 * other's process too (ntopng keeps the first record's processes only); a
 * third record of the same flow pairs with nobody, the records between keep
 * their bytes.
 */
static void test_pairs(void)
{
	struct flow_record out = sample(), other = sample(), in = sample(), third = sample();
	struct ntopng_tlv_msg *m = ntopng_tlv_msg_new();
	GString *want = g_string_new(NTOPNG_TLV_BEGIN), *p_out = g_string_new(NULL),
		*p_in = g_string_new(NULL), *p_other = g_string_new(NULL),
		*p_third = g_string_new(NULL);

	other.key.port = 80; /* another flow: between the two, unpaired */
	other.key.pid = 3;
	in.key.direction = EBPFLOW_DIR_INBOUND;
	in.key.pid = 7;
	in.uid = 0;
	in.user = "root";
	strcpy(in.comm, "server");
	third.key.pid = 9; /* a second client of the same server: the same ntopng flow */
	ntopng_tlv_process(p_out, &out);
	ntopng_tlv_process(p_in, &in);
	ntopng_tlv_process(p_other, &other);
	ntopng_tlv_process(p_third, &third);
	g_assert_true(ntopng_tlv_msg_add(m, &out, 0));
	g_assert_true(ntopng_tlv_msg_add(m, &other, 0));
	g_assert_true(ntopng_tlv_msg_add(m, &in, 0));
	g_assert_true(ntopng_tlv_msg_add(m, &third, 0));
	expect_record(want, &out, p_out, p_in);
	expect_record(want, &other, p_other, NULL);
	expect_record(want, &in, p_in, p_out);
	expect_record(want, &third, p_third, NULL);
	g_assert_cmpmem(ntopng_tlv_msg_payload(m)->str, ntopng_tlv_msg_payload(m)->len, want->str,
			want->len);
	g_assert_cmpuint(ntopng_tlv_msg_records(m), ==, 4);
	g_assert_cmpint(tlv_count_records((const unsigned char *)want->str, want->len), ==, 4);
	/* a new message starts afresh: nothing left to pair with */
	ntopng_tlv_msg_clear(m);
	g_string_assign(want, NTOPNG_TLV_BEGIN);
	g_assert_true(ntopng_tlv_msg_add(m, &in, 0));
	expect_record(want, &in, p_in, NULL);
	g_assert_cmpmem(ntopng_tlv_msg_payload(m)->str, ntopng_tlv_msg_payload(m)->len, want->str,
			want->len);
	ntopng_tlv_msg_free(m);
	g_string_free(want, TRUE);
	g_string_free(p_out, TRUE);
	g_string_free(p_in, TRUE);
	g_string_free(p_other, TRUE);
	g_string_free(p_third, TRUE);
}

/*
 * A command line of 4 KiB goes whole; a longer one is cut between
 * characters and ends in "...", as does one eBPFlow kept the start of.
 */
static void test_long_command_line(void)
{
	char *cmd = sample_long_cmdline();
	struct flow_record r = sample();
	GString *s = g_string_new(NULL);
	/* SRC_PROC_CMDLINE, then its 16-bit length */
	const char *at;

	r.cmdline = cmd;
	ntopng_tlv_process(s, &r);
	at = memmem(s->str, s->len, "\x3b\xe2\xac", 3);
	g_assert_nonnull(at);
	/* 4095 bytes: "é" (4095, 4096) does not fit whole before the mark */
	g_assert_cmpmem(at + 3, 2, "\x10\x02", 2);
	g_assert_cmpmem(at + 5, 4095, cmd, 4095);
	g_assert_cmpmem(at + 5 + 4095, 3, "...", 3);
	g_string_truncate(s, 0);
	cmd[4096] = '\0'; /* 4096 bytes: whole, when eBPFlow kept them all */
	cmd[4095] = 'x';
	ntopng_tlv_process(s, &r);
	at = memmem(s->str, s->len, "\x3b\xe2\xac", 3);
	g_assert_cmpmem(at + 3, 2, "\x10\x00", 2);
	g_assert_cmpmem(at + 5, 4096, cmd, 4096);
	g_string_truncate(s, 0);
	r.cmdline = "a";
	r.cmdline_cut = true;
	ntopng_tlv_process(s, &r);
	g_assert_nonnull(memmem(s->str, s->len, "\x3b\xe2\xac\x00\x04" "a...", 9));
	g_string_free(s, TRUE);
	g_free(cmd);
}

/* a record that would take the message past 64 KiB is refused, whole */
static void test_full(void)
{
	struct flow_record r = sample();
	struct ntopng_tlv_msg *m = ntopng_tlv_msg_new();
	char *name = g_strnfill(1000, 'n');
	GString *one = g_string_new(NULL);
	unsigned int fit;

	r.container = name;
	ntopng_tlv_format_flow(one, &r, 0);
	fit = (NTOPNG_MAX_PAYLOAD - NTOPNG_TLV_BEGIN_LEN) / one->len;
	for (unsigned int i = 0; i < fit; i++)
		g_assert_true(ntopng_tlv_msg_add(m, &r, 0));
	g_assert_false(ntopng_tlv_msg_add(m, &r, 0));
	g_assert_cmpuint(ntopng_tlv_msg_payload(m)->len, ==, NTOPNG_TLV_BEGIN_LEN + fit * one->len);
	g_assert_cmpuint(ntopng_tlv_msg_records(m), ==, fit);
	ntopng_tlv_msg_free(m);
	g_string_free(one, TRUE);
	g_free(name);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ntopng_tlv/integer_widths", test_integer_widths);
	g_test_add_func("/ntopng_tlv/strings", test_strings);
	g_test_add_func("/ntopng_tlv/outbound_tcp", test_outbound_tcp);
	g_test_add_func("/ntopng_tlv/inbound_udp6", test_inbound_udp6);
	g_test_add_func("/ntopng_tlv/message", test_message);
	g_test_add_func("/ntopng_tlv/peer_name", test_peer_name);
	g_test_add_func("/ntopng_tlv/pairs", test_pairs);
	g_test_add_func("/ntopng_tlv/full", test_full);
	g_test_add_func("/ntopng_tlv/long_command_line", test_long_command_line);
	return g_test_run();
}
