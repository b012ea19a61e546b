// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the templates as data hold together: spec lengths add up to
 * the record struct, every element is defined with the number it is
 * documented with, and templates/ELEMENTS.md names every element sent.
 */
#include <glib.h>
#include <string.h>

#include "templates.h"

static size_t spec_size(uint32_t flags)
{
	size_t n = 0;

	for (const fbInfoElementSpec_t *s = flow_spec; s->name; s++)
		if ((s->flags & flags) == s->flags)
			n += s->len_override == FB_IE_VARLEN ? sizeof(fbVarfield_t) : s->len_override;
	return n;
}

static void test_internal_layout(void)
{
	uint16_t tids[] = { TID_INTERNAL_EBPFLOW };
	uint16_t ntop[] = { TID_INTERNAL_NTOP_OUT, TID_INTERNAL_NTOP_IN };

	for (size_t i = 0; i < G_N_ELEMENTS(tids); i++)
		g_assert_cmpuint(spec_size(templates_flags(IE_PROFILE_EBPFLOW, tids[i])), ==,
				 sizeof(struct ipfix_flow_rec));
	for (size_t i = 0; i < G_N_ELEMENTS(ntop); i++)
		g_assert_cmpuint(spec_size(templates_flags(IE_PROFILE_NTOP, ntop[i])), ==,
				 sizeof(struct ipfix_flow_rec));
	/* the struct has no hidden padding: the spec describes every byte */
	g_assert_cmpuint(sizeof(struct ipfix_flow_rec) % 8, ==, 0);
}

struct expect {
	const char *name;
	uint32_t ent;
	uint16_t num;
};

static void test_element_numbers(void)
{
	fbInfoModel_t *m = fbInfoModelAlloc();
	const struct expect all[] = {
		{ "octetDeltaCount", 0, IANA_OCTET_DELTA_COUNT },
		{ "packetDeltaCount", 0, IANA_PACKET_DELTA_COUNT },
		{ "protocolIdentifier", 0, IANA_PROTOCOL_IDENTIFIER },
		{ "sourceIPv4Address", 0, IANA_SOURCE_IPV4_ADDRESS },
		{ "destinationTransportPort", 0, IANA_DESTINATION_TRANSPORT_PORT },
		{ "destinationIPv4Address", 0, IANA_DESTINATION_IPV4_ADDRESS },
		{ "sourceIPv6Address", 0, IANA_SOURCE_IPV6_ADDRESS },
		{ "destinationIPv6Address", 0, IANA_DESTINATION_IPV6_ADDRESS },
		{ "ipVersion", 0, IANA_IP_VERSION },
		{ "flowDirection", 0, IANA_FLOW_DIRECTION },
		{ "flowEndReason", 0, IANA_FLOW_END_REASON },
		{ "flowStartMilliseconds", 0, IANA_FLOW_START_MILLISECONDS },
		{ "flowEndMilliseconds", 0, IANA_FLOW_END_MILLISECONDS },
		{ "paddingOctets", 0, IANA_PADDING_OCTETS },
		{ "userName", 0, IANA_USER_NAME },
		{ "processId", 4242, EIE_PROCESS_ID },
		{ "processName", 4242, EIE_PROCESS_NAME },
		{ "processUserId", 4242, EIE_PROCESS_USER_ID },
		{ "processUserName", 4242, EIE_PROCESS_USER_NAME },
		{ "containerId", 4242, EIE_CONTAINER_ID },
		{ "containerName", 4242, EIE_CONTAINER_NAME },
		{ "cgroupId", 4242, EIE_CGROUP_ID },
		{ "processStartMilliseconds", 4242, EIE_PROCESS_START_MILLISECONDS },
		{ "callDeltaCount", 4242, EIE_CALL_DELTA_COUNT },
		{ "meanTimeBetweenCallsMicroseconds", 4242, EIE_MEAN_TIME_BETWEEN_CALLS_US },
		{ "processExecutable", 4242, 12 },
		{ "processCommandLine", 4242, 13 },
		{ "parentProcessId", 4242, 14 },
		{ "parentProcessName", 4242, 15 },
		{ "handshakeDeltaCount", 4242, 16 },
		{ "handshakeMinimumMicroseconds", 4242, 17 },
		{ "handshakeMeanMicroseconds", 4242, 18 },
		{ "handshakeMaximumMicroseconds", 4242, 19 },
		{ "rttSampleDeltaCount", 4242, 20 },
		{ "rttMinimumMicroseconds", 4242, 21 },
		{ "rttMeanMicroseconds", 4242, 22 },
		{ "rttMaximumMicroseconds", 4242, 23 },
		{ "retransmittedSegmentDeltaCount", 4242, 24 },
		{ "connectionRefusedDeltaCount", 4242, 25 },
		{ "connectionTimedOutDeltaCount", 4242, 26 },
		{ "connectionFailedOtherDeltaCount", 4242, 27 },
		/* nProbe's list: retransmitted TCP packets src->dst, dst->src */
		{ "RETRANSMITTED_IN_PKTS", NTOP_PEN, 109 },
		{ "RETRANSMITTED_OUT_PKTS", NTOP_PEN, 110 },
		{ "peerName", 4242, 28 },
		{ "SRC_PROC_PID", NTOP_PEN, NTOP_SRC_PROC_PID },
		{ "SRC_PROC_NAME", NTOP_PEN, NTOP_SRC_PROC_NAME },
		{ "SRC_PROC_UID", NTOP_PEN, NTOP_SRC_PROC_UID },
		{ "SRC_PROC_USER_NAME", NTOP_PEN, NTOP_SRC_PROC_USER_NAME },
		{ "SRC_PROC_CONTAINER_ID", NTOP_PEN, NTOP_SRC_PROC_CONTAINER_ID },
		{ "DST_PROC_PID", NTOP_PEN, NTOP_DST_PROC_PID },
		{ "DST_PROC_NAME", NTOP_PEN, NTOP_DST_PROC_NAME },
		{ "DST_PROC_UID", NTOP_PEN, NTOP_DST_PROC_UID },
		{ "DST_PROC_USER_NAME", NTOP_PEN, NTOP_DST_PROC_USER_NAME },
		{ "DST_PROC_CONTAINER_ID", NTOP_PEN, NTOP_DST_PROC_CONTAINER_ID },
		/* ntopng's include/ntop_flow.h (NTOP_BASE_ID + n), nProbe's list */
		{ "SRC_PROC_CMDLINE", NTOP_PEN, 556 },
		{ "DST_PROC_CMDLINE", NTOP_PEN, 557 },
		{ "SRC_FATHER_PROC_PID", NTOP_PEN, 373 },
		{ "SRC_FATHER_PROC_NAME", NTOP_PEN, 374 },
		{ "DST_FATHER_PROC_PID", NTOP_PEN, 378 },
		{ "DST_FATHER_PROC_NAME", NTOP_PEN, 379 },
	};

	templates_add_elements(m, 4242);
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		const fbInfoElement_t *ie = fbInfoModelGetElementByName(m, all[i].name);

		g_assert_nonnull(ie);
		g_assert_cmpuint(ie->ent, ==, all[i].ent);
		g_assert_cmpuint(ie->num, ==, all[i].num);
		/* integers go on the wire in network order */
		if (ie->type >= FB_UINT_8 && ie->type <= FB_UINT_64 && ie->len > 1)
			g_assert_true(ie->flags & FB_IE_F_ENDIAN);
	}
	/* every element a template names exists */
	for (const fbInfoElementSpec_t *s = flow_spec; s->name; s++)
		g_assert_nonnull(fbInfoModelGetElementByName(m, s->name));
	fbInfoModelFree(m);
}

static void test_sessions_accept_templates(void)
{
	GError *err = NULL;

	for (int p = IE_PROFILE_EBPFLOW; p <= IE_PROFILE_NTOP; p++) {
		fbInfoModel_t *m = fbInfoModelAlloc();
		fbSession_t *s;

		templates_add_elements(m, EBPFLOW_PEN_DEFAULT);
		s = fbSessionAlloc(m);
		g_assert_true(templates_add_to_session(s, p, &err));
		g_assert_no_error(err);
		/* one template for each IP version, direction (ntop) and protocol */
		for (int v = 4; v <= 6; v += 2)
			for (int in = 0; in <= 1; in++)
				for (int proto = 6; proto <= 17; proto += 11)
					g_assert_nonnull(fbSessionGetTemplate(
						s, FALSE, templates_export_tid(p, v, in, proto),
						&err));
		fbSessionFree(s);
		fbInfoModelFree(m);
	}
}

static void test_documented(void)
{
	char *doc = NULL;

	g_assert_true(g_file_get_contents(EBPFLOW_SOURCE_DIR "/templates/ELEMENTS.md", &doc, NULL,
					  NULL));
	for (const fbInfoElementSpec_t *s = flow_spec; s->name; s++) {
		char *cell = g_strdup_printf("`%s`", s->name);

		if (!strstr(doc, cell))
			g_error("templates/ELEMENTS.md does not document %s", s->name);
		g_free(cell);
	}
	g_free(doc);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/templates/internal_layout", test_internal_layout);
	g_test_add_func("/templates/element_numbers", test_element_numbers);
	g_test_add_func("/templates/sessions_accept_templates", test_sessions_accept_templates);
	g_test_add_func("/templates/documented", test_documented);
	return g_test_run();
}
