// SPDX-License-Identifier: GPL-2.0-only
/*
 * nDPI's TLV serialization of a record, as ntopng's parseSingleTLVFlow reads
 * it (see ntopng_tlv.h for the layout). ntopng takes a key of integer type as
 * a NetFlow v9 id, or as ntop's (57472 + n) when it is not one, and any other
 * key by name; values it maps by the same switch as JSON's, so the fields
 * and their meaning are ntopng_format_flow's (docs/collectors.md).
 */
#include "ntopng_tlv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "clock.h"
#include "templates.h"

/* ntopng's include/ntop_flow.h: NetFlow v9 ids, and ntop's above NTOPNG_NTOP_BASE_ID */
enum ntopng_key {
	NTOPNG_IN_BYTES = 1,
	NTOPNG_IN_PKTS = 2,
	NTOPNG_PROTOCOL = 4,
	NTOPNG_IPV4_SRC_ADDR = 8,
	NTOPNG_L4_DST_PORT = 11,
	NTOPNG_IPV4_DST_ADDR = 12,
	NTOPNG_LAST_SWITCHED = 21,
	NTOPNG_FIRST_SWITCHED = 22,
	NTOPNG_OUT_BYTES = 23,
	NTOPNG_IPV6_SRC_ADDR = 27,
	NTOPNG_IPV6_DST_ADDR = 28,
	NTOPNG_IP_PROTOCOL_VERSION = 60,
	NTOPNG_DIRECTION = 61,
	NTOPNG_FLOW_END_REASON = 136,
	/*
	 * ntop's element n (templates.h enum ntop_ie) is key 57472 + n: the
	 * bare n would be read as the NetFlow v9 id n first.
	 */
	NTOPNG_NTOP_BASE_ID = 57472,
};

/* the process's keys on one side of the flow */
struct proc_keys {
	uint32_t pid, name, uid, user_name, container_id;
};

static const struct proc_keys src_proc = {
	.pid = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_PID,
	.name = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_NAME,
	.uid = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_UID,
	.user_name = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_USER_NAME,
	.container_id = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_CONTAINER_ID,
};

static const struct proc_keys dst_proc = {
	.pid = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_PID,
	.name = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_NAME,
	.uid = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_UID,
	.user_name = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_USER_NAME,
	.container_id = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_CONTAINER_ID,
};

/* big-endian in the fewest of 1, 2, 4, 8 bytes; returns its type */
static enum ntopng_tlv_type put_uint(GString *out, uint64_t v)
{
	unsigned char b[8];
	enum ntopng_tlv_type t;
	int n;

	if (v <= UINT8_MAX)
		n = 1, t = NTOPNG_TLV_UINT8;
	else if (v <= UINT16_MAX)
		n = 2, t = NTOPNG_TLV_UINT16;
	else if (v <= UINT32_MAX)
		n = 4, t = NTOPNG_TLV_UINT32;
	else
		n = 8, t = NTOPNG_TLV_UINT64;
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
	g_string_append_len(out, (const char *)b, n);
	return t;
}

static enum ntopng_tlv_type put_string(GString *out, const char *s)
{
	/* the length is 16 bits: nothing eBPFlow sends comes near, but never wrap */
	size_t len = MIN(strlen(s ? s : ""), UINT16_MAX);
	unsigned char l[2] = { (unsigned char)(len >> 8), (unsigned char)len };

	g_string_append_len(out, (const char *)l, 2);
	g_string_append_len(out, s, len);
	return NTOPNG_TLV_STRING;
}

/*
 * The type byte comes first but depends on the widths chosen after it: write
 * a placeholder and fill it in. A key wider than 32 bits does not exist (an
 * integer key is at most a uint32 in nDPI).
 */
static gsize begin_item(GString *out)
{
	g_string_append_c(out, '\0');
	return out->len - 1;
}

static void end_item(GString *out, gsize at, enum ntopng_tlv_type key, enum ntopng_tlv_type value)
{
	out->str[at] = (char)(key << 4 | value);
}

void ntopng_tlv_uint(GString *out, uint32_t key, uint64_t value)
{
	gsize at = begin_item(out);
	enum ntopng_tlv_type kt = put_uint(out, key);

	end_item(out, at, kt, put_uint(out, value));
}

void ntopng_tlv_string(GString *out, uint32_t key, const char *value)
{
	gsize at = begin_item(out);
	enum ntopng_tlv_type kt = put_uint(out, key);

	end_item(out, at, kt, put_string(out, value));
}

void ntopng_tlv_named_uint(GString *out, const char *key, uint64_t value)
{
	gsize at = begin_item(out);

	put_string(out, key);
	end_item(out, at, NTOPNG_TLV_STRING, put_uint(out, value));
}

void ntopng_tlv_named_string(GString *out, const char *key, const char *value)
{
	gsize at = begin_item(out);

	put_string(out, key);
	end_item(out, at, NTOPNG_TLV_STRING, put_string(out, value));
}

void ntopng_tlv_end_record(GString *out)
{
	g_string_append_c(out, NTOPNG_TLV_END_OF_RECORD);
}

void ntopng_tlv_format_flow(GString *out, const struct flow_record *rec, int64_t off)
{
	const struct flow_key *k = &rec->key;
	const struct proc_keys *p = k->direction == EBPFLOW_DIR_INBOUND ? &dst_proc : &src_proc;
	bool v6 = k->ip_version == 6, tcp = k->proto == IPPROTO_TCP;
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];

	ntopng_tlv_uint(out, NTOPNG_IP_PROTOCOL_VERSION, k->ip_version);
	/* addresses as text: ntopng parses either family from a string */
	ntopng_tlv_string(out, v6 ? NTOPNG_IPV6_SRC_ADDR : NTOPNG_IPV4_SRC_ADDR,
			  flow_addr_str(k, k->saddr, sa, sizeof(sa)));
	ntopng_tlv_string(out, v6 ? NTOPNG_IPV6_DST_ADDR : NTOPNG_IPV4_DST_ADDR,
			  flow_addr_str(k, k->daddr, da, sizeof(da)));
	/* a number, as in JSON (ntopng_format_flow says why there is no source port) */
	ntopng_tlv_uint(out, NTOPNG_L4_DST_PORT, k->port);
	ntopng_tlv_uint(out, NTOPNG_PROTOCOL, k->proto);
	if (!tcp)
		ntopng_tlv_uint(out, NTOPNG_IN_PKTS, rec->count);
	ntopng_tlv_uint(out, NTOPNG_IN_BYTES, rec->bytes);
	if (tcp)
		ntopng_tlv_uint(out, NTOPNG_OUT_BYTES, rec->reverse_bytes);
	ntopng_tlv_uint(out, NTOPNG_FIRST_SWITCHED,
			clock_mono_to_epoch_ms(rec->first_ns, off) / 1000);
	ntopng_tlv_uint(out, NTOPNG_LAST_SWITCHED, clock_mono_to_epoch_ms(rec->end_ns, off) / 1000);
	ntopng_tlv_uint(out, NTOPNG_DIRECTION, k->direction == EBPFLOW_DIR_INBOUND ? 0 : 1);
	ntopng_tlv_string(out, NTOPNG_FLOW_END_REASON, flow_end_reason_name(rec->reason));
	ntopng_tlv_uint(out, p->pid, k->pid);
	ntopng_tlv_string(out, p->name, rec->comm);
	ntopng_tlv_uint(out, p->uid, rec->uid);
	ntopng_tlv_string(out, p->user_name, rec->user);
	ntopng_tlv_string(out, p->container_id, rec->container_id);
	ntopng_tlv_named_uint(out, "callDeltaCount", rec->count);
	if (tcp)
		ntopng_tlv_named_uint(out, "failedConnectionDeltaCount", rec->failed);
	ntopng_tlv_named_string(out, "containerName", rec->container);
	ntopng_tlv_end_record(out);
}
