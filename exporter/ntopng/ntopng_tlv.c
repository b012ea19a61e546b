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
#include "ntopng.h"
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
	/* ntop's, as NTOPNG_NTOP_BASE_ID + n in ntop_flow.h */
	NTOPNG_RETRANSMITTED_IN_PKTS = 57472 + 109,
	NTOPNG_RETRANSMITTED_OUT_PKTS = 57472 + 110,
	NTOPNG_CLIENT_NW_LATENCY_MS = 57472 + 123,
	NTOPNG_SERVER_NW_LATENCY_MS = 57472 + 124,
	NTOPNG_L7_INFO = 57472 + 539, /* ntop's, include/ntop_flow.h */
	/*
	 * ntop's element n (templates.h enum ntop_ie) is key 57472 + n: the
	 * bare n would be read as the NetFlow v9 id n first.
	 */
	NTOPNG_NTOP_BASE_ID = 57472,
};

/* the process's keys on one side of the flow */
struct proc_keys {
	uint32_t pid, name, uid, user_name, container_id, cmdline, father_pid, father_name;
	const char *path; /* by name: ntopng has no id for a process's path */
};

static const struct proc_keys src_proc = {
	.pid = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_PID,
	.name = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_NAME,
	.uid = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_UID,
	.user_name = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_USER_NAME,
	.container_id = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_CONTAINER_ID,
	.cmdline = NTOPNG_NTOP_BASE_ID + NTOP_SRC_PROC_CMDLINE,
	.father_pid = NTOPNG_NTOP_BASE_ID + NTOP_SRC_FATHER_PROC_PID,
	.father_name = NTOPNG_NTOP_BASE_ID + NTOP_SRC_FATHER_PROC_NAME,
	.path = "SRC_PROC_PATH",
};

static const struct proc_keys dst_proc = {
	.pid = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_PID,
	.name = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_NAME,
	.uid = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_UID,
	.user_name = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_USER_NAME,
	.container_id = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_CONTAINER_ID,
	.cmdline = NTOPNG_NTOP_BASE_ID + NTOP_DST_PROC_CMDLINE,
	.father_pid = NTOPNG_NTOP_BASE_ID + NTOP_DST_FATHER_PROC_PID,
	.father_name = NTOPNG_NTOP_BASE_ID + NTOP_DST_FATHER_PROC_NAME,
	.path = "DST_PROC_PATH",
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

void ntopng_tlv_float(GString *out, uint32_t key, float value)
{
	gsize at = begin_item(out);
	enum ntopng_tlv_type kt = put_uint(out, key);

	g_string_append_len(out, (const char *)&value, sizeof(value));
	end_item(out, at, kt, NTOPNG_TLV_FLOAT);
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

void ntopng_tlv_process(GString *out, const struct flow_record *rec)
{
	const struct proc_keys *p =
		rec->key.direction == EBPFLOW_DIR_INBOUND ? &dst_proc : &src_proc;
	char buf[NTOPNG_PROC_STRING_BUF];

	ntopng_tlv_uint(out, p->pid, rec->key.pid);
	ntopng_tlv_string(out, p->name, rec->comm);
	ntopng_tlv_uint(out, p->uid, rec->uid);
	ntopng_tlv_string(out, p->user_name, rec->user);
	ntopng_tlv_string(out, p->container_id, rec->container_id);
	ntopng_tlv_string(out, p->cmdline, ntopng_proc_string(rec->cmdline, rec->cmdline_cut, buf));
	ntopng_tlv_uint(out, p->father_pid, rec->ppid);
	ntopng_tlv_string(out, p->father_name, rec->parent);
	ntopng_tlv_named_string(out, p->path, ntopng_proc_string(rec->exe, false, buf));
}

/* TCP only: the connections' health, as the JSON form's add_health (ntopng.h) */
static void format_health(GString *out, const struct flow_record *rec)
{
	const struct flow_health *h = &rec->health;
	bool in = rec->key.direction == EBPFLOW_DIR_INBOUND;
	double lat = ntopng_nw_latency_ms(rec);

	if (lat > 0)
		ntopng_tlv_float(out, in ? NTOPNG_CLIENT_NW_LATENCY_MS : NTOPNG_SERVER_NW_LATENCY_MS,
				 (float)lat);
	ntopng_tlv_uint(out, in ? NTOPNG_RETRANSMITTED_OUT_PKTS : NTOPNG_RETRANSMITTED_IN_PKTS,
			h->retrans_segs);
	ntopng_tlv_named_uint(out, "connectionRefusedDeltaCount", h->failed_refused);
	ntopng_tlv_named_uint(out, "connectionTimedOutDeltaCount", h->failed_timeout);
	ntopng_tlv_named_uint(out, "connectionFailedOtherDeltaCount",
			      flow_failed_other(rec->failed, h));
	ntopng_tlv_named_uint(out, "handshakeDeltaCount", h->hs_count);
	ntopng_tlv_named_uint(out, "rttSampleDeltaCount", h->rtt_count);
	if (h->hs_count)
		ntopng_tlv_named_uint(out, "handshakeMeanMicroseconds", h->hs_sum_us / h->hs_count);
	if (h->rtt_count)
		ntopng_tlv_named_uint(out, "rttMeanMicroseconds", h->rtt_sum_us / h->rtt_count);
}

/* the record without its process and its end byte */
static void format_body(GString *out, const struct flow_record *rec, int64_t off)
{
	const struct flow_key *k = &rec->key;
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
	ntopng_tlv_named_uint(out, "callDeltaCount", rec->count);
	if (tcp) {
		ntopng_tlv_named_uint(out, "failedConnectionDeltaCount", rec->failed);
		format_health(out, rec);
	}
	ntopng_tlv_named_string(out, "containerName", rec->container);
	/* what ntopng does with each: ntopng_format_flow */
	if (rec->peer_name && *rec->peer_name)
		ntopng_tlv_named_string(out, NTOPNG_KEY_PEER_NAME, rec->peer_name);
	if (ntopng_peer_is_server(rec))
		ntopng_tlv_string(out, NTOPNG_L7_INFO, rec->peer_name);
}

void ntopng_tlv_format_flow(GString *out, const struct flow_record *rec, int64_t off)
{
	format_body(out, rec, off);
	/* last, so that a message can add the other end's process after it */
	ntopng_tlv_process(out, rec);
	ntopng_tlv_end_record(out);
}

/* what ntopng's flow key is made of, and the side: two records of one flow pair up */
struct pair_key {
	uint8_t saddr[EBPFLOW_ADDR_LEN], daddr[EBPFLOW_ADDR_LEN];
	uint16_t port;
	uint8_t proto, ip_version, direction;
	uint8_t pad[3]; /* zero: keys are hashed and compared whole */
};

/* a record of the message */
struct pending {
	gsize proc_at, proc_len; /* its own process items */
	gsize end;		 /* its end byte */
	guint next;		 /* 1 + the next unpaired record with its key, 0: none */
};

struct ntopng_tlv_msg {
	GString *payload;
	GString *body, *proc, *peer; /* the record being added, in parts */
	GArray *pending;	     /* struct pending, in the payload's order */
	/* struct pair_key -> 1 + its first unpaired record: a search per record would
	 * cost as much as the encoding */
	GHashTable *unpaired;
};

static guint pair_key_hash(gconstpointer k)
{
	const unsigned char *b = k;
	guint32 h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < sizeof(struct pair_key); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static gboolean pair_key_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct pair_key));
}

struct ntopng_tlv_msg *ntopng_tlv_msg_new(void)
{
	struct ntopng_tlv_msg *m = g_new0(struct ntopng_tlv_msg, 1);

	m->payload = g_string_sized_new(NTOPNG_MAX_PAYLOAD + 1);
	m->body = g_string_sized_new(256);
	m->proc = g_string_sized_new(128);
	m->peer = g_string_sized_new(128);
	m->pending = g_array_new(FALSE, TRUE, sizeof(struct pending));
	m->unpaired = g_hash_table_new_full(pair_key_hash, pair_key_equal, g_free, NULL);
	return m;
}

void ntopng_tlv_msg_free(struct ntopng_tlv_msg *m)
{
	if (!m)
		return;
	g_string_free(m->payload, TRUE);
	g_string_free(m->body, TRUE);
	g_string_free(m->proc, TRUE);
	g_string_free(m->peer, TRUE);
	g_array_free(m->pending, TRUE);
	g_hash_table_destroy(m->unpaired);
	g_free(m);
}

const GString *ntopng_tlv_msg_payload(const struct ntopng_tlv_msg *m)
{
	return m->payload;
}

unsigned int ntopng_tlv_msg_records(const struct ntopng_tlv_msg *m)
{
	return m->pending->len;
}

void ntopng_tlv_msg_clear(struct ntopng_tlv_msg *m)
{
	g_string_truncate(m->payload, 0);
	g_array_set_size(m->pending, 0);
	g_hash_table_remove_all(m->unpaired);
}

/* the first unpaired record of the other side of key's flow, taken off the list */
static struct pending *take_peer(struct ntopng_tlv_msg *m, const struct pair_key *key)
{
	struct pair_key want = *key;
	struct pending *p;
	gpointer stored, first;

	want.direction = key->direction == EBPFLOW_DIR_INBOUND ? EBPFLOW_DIR_OUTBOUND
							       : EBPFLOW_DIR_INBOUND;
	if (!g_hash_table_lookup_extended(m->unpaired, &want, &stored, &first))
		return NULL;
	p = &g_array_index(m->pending, struct pending, GPOINTER_TO_UINT(first) - 1);
	if (p->next)
		g_hash_table_insert(m->unpaired, g_memdup2(&want, sizeof(want)),
				    GUINT_TO_POINTER(p->next));
	else
		g_hash_table_remove(m->unpaired, &want);
	return p;
}

/* the record just added, last in pending, waits for its peer */
static void add_unpaired(struct ntopng_tlv_msg *m, const struct pair_key *key)
{
	guint index = m->pending->len; /* 1 + the last one's */
	gpointer first = g_hash_table_lookup(m->unpaired, key);
	struct pending *p;

	if (!first) {
		g_hash_table_insert(m->unpaired, g_memdup2(key, sizeof(*key)),
				    GUINT_TO_POINTER(index));
		return;
	}
	/* a few processes at most share a flow of ntopng's: the list stays short */
	p = &g_array_index(m->pending, struct pending, GPOINTER_TO_UINT(first) - 1);
	while (p->next)
		p = &g_array_index(m->pending, struct pending, p->next - 1);
	p->next = index;
}

bool ntopng_tlv_msg_add(struct ntopng_tlv_msg *m, const struct flow_record *rec, int64_t off)
{
	struct pending n = { 0 }, *peer;
	struct pair_key key = { 0 };
	gsize grow;

	memcpy(key.saddr, rec->key.saddr, sizeof(key.saddr));
	memcpy(key.daddr, rec->key.daddr, sizeof(key.daddr));
	key.port = rec->key.port;
	key.proto = rec->key.proto;
	key.ip_version = rec->key.ip_version;
	key.direction = rec->key.direction;
	g_string_truncate(m->body, 0);
	g_string_truncate(m->proc, 0);
	g_string_truncate(m->peer, 0);
	format_body(m->body, rec, off);
	ntopng_tlv_process(m->proc, rec);
	/* this record, and its process in its peer too */
	grow = m->body->len + m->proc->len + 1 + (m->payload->len ? 0 : NTOPNG_TLV_BEGIN_LEN);
	peer = take_peer(m, &key);
	if (peer) {
		g_string_append_len(m->peer, m->payload->str + peer->proc_at, peer->proc_len);
		grow += m->peer->len + m->proc->len;
	}
	if (m->pending->len && m->payload->len + grow > NTOPNG_MAX_PAYLOAD) {
		if (peer) /* the message is full: nothing more pairs in it */
			g_hash_table_remove_all(m->unpaired);
		return false;
	}
	if (!m->payload->len)
		g_string_append_len(m->payload, NTOPNG_TLV_BEGIN, NTOPNG_TLV_BEGIN_LEN);
	if (peer) {
		/*
		 * ntopng takes a flow's processes from the first record that
		 * makes the flow and never adds the other end's later
		 * (ParsedeBPF::update): the first record must carry both.
		 */
		gsize at = peer->end;

		g_string_insert_len(m->payload, at, m->proc->str, m->proc->len);
		for (guint i = 0; i < m->pending->len; i++) {
			struct pending *p = &g_array_index(m->pending, struct pending, i);

			if (p->end >= at) /* the peer's end byte, and every record after it */
				p->end += m->proc->len;
			if (p->proc_at > at)
				p->proc_at += m->proc->len;
		}
	}
	g_string_append_len(m->payload, m->body->str, m->body->len);
	n.proc_at = m->payload->len;
	n.proc_len = m->proc->len;
	g_string_append_len(m->payload, m->proc->str, m->proc->len);
	g_string_append_len(m->payload, m->peer->str, m->peer->len);
	ntopng_tlv_end_record(m->payload);
	n.end = m->payload->len - 1;
	g_array_append_val(m->pending, n);
	if (!peer)
		add_unpaired(m, &key);
	return true;
}
