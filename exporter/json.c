// SPDX-License-Identifier: GPL-2.0-only
/*
 * JSON lines for records. The key set is part of the interface (README):
 * add keys, never rename them.
 */
#include "json.h"

#include <arpa/inet.h>
#include <inttypes.h>

#include "clock.h"

void json_append_string(GString *out, const char *s)
{
	/* comm and user names come from processes: valid UTF-8 is not promised */
	gboolean utf8 = g_utf8_validate(s, -1, NULL);

	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !utf8))
			g_string_append_printf(out, "\\u%04x", *p);
		else
			g_string_append_c(out, (char)*p);
	}
	g_string_append_c(out, '"');
}

/* a mean or bound over count measures, null without one */
static void json_append_stat(GString *out, const char *name, uint64_t count, uint64_t min,
			     uint64_t sum, uint64_t max)
{
	if (!count) {
		g_string_append_printf(out, ",\"%s_min\":null,\"%s_mean\":null,\"%s_max\":null",
				       name, name, name);
		return;
	}
	g_string_append_printf(out,
			       ",\"%s_min\":%" PRIu64 ",\"%s_mean\":%" PRIu64
			       ",\"%s_max\":%" PRIu64,
			       name, min, name, sum / count, name, max);
}

/* TCP records only: the connections' health (issue 21), units in the names */
static void json_append_health(GString *out, const struct flow_record *rec)
{
	const struct flow_health *h = &rec->health;

	json_append_stat(out, "handshake_us", h->hs_count, h->hs_min_us, h->hs_sum_us,
			 h->hs_max_us);
	json_append_stat(out, "rtt_us", h->rtt_count, h->rtt_min_us, h->rtt_sum_us, h->rtt_max_us);
	g_string_append_printf(out,
			       ",\"handshakes\":%" PRIu64 ",\"rtt_samples\":%" PRIu64
			       ",\"retrans_segs\":%" PRIu64 ",\"failed_refused\":%" PRIu64
			       ",\"failed_timeout\":%" PRIu64 ",\"failed_other\":%" PRIu64,
			       h->hs_count, h->rtt_count, h->retrans_segs, h->failed_refused,
			       h->failed_timeout, flow_failed_other(rec->failed, h));
}

void json_format_record(GString *out, const struct flow_record *rec, int64_t off)
{
	const struct flow_key *k = &rec->key;
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	double mtbs = flow_mtbs_s(rec->flow_count, rec->flow_first_ns, rec->last_ns);

	g_string_append_printf(out, "{\"direction\":\"%s\",\"pid\":%u,\"comm\":",
			       k->direction == EBPFLOW_DIR_INBOUND ? "inbound" : "outbound", k->pid);
	json_append_string(out, rec->comm);
	g_string_append_printf(out, ",\"uid\":%u,\"user\":", rec->uid);
	json_append_string(out, rec->user);
	g_string_append(out, ",\"container\":");
	json_append_string(out, rec->container);
	g_string_append(out, ",\"container_id\":");
	json_append_string(out, rec->container_id ? rec->container_id : "");
	g_string_append(out, ",\"exe\":");
	json_append_string(out, rec->exe ? rec->exe : "");
	g_string_append(out, ",\"cmdline\":");
	json_append_string(out, rec->cmdline ? rec->cmdline : "");
	/* only where it is so, as overflow below */
	if (rec->cmdline_cut)
		g_string_append(out, ",\"cmdline_cut\":true");
	g_string_append_printf(out, ",\"ppid\":%u,\"parent\":", rec->ppid);
	json_append_string(out, rec->parent ? rec->parent : "");
	if (rec->thread && *rec->thread) {
		g_string_append(out, ",\"thread\":");
		json_append_string(out, rec->thread);
	}
	g_string_append_printf(out,
			       ",\"ip_version\":%u,\"proto\":\"%s\",\"saddr\":\"%s\",\"daddr\":\"%s\""
			       ",\"dport\":%u",
			       k->ip_version, flow_proto_name(k->proto),
			       flow_addr_str(k, k->saddr, sa, sizeof(sa)),
			       flow_addr_str(k, k->daddr, da, sizeof(da)), k->port);
	/* only when known: the peer's DNS name (issue 22), bytes from a DNS answer */
	if (rec->peer_name && *rec->peer_name) {
		g_string_append(out, ",\"peer_name\":");
		json_append_string(out, rec->peer_name);
	}
	g_string_append_printf(out,
			       ",\"count\":%" PRIu64 ",\"bytes\":%" PRIu64
			       ",\"reverse_bytes\":%" PRIu64 ",\"failed\":%" PRIu64,
			       rec->count, rec->bytes, rec->reverse_bytes, rec->failed);
	/* only where it is so: the key set of a plain record stays as it was */
	if (k->flags & EBPFLOW_KEY_OVERFLOW)
		g_string_append(out, ",\"overflow\":true");
	if (mtbs < 0)
		g_string_append(out, ",\"mtbs_s\":null");
	else
		g_string_append_printf(out, ",\"mtbs_s\":%.9f", mtbs);
	if (k->proto == IPPROTO_TCP)
		json_append_health(out, rec);
	g_string_append_printf(out, ",\"first_ms\":%" PRIu64 ",\"last_ms\":%" PRIu64
				    ",\"end_reason\":\"%s\"}",
			       clock_mono_to_epoch_ms(rec->first_ns, off),
			       clock_mono_to_epoch_ms(rec->end_ns, off),
			       flow_end_reason_name(rec->reason));
}
