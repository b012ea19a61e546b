// SPDX-License-Identifier: GPL-2.0-only
/* The accounting of calls (stats.h), and its JSON, IPFIX and log forms. */
#include "stats.h"

#include <inttypes.h>
#include <string.h>

#include "log.h"

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
	s->connections_unfollowed = k[EBPFLOW_STAT_CONN_FULL];
	s->closes_refused = k[EBPFLOW_STAT_CLOSE_LOST];
	s->calls_reported = reported;
	s->calls_live = live;
	s->records = records;
	s->calls_folded = k[EBPFLOW_STAT_FOLDED];
	s->dns_answers = k[EBPFLOW_STAT_DNS_ANSWERS];
	s->dns_dropped = k[EBPFLOW_STAT_DNS_DROPPED];
	s->dns_long = k[EBPFLOW_STAT_DNS_LONG];
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
	g_string_append_printf(out, ",\"connections_unfollowed\":%" PRIu64
			       ",\"closes_refused\":%" PRIu64,
			       s->connections_unfollowed, s->closes_refused);
	g_string_append_printf(out, ",\"calls_folded\":%" PRIu64 ",\"flows_unread\":%" PRIu64
			       ",\"uids\":[",
			       s->calls_folded, s->flows_unread);
	for (size_t i = 0; i < s->ntop; i++)
		g_string_append_printf(out,
				       "%s{\"uid\":%u,\"calls_folded\":%" PRIu64
				       ",\"calls_refused\":%" PRIu64 ",\"flows_unread\":%" PRIu64 "}",
				       i ? "," : "", s->top[i].uid, s->top[i].calls_folded,
				       s->top[i].calls_refused, s->top[i].flows_unread);
	g_string_append_printf(out, "],\"dns_answers\":%" PRIu64 ",\"dns_dropped\":%" PRIu64
			       ",\"dns_bad\":%" PRIu64 ",\"dns_long\":%" PRIu64
			       ",\"dns_names\":%" PRIu64 ",\"dns_names_evicted\":%" PRIu64 "}",
			       s->dns_answers, s->dns_dropped, s->dns_bad, s->dns_long, s->dns_names,
			       s->dns_names_evicted);
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

void stats_log(const struct ebpflow_stats *s, bool at_exit)
{
	pr_info("%scalls: %llu counted by the kernel, %llu reported in %llu records, %llu live, "
		"%llu filtered out, %llu lost\n",
		at_exit ? "at exit: " : "", (unsigned long long)s->kernel_calls,
		(unsigned long long)s->calls_reported, (unsigned long long)s->records,
		(unsigned long long)s->calls_live, (unsigned long long)s->calls_filtered,
		(unsigned long long)s->calls_lost);
	if (s->dns_answers || s->dns_dropped)
		pr_info("%sDNS: %llu answers, %llu lost (ring full), %llu malformed, %llu cut (over "
			"%d bytes); %llu addresses named, %llu forgotten early (table full)\n",
			at_exit ? "at exit: " : "", (unsigned long long)s->dns_answers,
			(unsigned long long)s->dns_dropped, (unsigned long long)s->dns_bad,
			(unsigned long long)s->dns_long, EBPFLOW_DNS_CAPTURE,
			(unsigned long long)s->dns_names, (unsigned long long)s->dns_names_evicted);
	if (at_exit && s->calls_lost)
		pr_warn("%llu calls were lost (%llu refused by a full flow map, the rest in %llu "
			"flows evicted before they were read, %llu of them never read: raise "
			"--map-size or lower --interval)\n",
			(unsigned long long)s->calls_lost, (unsigned long long)s->calls_refused,
			(unsigned long long)s->flows_evicted, (unsigned long long)s->flows_unread);
	if (at_exit && s->ntop) {
		GString *who = g_string_new(NULL);

		stats_uids_text(who, s);
		if (s->calls_lost)
			pr_warn("whose: %s\n", who->str);
		else
			pr_info("%llu calls folded into overflow flows (users over "
				"--uid-flow-budget): %s\n",
				(unsigned long long)s->calls_folded, who->str);
		g_string_free(who, TRUE);
	}
	if (at_exit && (s->connections_unfollowed || s->closes_refused))
		pr_warn("the bytes and health of %llu TCP connections are missing: %llu were not "
			"followed (no room: more connections open at once than eBPFlow can follow), "
			"%llu closes were refused by a full flow map (raise --map-size)\n",
			(unsigned long long)(s->connections_unfollowed + s->closes_refused),
			(unsigned long long)s->connections_unfollowed,
			(unsigned long long)s->closes_refused);
	if (at_exit && s->udp_no_peer)
		pr_info("%llu UDP calls on unconnected sockets named no peer (recv() without an "
			"address): their peer address is unspecified\n",
			(unsigned long long)s->udp_no_peer);
}
