// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the encoding: records go through ipfix.c into messages, the
 * messages into a file, and libfixbuf reads them back; every element must
 * come back as it went in, in both profiles, IPv4 and IPv6.
 */
#include <glib.h>
#include <string.h>

#include "dns.h"
#include "ipfix_roundtrip.h"

static void check_same(const struct ipfix_flow_rec *got, const struct flow_record *in)
{
	struct ipfix_flow_rec want;

	ipfix_fill(&want, in, OFFSET);
	g_assert_cmpuint(got->flowStartMilliseconds, ==, 1700000010000ull);
	g_assert_cmpuint(got->flowEndMilliseconds, ==, 1700000012000ull);
	/* each protocol's template carries only what is true of it (ELEMENTS.md) */
	if (in->key.proto == 6) {
		g_assert_cmpuint(got->packetDeltaCount, ==, 0);
		g_assert_cmpuint(got->newConnectionDeltaCount, ==, in->count);
		g_assert_cmpuint(got->deltaFlowCount, ==, in->count);
		g_assert_cmpuint(got->reverseOctetDeltaCount, ==, in->reverse_bytes);
		g_assert_cmpuint(got->failedConnectionDeltaCount, ==, in->failed);
	} else {
		g_assert_cmpuint(got->packetDeltaCount, ==, in->count);
		g_assert_cmpuint(got->newConnectionDeltaCount, ==, 0);
		g_assert_cmpuint(got->deltaFlowCount, ==, 0);
		g_assert_cmpuint(got->reverseOctetDeltaCount, ==, 0);
	}
	g_assert_cmpuint(got->callDeltaCount, ==, in->count);
	g_assert_cmpuint(got->octetDeltaCount, ==, in->bytes);
	g_assert_cmpuint(got->meanTimeBetweenCallsMicroseconds, ==,
			 want.meanTimeBetweenCallsMicroseconds);
	g_assert_cmpuint(got->processStartMilliseconds, ==, 1700000005000ull);
	g_assert_cmpuint(got->cgroupId, ==, 4026531835ull);
	g_assert_cmpuint(got->processId, ==, in->key.pid);
	g_assert_cmpuint(got->processUserId, ==, 65534);
	g_assert_cmpstr((char *)got->processName.buf, ==, "iperf3");
	g_assert_cmpstr((char *)got->userName.buf, ==, "nobody");
	/* processUserName, or SRC_PROC_USER_NAME / DST_PROC_USER_NAME in the ntop profile */
	g_assert_cmpstr((char *)got->processUserName.buf, ==, "nobody");
	g_assert_cmpstr((char *)got->containerName.buf, ==, "test-client");
	g_assert_cmpstr((char *)got->containerId.buf, ==, in->container_id);
	/* processCommandLine, parentProcessId, parentProcessName, or ntop's SRC_/DST_ ones */
	g_assert_cmpstr((char *)got->processExecutable.buf, ==, in->exe ? in->exe : "");
	g_assert_cmpstr((char *)got->processCommandLine.buf, ==, in->cmdline ? in->cmdline : "");
	g_assert_cmpuint(got->parentProcessId, ==, in->ppid);
	g_assert_cmpstr((char *)got->parentProcessName.buf, ==, in->parent ? in->parent : "");
	/* peerName in both profiles (ntop has no element of that meaning) */
	g_assert_cmpstr((char *)got->peerName.buf, ==, in->peer_name ? in->peer_name : "");
	g_assert_cmpuint(got->destinationTransportPort, ==, 5201);
	g_assert_cmpuint(got->protocolIdentifier, ==, in->key.proto);
	g_assert_cmpuint(got->flowDirection, ==, in->key.direction == EBPFLOW_DIR_INBOUND ? 0 : 1);
	g_assert_cmpuint(got->flowEndReason, ==, FLOW_END_IDLE);
	g_assert_cmpuint(got->ipVersion, ==, in->key.ip_version);
	if (in->key.ip_version == 4) {
		g_assert_cmphex(got->sourceIPv4Address, ==, 0xc0000201);      /* 192.0.2.1 */
		g_assert_cmphex(got->destinationIPv4Address, ==, 0xc6336402); /* 198.51.100.2 */
	} else {
		g_assert_cmpmem(got->sourceIPv6Address, 16, in->key.saddr, 16);
		g_assert_cmpmem(got->destinationIPv6Address, 16, in->key.daddr, 16);
	}
}

static void round_trip(enum ie_profile p)
{
	struct ipfix_config cfg = { .profile = p, .pen = 4242, .domain = 7 };
	struct sink sink = { g_byte_array_new(), 0, 0 };
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&cfg, on_emit, &sink, &err);
	struct flow_record in[4] = { make(4, 0, 100, 3), make(4, 1, 101, 1), make(6, 0, 102, 7),
				     make(6, 1, 103, 2) };
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	char *longest = g_strnfill(DNS_NAME_MAX, 'n');
	GArray *got;
	char *path;

	/* who the process is may be unknown: empty strings and 0 */
	in[1].exe = in[1].cmdline = in[1].parent = NULL;
	in[1].ppid = 0;
	in[2].cmdline = "";
	/* the peer's DNS name (issue 22): known, unknown, the longest there is */
	in[0].peer_name = "api.payments.internal";
	in[3].peer_name = longest;
	g_assert_no_error(err);
	g_assert_true(ipfix_send_templates(x, &err));
	for (int i = 0; i < 4; i++)
		g_assert_true(ipfix_add(x, &in[i], OFFSET, &err));
	g_assert_true(ipfix_flush(x, &err));
	g_assert_cmpuint(ipfix_stats(x)->records, ==, 4);
	g_assert_cmpuint(ipfix_stats(x)->calls, ==, 13);
	path = write_temp(sink.bytes);
	got = read_back(path, p, 4242, names);
	g_assert_cmpuint(got->len, ==, 4);
	for (int i = 0; i < 4; i++)
		check_same(&g_array_index(got, struct ipfix_flow_rec, i), &in[i]);
	/* RFC 5610: the type of every enterprise element of the profile */
	for (const char *const *n = templates_enterprise_names(p); *n; n++) {
		gboolean found = FALSE;

		for (guint i = 0; i < names->len; i++)
			found |= strcmp(g_ptr_array_index(names, i), *n) == 0;
		if (!found)
			g_error("no RFC 5610 type record for %s", *n);
	}
	g_unlink(path);
	g_free(path);
	g_ptr_array_free(names, TRUE);
	free_recs(got);
	g_free(longest);
	g_byte_array_free(sink.bytes, TRUE);
	ipfix_free(x);
}

static void test_round_trip_ebpflow(void)
{
	round_trip(IE_PROFILE_EBPFLOW);
}

static void test_round_trip_ntop(void)
{
	round_trip(IE_PROFILE_NTOP);
}

static void test_many_records_split_into_messages(void)
{
	struct ipfix_config cfg = { .profile = IE_PROFILE_EBPFLOW, .pen = 4242 };
	struct sink sink = { g_byte_array_new(), 0, 0 };
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&cfg, on_emit, &sink, &err);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	uint64_t total = 0;
	GArray *got;
	char *path;

	g_assert_true(ipfix_send_templates(x, &err));
	for (uint32_t i = 0; i < 1000; i++) {
		struct flow_record r = make(i % 2 ? 4 : 6, i % 3 == 0, 1000 + i, i + 1);

		g_assert_true(ipfix_add(x, &r, OFFSET, &err));
	}
	g_assert_true(ipfix_flush(x, &err));
	g_assert_cmpuint(sink.largest, <=, IPFIX_MESSAGE_MAX);
	g_assert_cmpuint(sink.messages, >, 10);
	path = write_temp(sink.bytes);
	got = read_back(path, IE_PROFILE_EBPFLOW, 4242, names);
	g_assert_cmpuint(got->len, ==, 1000);
	for (guint i = 0; i < got->len; i++) {
		const struct ipfix_flow_rec *r = &g_array_index(got, struct ipfix_flow_rec, i);

		g_assert_cmpuint(r->processId, ==, 1000 + i);
		total += r->callDeltaCount; /* packets for UDP, connections for TCP */
	}
	g_assert_cmpuint(total, ==, 1000 * 1001 / 2);
	g_unlink(path);
	g_free(path);
	g_ptr_array_free(names, TRUE);
	free_recs(got);
	g_byte_array_free(sink.bytes, TRUE);
	ipfix_free(x);
}

/* Every set of a message: at least one record (4 bytes of header and more), none past its end. */
static void check_sets(const uint8_t *msg, size_t len, void *ctx)
{
	size_t off = 16;

	g_assert_cmpuint(len, >, 16);
	g_assert_cmpuint((size_t)msg[2] << 8 | msg[3], ==, len);
	while (off < len) {
		size_t set_len = (size_t)msg[off + 2] << 8 | msg[off + 3];

		if (set_len <= 4)
			g_error("a message of %zu bytes holds an empty set (id %u) at %zu", len,
				(unsigned int)msg[off] << 8 | msg[off + 1], off);
		off += set_len;
	}
	g_assert_cmpuint(off, ==, len);
	(*(unsigned int *)ctx)++;
}

/*
 * A template switch (IPv4 to IPv6, outbound to inbound) opens a new set;
 * when its first record does not fit, the message goes out without it, and
 * must not end with the empty set: libfixbuf's readers (ipfixDump,
 * ebpflow-collector) stop there ("End of message reading set header").
 * Process names of every length move the message ends over every offset;
 * UDP and TCP records alternate templates too.
 */
static void test_no_empty_set_at_a_message_end(void)
{
	struct ipfix_config cfg = { .profile = IE_PROFILE_EBPFLOW, .pen = 4242 };
	unsigned int messages = 0;
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&cfg, check_sets, &messages, &err);

	g_assert_true(ipfix_send_templates(x, &err));
	for (uint32_t i = 0; i < 4000; i++) {
		struct flow_record r = make(i % 5 < 3 ? 4 : 6, i % 7 == 0, 1000 + i, 1);

		r.key.proto = i % 3 ? 17 : 6;
		memset(r.comm, 'a', sizeof(r.comm));
		r.comm[i % (sizeof(r.comm) - 1)] = '\0';
		g_assert_true(ipfix_add(x, &r, OFFSET, &err));
	}
	g_assert_true(ipfix_flush(x, &err));
	g_assert_cmpuint(messages, >, 100);
	ipfix_free(x);
}

static void test_single_call_has_no_mtbs(void)
{
	struct flow_record r = make(4, 0, 1, 1);
	struct ipfix_flow_rec f;

	ipfix_fill(&f, &r, OFFSET);
	g_assert_cmpuint(f.meanTimeBetweenCallsMicroseconds, ==, 0);
	r = make(4, 0, 1, 3); /* 3 calls over 2 s */
	ipfix_fill(&f, &r, OFFSET);
	g_assert_cmpuint(f.meanTimeBetweenCallsMicroseconds, ==, 1000000);
}

static void keep_message(const uint8_t *msg, size_t len, void *ctx)
{
	g_ptr_array_add(ctx, g_bytes_new(msg, len));
}

/* The set ids of a message, and the template ids of its template sets. */
static void sets_of(GBytes *m, GArray *set_ids, GArray *tids)
{
	gsize len;
	const uint8_t *b = g_bytes_get_data(m, &len);

	for (size_t off = 16; off + 4 <= len;) {
		uint16_t id = b[off] << 8 | b[off + 1], slen = b[off + 2] << 8 | b[off + 3];

		g_array_append_val(set_ids, id);
		g_assert_cmpuint(slen, >=, 4);
		/* a template set: template id, field count, fields (8 bytes under a PEN) */
		for (size_t t = off + 4; id == 2 && t + 4 <= off + slen;) {
			uint16_t tid = b[t] << 8 | b[t + 1], count = b[t + 2] << 8 | b[t + 3];

			g_array_append_val(tids, tid);
			t += 4;
			for (uint16_t f = 0; f < count; f++)
				t += (b[t] & 0x80) ? 8 : 4;
		}
		off += slen;
	}
}

/*
 * The flow templates travel in a message of their own, before any options
 * template: a collector that stops at an options template it cannot parse
 * (pmacct 1.7.7 and the RFC 5610 one) still learns every flow template.
 */
static void test_flow_templates_first(void)
{
	for (int p = IE_PROFILE_EBPFLOW; p <= IE_PROFILE_NTOP; p++) {
		struct ipfix_config cfg = { .profile = p, .pen = 4242 };
		GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
		GError *err = NULL;
		struct ipfix *x = ipfix_new(&cfg, keep_message, msgs, &err);
		GArray *ids = g_array_new(FALSE, FALSE, sizeof(uint16_t));
		GArray *tids = g_array_new(FALSE, FALSE, sizeof(uint16_t));
		guint m = 0, n = p == IE_PROFILE_EBPFLOW ? 4 : 8;

		g_assert_true(ipfix_send_templates(x, &err));
		g_assert_cmpuint(msgs->len, >=, 2);
		/* the ntop profile's eight no longer fit one message: messages of them alone */
		while (tids->len < n && m < msgs->len)
			sets_of(g_ptr_array_index(msgs, m++), ids, tids);
		for (guint i = 0; i < ids->len; i++)
			g_assert_cmpuint(g_array_index(ids, uint16_t, i), ==, 2);
		/* every flow template of the profile, each once */
		g_assert_cmpuint(tids->len, ==, n);
		for (int v = 4; v <= 6; v += 2)
			for (int in = 0; in <= 1; in++)
				for (int proto = 6; proto <= 17; proto += 11) {
					gboolean found = FALSE;

					for (guint i = 0; i < tids->len; i++)
						found |= g_array_index(tids, uint16_t, i) ==
							 templates_export_tid(p, v, in, proto);
					g_assert_true(found);
				}
		g_array_set_size(ids, 0);
		g_assert_cmpuint(m, <, msgs->len);
		sets_of(g_ptr_array_index(msgs, m), ids, tids);
		g_assert_cmpuint(g_array_index(ids, uint16_t, 0), ==, 3); /* options templates */
		g_array_free(ids, TRUE);
		g_array_free(tids, TRUE);
		g_ptr_array_free(msgs, TRUE);
		ipfix_free(x);
	}
}

/* Whether template tid, in one of msgs, has the element (pen, id); pen 0 for IANA. */
static gboolean template_has(GPtrArray *msgs, uint16_t tid, uint32_t pen, uint16_t id)
{
	for (guint m = 0; m < msgs->len; m++) {
		gsize len;
		const uint8_t *b = g_bytes_get_data(g_ptr_array_index(msgs, m), &len);

		for (size_t off = 16; off + 4 <= len;) {
			uint16_t set = b[off] << 8 | b[off + 1], slen = b[off + 2] << 8 | b[off + 3];

			for (size_t t = off + 4; set == 2 && t + 4 <= off + slen;) {
				uint16_t this = b[t] << 8 | b[t + 1], count = b[t + 2] << 8 | b[t + 3];

				t += 4;
				for (uint16_t f = 0; f < count; f++) {
					uint16_t fid = (b[t] << 8 | b[t + 1]) & 0x7fff;
					uint32_t fpen = (b[t] & 0x80) ? (uint32_t)b[t + 4] << 24 |
									b[t + 5] << 16 | b[t + 6] << 8 | b[t + 7]
								      : 0;

					if (this == tid && fid == id && fpen == pen)
						return TRUE;
					t += (b[t] & 0x80) ? 8 : 4;
				}
			}
			off += slen;
		}
	}
	return FALSE;
}

/*
 * TCP health: known figures come back as sent (means of the record, 0 for a
 * figure never measured, failures split three ways); the retransmissions
 * travel as eBPFlow's element, or in the ntop profile as ntop's
 * RETRANSMITTED_IN_PKTS for an outbound flow (the process's host is the
 * source) and _OUT_PKTS for an inbound one.
 */
static void health_round_trip(enum ie_profile p)
{
	struct ipfix_config cfg = { .profile = p, .pen = 4242, .domain = 7 };
	struct sink sink = { g_byte_array_new(), 0, 0 };
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	struct flow_record in[2] = { make(4, 0, 100, 5), make(4, 1, 101, 3) };
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&cfg, on_emit, &sink, &err);
	struct ipfix *t = ipfix_new(&cfg, keep_message, msgs, &err);
	const struct ipfix_flow_rec *g;
	GArray *got;
	char *path;

	in[0].failed = 4;
	in[0].health = (struct flow_health){ .hs_count = 1, .hs_sum_us = 1500, .hs_min_us = 900,
					     .hs_max_us = 2100, .rtt_count = 2, .rtt_sum_us = 801,
					     .rtt_min_us = 300, .rtt_max_us = 501,
					     .retrans_segs = 7, .failed_refused = 2,
					     .failed_timeout = 1 };
	in[1].health = (struct flow_health){ .rtt_count = 3, .rtt_sum_us = 90, .rtt_min_us = 20,
					     .rtt_max_us = 40, .retrans_segs = 5 };
	g_assert_true(ipfix_send_templates(x, &err));
	for (int i = 0; i < 2; i++)
		g_assert_true(ipfix_add(x, &in[i], OFFSET, &err));
	g_assert_true(ipfix_flush(x, &err));
	path = write_temp(sink.bytes);
	got = read_back(path, p, 4242, names);
	g_assert_cmpuint(got->len, ==, 2);
	g = &g_array_index(got, struct ipfix_flow_rec, 0);
	g_assert_cmpuint(g->failedConnectionDeltaCount, ==, 4);
	g_assert_cmpuint(g->connectionRefusedDeltaCount, ==, 2);
	g_assert_cmpuint(g->connectionTimedOutDeltaCount, ==, 1);
	g_assert_cmpuint(g->connectionFailedOtherDeltaCount, ==, 1);
	g_assert_cmpuint(g->handshakeDeltaCount, ==, 1);
	g_assert_cmpuint(g->handshakeMinimumMicroseconds, ==, 900);
	g_assert_cmpuint(g->handshakeMeanMicroseconds, ==, 1500);
	g_assert_cmpuint(g->handshakeMaximumMicroseconds, ==, 2100);
	g_assert_cmpuint(g->rttSampleDeltaCount, ==, 2);
	g_assert_cmpuint(g->rttMinimumMicroseconds, ==, 300);
	g_assert_cmpuint(g->rttMeanMicroseconds, ==, 400);
	g_assert_cmpuint(g->rttMaximumMicroseconds, ==, 501);
	g_assert_cmpuint(g->retransmittedSegmentDeltaCount, ==, 7);
	g = &g_array_index(got, struct ipfix_flow_rec, 1);
	g_assert_cmpuint(g->handshakeDeltaCount, ==, 0);
	g_assert_cmpuint(g->handshakeMinimumMicroseconds + g->handshakeMeanMicroseconds +
				 g->handshakeMaximumMicroseconds, ==, 0);
	g_assert_cmpuint(g->rttMeanMicroseconds, ==, 30);
	g_assert_cmpuint(g->retransmittedSegmentDeltaCount, ==, 5);
	g_assert_cmpuint(g->connectionFailedOtherDeltaCount, ==, 0);

	g_assert_true(ipfix_send_templates(t, &err));
	for (int in_ = 0; in_ <= 1; in_++) {
		uint16_t tid = templates_export_tid(p, 4, in_, 6);

		g_assert_true(template_has(msgs, tid, 4242, EIE_RTT_MEAN_US));
		g_assert_true(template_has(msgs, tid, 4242, EIE_CONNECTION_REFUSED_DELTA_COUNT));
		g_assert_false(template_has(msgs, templates_export_tid(p, 4, in_, 17), 4242,
					    EIE_RTT_MEAN_US));
		g_assert_cmpint(template_has(msgs, tid, 4242, EIE_RETRANSMITTED_SEGMENT_DELTA_COUNT),
				==, p == IE_PROFILE_EBPFLOW);
		g_assert_cmpint(template_has(msgs, tid, NTOP_PEN, NTOP_RETRANSMITTED_IN_PKTS), ==,
				p == IE_PROFILE_NTOP && !in_);
		g_assert_cmpint(template_has(msgs, tid, NTOP_PEN, NTOP_RETRANSMITTED_OUT_PKTS), ==,
				p == IE_PROFILE_NTOP && in_);
	}
	g_unlink(path);
	g_free(path);
	g_ptr_array_free(names, TRUE);
	g_ptr_array_free(msgs, TRUE);
	free_recs(got);
	g_byte_array_free(sink.bytes, TRUE);
	ipfix_free(x);
	ipfix_free(t);
}

static void test_health_ebpflow(void)
{
	health_round_trip(IE_PROFILE_EBPFLOW);
}

static void test_health_ntop(void)
{
	health_round_trip(IE_PROFILE_NTOP);
}

/* The cut itself: a message of a data set and an empty one keeps the first. */
static void test_drop_empty_sets(void)
{
	uint8_t msg[28] = { 0, 10, 0, 28 };

	msg[16] = 1, msg[19] = 8;  /* set 256, 8 bytes: one 4-byte record */
	msg[24] = 1, msg[27] = 4;  /* set 256, 4 bytes: empty */
	g_assert_cmpuint(ipfix_drop_empty_sets(msg, 28), ==, 24);
	g_assert_cmpuint(msg[2] << 8 | msg[3], ==, 24);
	/* a set whose length runs past the message is not touched */
	msg[19] = 200;
	g_assert_cmpuint(ipfix_drop_empty_sets(msg, 24), ==, 24);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ipfix/round_trip_ebpflow", test_round_trip_ebpflow);
	g_test_add_func("/ipfix/round_trip_ntop", test_round_trip_ntop);
	g_test_add_func("/ipfix/many_records_split", test_many_records_split_into_messages);
	g_test_add_func("/ipfix/single_call_has_no_mtbs", test_single_call_has_no_mtbs);
	g_test_add_func("/ipfix/flow_templates_first", test_flow_templates_first);
	g_test_add_func("/ipfix/no_empty_set_at_a_message_end", test_no_empty_set_at_a_message_end);
	g_test_add_func("/ipfix/drop_empty_sets", test_drop_empty_sets);
	g_test_add_func("/ipfix/health_ebpflow", test_health_ebpflow);
	g_test_add_func("/ipfix/health_ntop", test_health_ntop);
	return g_test_run();
}
