// SPDX-License-Identifier: GPL-2.0-only
/*
 * A record as ntopng's ZMQ collector parses it (ZMQParserInterface.cpp,
 * parseSingleJSONFlow): keys are nProbe's element names, which ntopng maps
 * itself (IPV4_SRC_ADDR, L4_DST_PORT, SRC_PROC_PID, ...); keys it does not
 * know it keeps as the flow's additional fields, and eBPFlow's own counters
 * go there under their IPFIX element names. docs/collectors.md says what
 * ntopng shows of each.
 */
#include "ntopng.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>

#include "clock.h"
#include "json.h"

void ntopng_header(struct ntopng_hdr *h, const char *topic, uint8_t version, size_t size,
		   uint32_t msg_id, uint32_t source_id)
{
	memset(h, 0, sizeof(*h));
	g_strlcpy(h->url, topic, sizeof(h->url));
	h->version = version;
	h->size = (uint16_t)MIN(size, NTOPNG_MAX_PAYLOAD);
	h->msg_id = htonl(msg_id);
	h->source_id = source_id;
}

static void add_string(GString *out, const char *key, const char *value)
{
	g_string_append_printf(out, ",\"%s\":", key);
	json_append_string(out, value ? value : "");
}

const char *ntopng_proc_string(const char *s, bool cut, char buf[NTOPNG_PROC_STRING_BUF])
{
	size_t keep = s ? strnlen(s, NTOPNG_PROC_STRING_MAX + 1) : 0;

	if (keep <= NTOPNG_PROC_STRING_MAX && !cut)
		return s ? s : "";
	if (keep > NTOPNG_PROC_STRING_MAX) {
		/* between UTF-8 characters: ntopng would show a broken last one */
		keep = NTOPNG_PROC_STRING_MAX;
		while (keep && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
	}
	memcpy(buf, s, keep);
	memcpy(buf + keep, "...", 4);
	return buf;
}

double ntopng_nw_latency_ms(const struct flow_record *rec)
{
	const struct flow_health *h = &rec->health;

	return h->hs_count ? (double)h->hs_sum_us / (double)h->hs_count / 2000.0 : 0;
}

/* TCP only: the connections' health, ntop's keys then eBPFlow's (ntopng.h) */
static void add_health(GString *out, const struct flow_record *rec)
{
	const struct flow_health *h = &rec->health;
	bool in = rec->key.direction == EBPFLOW_DIR_INBOUND;
	double lat = ntopng_nw_latency_ms(rec);

	if (lat > 0)
		g_string_append_printf(out, ",\"%s_NW_LATENCY_MS\":%.3f", in ? "CLIENT" : "SERVER",
				       lat);
	g_string_append_printf(out, ",\"RETRANSMITTED_%s_PKTS\":%" PRIu64, in ? "OUT" : "IN",
			       h->retrans_segs);
	g_string_append_printf(out,
			       ",\"connectionRefusedDeltaCount\":%" PRIu64
			       ",\"connectionTimedOutDeltaCount\":%" PRIu64
			       ",\"connectionFailedOtherDeltaCount\":%" PRIu64
			       ",\"handshakeDeltaCount\":%" PRIu64 ",\"rttSampleDeltaCount\":%" PRIu64,
			       h->failed_refused, h->failed_timeout,
			       flow_failed_other(rec->failed, h), h->hs_count, h->rtt_count);
	if (h->hs_count)
		g_string_append_printf(out, ",\"handshakeMeanMicroseconds\":%" PRIu64,
				       h->hs_sum_us / h->hs_count);
	if (h->rtt_count)
		g_string_append_printf(out, ",\"rttMeanMicroseconds\":%" PRIu64,
				       h->rtt_sum_us / h->rtt_count);
}

bool ntopng_peer_is_server(const struct flow_record *rec)
{
	return rec->peer_name && *rec->peer_name && rec->key.direction == EBPFLOW_DIR_OUTBOUND &&
	       rec->key.port != 53;
}

void ntopng_format_flow(GString *out, const struct flow_record *rec, int64_t off)
{
	const struct flow_key *k = &rec->key;
	/* the process is the side that made the calls: the initiator when outbound */
	const char *side = k->direction == EBPFLOW_DIR_INBOUND ? "DST" : "SRC";
	const char *ip = k->ip_version == 6 ? "IPV6" : "IPV4";
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], key[32], buf[NTOPNG_PROC_STRING_BUF];
	bool tcp = k->proto == IPPROTO_TCP;

	/*
	 * The port as a number: ntopng byte-swaps a number into its flow key,
	 * but stores a string's atoi() unswapped. No L4_SRC_PORT: the
	 * initiator's ephemeral port is not part of a flow. ntopng would guess
	 * the direction from the ports and swap the flow; a process name makes
	 * it an eBPF flow whose direction it keeps.
	 */
	g_string_append_printf(out,
			       "{\"IP_PROTOCOL_VERSION\":%u,\"%s_SRC_ADDR\":\"%s\",\"%s_DST_ADDR\":\"%s\""
			       ",\"L4_DST_PORT\":%u,\"PROTOCOL\":%u",
			       k->ip_version, ip, flow_addr_str(k, k->saddr, sa, sizeof(sa)), ip,
			       flow_addr_str(k, k->daddr, da, sizeof(da)), k->port, k->proto);
	/*
	 * A UDP call is one datagram from the initiator: IN_PKTS. A TCP call is a
	 * connection, not a packet, and eBPFlow counts no TCP packets: no
	 * IN_PKTS; the connections are in callDeltaCount.
	 */
	if (!tcp)
		g_string_append_printf(out, ",\"IN_PKTS\":%" PRIu64, rec->count);
	g_string_append_printf(out, ",\"IN_BYTES\":%" PRIu64, rec->bytes);
	if (tcp)
		g_string_append_printf(out, ",\"OUT_BYTES\":%" PRIu64, rec->reverse_bytes);
	/* ntopng's flow times are Unix seconds */
	g_string_append_printf(out,
			       ",\"FIRST_SWITCHED\":%" PRIu64 ",\"LAST_SWITCHED\":%" PRIu64
			       ",\"DIRECTION\":%u",
			       clock_mono_to_epoch_ms(rec->first_ns, off) / 1000,
			       clock_mono_to_epoch_ms(rec->end_ns, off) / 1000,
			       k->direction == EBPFLOW_DIR_INBOUND ? 0u : 1u);
	add_string(out, "FLOW_END_REASON", flow_end_reason_name(rec->reason));
	/* ntopng reads the pid and uid as JSON integers, the names as strings */
	g_string_append_printf(out, ",\"%s_PROC_PID\":%u", side, k->pid);
	g_snprintf(key, sizeof(key), "%s_PROC_NAME", side);
	add_string(out, key, rec->comm);
	g_string_append_printf(out, ",\"%s_PROC_UID\":%u", side, rec->uid);
	g_snprintf(key, sizeof(key), "%s_PROC_USER_NAME", side);
	add_string(out, key, rec->user);
	g_snprintf(key, sizeof(key), "%s_PROC_CONTAINER_ID", side);
	add_string(out, key, rec->container_id);
	g_snprintf(key, sizeof(key), "%s_PROC_CMDLINE", side);
	add_string(out, key, ntopng_proc_string(rec->cmdline, rec->cmdline_cut, buf));
	g_string_append_printf(out, ",\"%s_FATHER_PROC_PID\":%u", side, rec->ppid);
	g_snprintf(key, sizeof(key), "%s_FATHER_PROC_NAME", side);
	add_string(out, key, rec->parent);
	/* ntopng has no key for the path: it keeps it as an additional field */
	g_snprintf(key, sizeof(key), "%s_PROC_PATH", side);
	add_string(out, key, ntopng_proc_string(rec->exe, false, buf));
	/* eBPFlow's own, under the names of its IPFIX elements (templates/ELEMENTS.md) */
	g_string_append_printf(out, ",\"callDeltaCount\":%" PRIu64, rec->count);
	if (tcp) {
		g_string_append_printf(out, ",\"failedConnectionDeltaCount\":%" PRIu64,
				       rec->failed);
		add_health(out, rec);
	}
	add_string(out, "containerName", rec->container);
	/*
	 * ntopng has no key for a name resolved before the flow: peerName is an
	 * additional field; L7_INFO it shows as the server name of a flow it
	 * takes for TLS or HTTP (ParserInterface.cpp), and ignores otherwise.
	 */
	if (rec->peer_name && *rec->peer_name)
		add_string(out, NTOPNG_KEY_PEER_NAME, rec->peer_name);
	if (ntopng_peer_is_server(rec))
		add_string(out, "L7_INFO", rec->peer_name);
	g_string_append_c(out, '}');
}
