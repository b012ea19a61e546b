// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fBuf runs in manual mode over a buffer exporter: a full message makes
 * fBufAppend fail with FB_ERROR_EOM, and we emit it ourselves. (In automatic
 * mode libfixbuf would overwrite the buffer before we could send it.)
 */
#include "ipfix.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "appids.h"
#include "clock.h"

/* nfcapd starts a file every 300 s by default: each needs the id table */
#define APPIDS_RESEND_US (300 * G_USEC_PER_SEC)
/* what ends a string that was cut (templates/ELEMENTS.md) */
#define CUT_MARK "..."
#define CUT_MARK_LEN 3
/* a message's header (RFC 7011 3.1), then a set's */
#define MESSAGE_OVERHEAD (16 + 4)
/* the longest length prefix of a variable-length element (RFC 7011 7) */
#define VARLEN_PREFIX_MAX 3

struct ipfix {
	struct ipfix_config cfg;
	fbInfoModel_t *model;
	fbSession_t *session;
	fbExporter_t *exporter;
	fBuf_t *fbuf;
	uint8_t buf[IPFIX_MESSAGE_MAX];
	uint16_t cur_int, cur_ext; /* templates set on the fBuf */
	bool pending;              /* the current message holds something */
	ipfix_emit_fn emit;
	void *ctx;
	struct ipfix_stats stats;
	struct appids *appids; /* NULL: no application ids */
	gint64 appids_sent_us; /* when the table last went out whole */
	uint64_t now_ns; /* monotonic, at the last flush: a process's time of use */
	size_t string_room; /* bytes a record's strings may take and fit a message alone */
	char cut_exe[IPFIX_MESSAGE_MAX], cut_cmdline[IPFIX_MESSAGE_MAX];
	char cut_peer[IPFIX_MESSAGE_MAX];
};

static fbVarfield_t varfield(const char *s)
{
	fbVarfield_t v = { .buf = (uint8_t *)(s ? s : ""), .len = s ? strlen(s) : 0 };

	return v;
}

static uint32_t u32_sat(uint64_t x)
{
	return x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

/* TCP: the connections' health; IPFIX has no null, so 0 stands for no measure */
static void fill_health(struct ipfix_flow_rec *r, const struct flow_record *rec)
{
	const struct flow_health *h = &rec->health;

	r->connectionRefusedDeltaCount = h->failed_refused;
	r->connectionTimedOutDeltaCount = h->failed_timeout;
	r->connectionFailedOtherDeltaCount = flow_failed_other(rec->failed, h);
	r->handshakeDeltaCount = h->hs_count;
	r->rttSampleDeltaCount = h->rtt_count;
	if (h->hs_count) {
		r->handshakeMinimumMicroseconds = h->hs_min_us;
		r->handshakeMeanMicroseconds = u32_sat(h->hs_sum_us / h->hs_count);
		r->handshakeMaximumMicroseconds = h->hs_max_us;
	}
	if (h->rtt_count) {
		r->rttMinimumMicroseconds = h->rtt_min_us;
		r->rttMeanMicroseconds = u32_sat(h->rtt_sum_us / h->rtt_count);
		r->rttMaximumMicroseconds = h->rtt_max_us;
	}
	r->retransmittedSegmentDeltaCount = u32_sat(h->retrans_segs);
}

void ipfix_fill(struct ipfix_flow_rec *r, const struct flow_record *rec, int64_t off)
{
	const struct flow_key *k = &rec->key;

	memset(r, 0, sizeof(*r));
	r->flowStartMilliseconds = clock_mono_to_epoch_ms(rec->first_ns, off);
	r->flowEndMilliseconds = clock_mono_to_epoch_ms(rec->end_ns, off);
	/* only the elements true of the protocol are in its template (ELEMENTS.md) */
	if (k->proto == IPPROTO_TCP) {
		r->newConnectionDeltaCount = u32_sat(rec->count);
		r->deltaFlowCount = rec->count;
		r->reverseOctetDeltaCount = rec->reverse_bytes;
		r->failedConnectionDeltaCount = rec->failed;
		fill_health(r, rec);
	} else {
		r->packetDeltaCount = rec->count;
	}
	r->callDeltaCount = rec->count;
	r->octetDeltaCount = rec->bytes;
	if (rec->flow_count > 1 && rec->last_ns > rec->flow_first_ns)
		r->meanTimeBetweenCallsMicroseconds =
			(rec->last_ns - rec->flow_first_ns) / (rec->flow_count - 1) / 1000;
	r->processStartMilliseconds = clock_mono_to_epoch_ms(k->start_ns, off);
	r->cgroupId = rec->cgroup_id;
	if (k->ip_version == 4) {
		uint32_t s, d;

		memcpy(&s, k->saddr, 4);
		memcpy(&d, k->daddr, 4);
		r->sourceIPv4Address = ntohl(s);
		r->destinationIPv4Address = ntohl(d);
	} else {
		memcpy(r->sourceIPv6Address, k->saddr, 16);
		memcpy(r->destinationIPv6Address, k->daddr, 16);
	}
	r->processName.buf = (uint8_t *)rec->comm;
	r->processName.len = strnlen(rec->comm, sizeof(rec->comm));
	r->userName.buf = (uint8_t *)rec->user;
	r->userName.len = strlen(rec->user);
	r->processUserName = r->userName;
	r->containerId.buf = (uint8_t *)(rec->container_id ? rec->container_id : "");
	r->containerId.len = strlen((const char *)r->containerId.buf);
	r->containerName.buf = (uint8_t *)rec->container;
	r->containerName.len = strlen(rec->container);
	r->processExecutable = varfield(rec->exe);
	r->processCommandLine = varfield(rec->cmdline);
	r->parentProcessName = varfield(rec->parent);
	r->peerName = varfield(rec->peer_name);
	r->parentProcessId = rec->ppid;
	r->processId = k->pid;
	r->processUserId = rec->uid;
	r->destinationTransportPort = k->port;
	r->protocolIdentifier = k->proto;
	r->flowDirection = k->direction == EBPFLOW_DIR_INBOUND ? 0 : 1;
	r->flowEndReason = rec->reason;
	r->ipVersion = k->ip_version;
}

/*
 * The bytes one record's strings may take, for a record alone in a message
 * to fit: what the profile's largest template leaves, each string counted
 * with its longest length prefix.
 */
static size_t strings_room(enum ie_profile p, bool appids)
{
	uint16_t tids[TEMPLATES_EXPORT_MAX];
	size_t n = templates_export_tids(p, tids), fixed_max = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t flags = templates_flags(p, tids[i]) | (appids ? TF_APPID : 0);
		size_t fixed = 0;

		for (const fbInfoElementSpec_t *s = flow_spec; s->name; s++)
			if ((s->flags & flags) == s->flags && !(s->flags & TF_INTERNAL))
				fixed += s->len_override == FB_IE_VARLEN ? VARLEN_PREFIX_MAX
									 : s->len_override;
		fixed_max = MAX(fixed_max, fixed);
	}
	return IPFIX_MESSAGE_MAX - MESSAGE_OVERHEAD - fixed_max;
}

/*
 * v in at most room bytes, in buf: its first bytes and the mark when it is
 * too long or marked already cut. Whole UTF-8 characters, as far as they
 * are: a reader would show a broken last one.
 */
static void cut(fbVarfield_t *v, bool marked, size_t room, char *buf)
{
	size_t keep = v->len;

	if (!marked && v->len <= room)
		return;
	if (room < CUT_MARK_LEN) {
		v->len = 0;
		return;
	}
	if (keep > room - CUT_MARK_LEN) {
		keep = room - CUT_MARK_LEN;
		while (keep && (v->buf[keep] & 0xc0) == 0x80)
			keep--;
	}
	memcpy(buf, v->buf, keep);
	memcpy(buf + keep, CUT_MARK, CUT_MARK_LEN);
	v->buf = (uint8_t *)buf;
	v->len = keep + CUT_MARK_LEN;
}

/*
 * The executable and the command line are the process's, of any length (a
 * path up to 4 KiB, the command line as [flows] cmdline_bytes says): they
 * share what the other strings leave. The command line gives way first: it
 * is the longer, and often cut already.
 */
static void fit_strings(struct ipfix *x, struct ipfix_flow_rec *r, bool cmdline_cut)
{
	size_t others = r->processName.len + r->userName.len + r->processUserName.len +
			r->containerId.len + r->containerName.len + r->parentProcessName.len;
	size_t room = x->string_room > others ? x->string_room - others : 0;
	size_t marks = (r->processExecutable.len ? CUT_MARK_LEN : 0) +
		       (r->processCommandLine.len ? CUT_MARK_LEN : 0);
	size_t exe, cmd_room;

	/*
	 * The peer's name (at most 253 bytes) before them: shorter and what a
	 * reader looks for; cut (marked) only when the names above are all at
	 * their longest, leaving the others room for their marks.
	 */
	cut(&r->peerName, false, room > marks ? room - marks : 0, x->cut_peer);
	room -= MIN(room, r->peerName.len);
	exe = r->processExecutable.len;
	cmd_room = room > exe ? room - exe : 0;

	if (r->processCommandLine.len && cmd_room < CUT_MARK_LEN)
		cmd_room = MIN(room, CUT_MARK_LEN); /* its mark at least says there was one */
	cut(&r->processCommandLine, cmdline_cut, cmd_room, x->cut_cmdline);
	cut(&r->processExecutable, false, room - r->processCommandLine.len, x->cut_exe);
}

/*
 * libfixbuf 2.4 writes a set's header before the record that should follow;
 * when the record does not fit, the message ends with an empty set, which
 * collectors flag as malformed (tshark: "No flow information"). Records of
 * UDP and TCP flows alternate templates, so it happens often: take such sets
 * out and fix the message length. Returns the new length.
 */
size_t ipfix_drop_empty_sets(uint8_t *msg, size_t len)
{
	size_t in = 16, out = 16; /* after the message header (RFC 7011 3.1) */

	while (in + 4 <= len) {
		size_t set_len = (size_t)msg[in + 2] << 8 | msg[in + 3];

		if (set_len < 4 || in + set_len > len)
			return len; /* not ours to judge: leave it as it is */
		if (set_len > 4) {
			memmove(msg + out, msg + in, set_len);
			out += set_len;
		}
		in += set_len;
	}
	if (in != len)
		return len;
	msg[2] = (uint8_t)(out >> 8);
	msg[3] = (uint8_t)out;
	return out;
}

static gboolean emit(struct ipfix *x, GError **err)
{
	size_t len;

	if (!x->pending)
		return TRUE;
	if (!fBufEmit(x->fbuf, err))
		return FALSE;
	x->pending = false;
	len = fbExporterGetMsgLen(x->exporter);
	if (len)
		len = ipfix_drop_empty_sets(x->buf, len);
	if (len <= 16)
		return TRUE; /* nothing but a header */
	x->stats.messages++;
	x->stats.octets += len;
	x->emit(x->buf, len, x->ctx);
	return TRUE;
}

struct ipfix *ipfix_new(const struct ipfix_config *c, ipfix_emit_fn emit_fn, void *ctx, GError **err)
{
	struct ipfix *x = g_new0(struct ipfix, 1);
	fbTemplate_t *type_tmpl;

	x->cfg = *c;
	x->emit = emit_fn;
	x->ctx = ctx;
	x->model = fbInfoModelAlloc();
	templates_add_elements(x->model, c->pen);
	x->session = fbSessionAlloc(x->model);
	/* the domain first: templates are kept per domain */
	fbSessionSetDomain(x->session, c->domain);
	if (!templates_add_flow_templates(x->session, c->profile, c->application_ids, err))
		goto fail;
	if (!templates_add_stats(x->session, err))
		goto fail;
	x->string_room = strings_room(c->profile, c->application_ids);
	x->appids_sent_us = g_get_monotonic_time();
	x->now_ns = (uint64_t)x->appids_sent_us * 1000u;
	if (c->application_ids) {
		if (!templates_add_appids(x->session, err))
			goto fail;
		x->appids = appids_new(c->pen, c->domain, APPIDS_MAX);
	}
	type_tmpl = fbInfoElementAllocTypeTemplate(x->model, err);
	if (!type_tmpl)
		goto fail;
	if (!fbSessionAddTemplate(x->session, TRUE, TID_TYPE_INFO, type_tmpl, err) ||
	    !fbSessionAddTemplate(x->session, FALSE, TID_TYPE_INFO, type_tmpl, err))
		goto fail;
	/* the fBuf after the templates, or each template goes out twice */
	x->exporter = fbExporterAllocBuffer(x->buf, sizeof(x->buf));
	x->fbuf = fBufAllocForExport(x->session, x->exporter);
	fBufSetAutomaticMode(x->fbuf, FALSE);
	return x;
fail:
	ipfix_free(x);
	return NULL;
}

void ipfix_free(struct ipfix *x)
{
	if (!x)
		return;
	if (x->fbuf)
		fBufFree(x->fbuf); /* frees the session and the exporter with it */
	else if (x->session)
		fbSessionFree(x->session);
	if (x->model)
		fbInfoModelFree(x->model);
	appids_free(x->appids);
	g_free(x);
}

static gboolean set_templates(struct ipfix *x, uint16_t itid, uint16_t etid, GError **err)
{
	if (itid != x->cur_int) {
		if (!fBufSetInternalTemplate(x->fbuf, itid, err))
			return FALSE;
		x->cur_int = itid;
	}
	if (etid != x->cur_ext) {
		if (!fBufSetExportTemplate(x->fbuf, etid, err))
			return FALSE;
		x->cur_ext = etid;
	}
	return TRUE;
}

/*
 * Run one append; on end of message, emit what the message holds and try
 * once more. libfixbuf also answers end of message to the first template
 * after data, to make templates start a message of their own.
 */
#define APPEND_RETRYING(x, err, call)                                                   \
	({                                                                              \
		gboolean ok_ = (call);                                                  \
		if (!ok_ && g_error_matches(*(err), FB_ERROR_DOMAIN, FB_ERROR_EOM)) {   \
			g_clear_error(err);                                             \
			ok_ = emit((x), (err)) && (call);                               \
		}                                                                       \
		ok_;                                                                    \
	})

/*
 * One application options record in a data set of its own: nfdump 1.7.1
 * reads the first record of a set only. Changing the export template closes
 * the set.
 */
static gboolean add_appid(const struct ipfix_appid_rec *a, void *ctx, GError **err)
{
	struct ipfix *x = ctx;

	if (!set_templates(x, TID_INTERNAL_APPLICATION, TID_APPLICATION, err) ||
	    !APPEND_RETRYING(x, err, fBufAppend(x->fbuf, (uint8_t *)a, sizeof(*a), err)))
		return FALSE;
	x->pending = true;
	if (!fBufSetExportTemplate(x->fbuf, TID_EXPORTER_STATS, err))
		return FALSE;
	x->cur_ext = TID_EXPORTER_STATS;
	return TRUE;
}

gboolean ipfix_add(struct ipfix *x, const struct flow_record *rec, int64_t off, GError **err)
{
	int inbound = rec->key.direction == EBPFLOW_DIR_INBOUND;
	struct ipfix_flow_rec r;

	ipfix_fill(&r, rec, off);
	fit_strings(x, &r, rec->cmdline_cut);
	if (x->appids) {
		/* a process's name goes before its first record: nfdump reads in order */
		bool fresh;
		const struct ipfix_appid_rec *a = appids_note(x->appids, rec, x->now_ns, &fresh);

		if (a && fresh && !add_appid(a, x, err))
			return FALSE;
		if (a)
			memcpy(r.applicationId, a->applicationId, sizeof(r.applicationId));
		else
			appids_id(x->appids, &rec->key, r.applicationId);
		x->stats.appids_refused = appids_refused(x->appids);
	}
	if (!set_templates(x, templates_internal_tid(x->cfg.profile, inbound),
			   templates_export_tid(x->cfg.profile, rec->key.ip_version, inbound,
						rec->key.proto),
			   err))
		return FALSE;
	if (!APPEND_RETRYING(x, err, fBufAppend(x->fbuf, (uint8_t *)&r, sizeof(r), err)))
		return FALSE;
	x->pending = true;
	x->stats.records++;
	x->stats.calls += rec->count;
	return TRUE;
}

/* Export one template; true if it went into the message. */
static gboolean export_template(struct ipfix *x, uint16_t tid, GError **err)
{
	if (!APPEND_RETRYING(x, err, fbSessionExportTemplate(x->session, tid, err)))
		return FALSE;
	x->pending = true;
	return TRUE;
}

/* The whole id table, after the templates, and at least every nfcapd file. */
static gboolean send_appids(struct ipfix *x, GError **err)
{
	gint64 now = g_get_monotonic_time();

	appids_expire(x->appids, (uint64_t)now * 1000u);
	x->appids_sent_us = now;
	return appids_foreach(x->appids, add_appid, x, err) && emit(x, err);
}

gboolean ipfix_flush(struct ipfix *x, GError **err)
{
	gint64 now = g_get_monotonic_time();

	/* read once a pass, not once a record */
	x->now_ns = (uint64_t)now * 1000u;
	if (x->appids && now - x->appids_sent_us >= APPIDS_RESEND_US) {
		if (!emit(x, err) || !export_template(x, TID_APPLICATION, err) ||
		    !send_appids(x, err))
			return FALSE;
	}
	return emit(x, err);
}

/*
 * The flow templates go first, in a message of their own, and the RFC 5610
 * options template last: a collector that cannot parse an options template
 * stops reading its message there and would lose every template after it
 * (pmacct 1.7.7 refuses the RFC 5610 one, whose name and description are
 * variable-length, and so never learned the IPv6 flow template). The
 * application template is the first of its options template set: nfdump
 * reads no other.
 */
gboolean ipfix_send_templates(struct ipfix *x, GError **err)
{
	const char *const *names = templates_enterprise_names(x->cfg.profile);
	uint16_t flow[TEMPLATES_EXPORT_MAX];
	size_t n = templates_export_tids(x->cfg.profile, flow);

	if (!emit(x, err))
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (!export_template(x, flow[i], err))
			return FALSE;
	if (!emit(x, err) ||
	    (x->appids && !export_template(x, TID_APPLICATION, err)) ||
	    !export_template(x, TID_EXPORTER_STATS, err) ||
	    !export_template(x, TID_TYPE_INFO, err))
		return FALSE;
	for (size_t i = 0; names[i]; i++) {
		const fbInfoElement_t *ie = fbInfoModelGetElementByName(x->model, names[i]);

		if (!APPEND_RETRYING(x, err, fbInfoElementWriteOptionsRecord(
						     x->fbuf, ie, TID_TYPE_INFO, TID_TYPE_INFO, err)))
			return FALSE;
		x->pending = true;
	}
	/* the options records left the fBuf on the type-information templates */
	x->cur_int = x->cur_ext = TID_TYPE_INFO;
	x->stats.template_sends++;
	if (!emit(x, err))
		return FALSE;
	return !x->appids || send_appids(x, err);
}

gboolean ipfix_add_exporter_stats(struct ipfix *x, const struct ipfix_stats_rec *r, GError **err)
{
	if (!set_templates(x, TID_INTERNAL_STATS, TID_EXPORTER_STATS, err))
		return FALSE;
	if (!APPEND_RETRYING(x, err, fBufAppend(x->fbuf, (uint8_t *)r, sizeof(*r), err)))
		return FALSE;
	x->pending = true;
	return TRUE;
}

const struct ipfix_stats *ipfix_stats(const struct ipfix *x)
{
	return &x->stats;
}
