// SPDX-License-Identifier: GPL-2.0-only
/* The accounting of calls (stats.h), and its JSON and IPFIX forms. */
#include "stats.h"

#include <inttypes.h>
#include <string.h>

void stats_account(struct ebpflow_stats *s, const uint64_t k[EBPFLOW_STAT__MAX],
		   uint64_t reported, uint64_t filtered, uint64_t live, uint64_t records,
		   uint64_t renewed, uint64_t entries)
{
	uint64_t made = k[EBPFLOW_STAT_FLOW_CREATED];

	uint64_t accounted;

	s->kernel_calls = k[EBPFLOW_STAT_TCP_CONNECT] + k[EBPFLOW_STAT_TCP_ACCEPT] +
			  k[EBPFLOW_STAT_UDP_SEND] + k[EBPFLOW_STAT_UDP_RECV];
	s->calls_filtered = k[EBPFLOW_STAT_FILTERED] + filtered;
	s->calls_refused = k[EBPFLOW_STAT_UPDATE_FAILED];
	s->udp_no_peer = k[EBPFLOW_STAT_UDP_NO_PEER];
	s->calls_reported = reported;
	s->calls_live = live;
	s->records = records;
	s->calls_folded = k[EBPFLOW_STAT_FOLDED];
	/* entries made after k[] was read may be read already: never below zero */
	s->flows_unread = made > entries ? made - entries : 0;
	s->flows_evicted = renewed + s->flows_unread;
	accounted = s->calls_filtered + reported + live;
	s->calls_lost = s->kernel_calls > accounted ? s->kernel_calls - accounted : 0;
}

void stats_json(GString *out, const struct ebpflow_stats *s)
{
	g_string_append_printf(
		out,
		"{\"type\":\"stats\",\"time_ms\":%" PRIu64 ",\"kernel_calls\":%" PRIu64
		",\"calls_filtered\":%" PRIu64 ",\"calls_reported\":%" PRIu64
		",\"calls_live\":%" PRIu64 ",\"calls_lost\":%" PRIu64 ",\"calls_refused\":%" PRIu64
		",\"flows_evicted\":%" PRIu64 ",\"records\":%" PRIu64 ",\"udp_no_peer\":%" PRIu64
		",\"ipfix_messages\":%" PRIu64 ",\"ipfix_records\":%" PRIu64
		",\"ipfix_octets\":%" PRIu64 ",\"ipfix_messages_lost\":%" PRIu64
		",\"json_records_lost\":%" PRIu64 ",\"json_calls_lost\":%" PRIu64,
		s->time_ms, s->kernel_calls, s->calls_filtered, s->calls_reported, s->calls_live,
		s->calls_lost, s->calls_refused, s->flows_evicted, s->records, s->udp_no_peer,
		s->ipfix_messages, s->ipfix_records, s->ipfix_octets, s->ipfix_messages_lost,
		s->json_records_lost, s->json_calls_lost);
	/* whose: the uids that folded or lost the most */
	g_string_append_printf(out, ",\"calls_folded\":%" PRIu64 ",\"flows_unread\":%" PRIu64
			       ",\"uids\":[",
			       s->calls_folded, s->flows_unread);
	for (size_t i = 0; i < s->ntop; i++)
		g_string_append_printf(out,
				       "%s{\"uid\":%u,\"calls_folded\":%" PRIu64
				       ",\"calls_refused\":%" PRIu64 ",\"flows_unread\":%" PRIu64 "}",
				       i ? "," : "", s->top[i].uid, s->top[i].calls_folded,
				       s->top[i].calls_refused, s->top[i].flows_unread);
	g_string_append(out, "]}");
}

void stats_uids_text(GString *out, const struct ebpflow_stats *s)
{
	for (size_t i = 0; i < s->ntop; i++)
		g_string_append_printf(out,
				       "%suid %u: %" PRIu64 " calls folded, %" PRIu64
				       " refused, %" PRIu64 " flows evicted unread",
				       i ? "; " : "", s->top[i].uid, s->top[i].calls_folded,
				       s->top[i].calls_refused, s->top[i].flows_unread);
}

void stats_ipfix(struct ipfix_stats_rec *r, const struct ebpflow_stats *s, uint32_t pid)
{
	memset(r, 0, sizeof(*r));
	r->exportingProcessId = pid;
	r->observationTimeMilliseconds = s->time_ms;
	r->exportedMessageTotalCount = s->ipfix_messages;
	r->exportedFlowRecordTotalCount = s->ipfix_records;
	r->exportedOctetTotalCount = s->ipfix_octets;
	r->packetTotalCount = s->kernel_calls;
	r->ignoredPacketTotalCount = s->calls_refused;
	r->notSentPacketTotalCount = s->calls_lost > s->calls_refused ? s->calls_lost - s->calls_refused : 0;
	r->notSentFlowTotalCount = s->flows_evicted;
}
