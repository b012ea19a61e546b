// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decoding half of ebpflow-collector: every record of an IPFIX stream
 * printed as one JSON object per line, eBPFlow's elements by name. Shared by
 * the collector and its fuzz target.
 */
#include "decode.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TID_COLLECT_TYPE_INFO 0xff10


static void print_string(GString *out, const uint8_t *s, size_t len)
{
	g_string_append_c(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_c(out, (char)c);
	}
	g_string_append_c(out, '"');
}

static void print_value(GString *out, const fbInfoElement_t *ie, const uint8_t *p, uint16_t len)
{
	char addr[INET6_ADDRSTRLEN];
	uint64_t v = 0;

	switch (ie->type) {
	case FB_IP4_ADDR: {
		uint32_t a;

		memcpy(&a, p, 4);
		a = htonl(a); /* internal records hold IPv4 in host order */
		g_string_append_printf(out, "\"%s\"", inet_ntop(AF_INET, &a, addr, sizeof(addr)));
		return;
	}
	case FB_IP6_ADDR:
		g_string_append_printf(out, "\"%s\"", inet_ntop(AF_INET6, p, addr, sizeof(addr)));
		return;
	case FB_STRING:
	case FB_OCTET_ARRAY: {
		const fbVarfield_t *vf = (const void *)p;

		if (ie->type == FB_OCTET_ARRAY && len != FB_IE_VARLEN) {
			/* bytes, not text: applicationId */
			g_string_append_c(out, '"');
			for (uint16_t i = 0; i < len; i++)
				g_string_append_printf(out, "%02x", p[i]);
			g_string_append_c(out, '"');
		} else if (len == FB_IE_VARLEN)
			print_string(out, vf->buf, vf->len);
		else
			print_string(out, p, strnlen((const char *)p, len));
		return;
	}
	default:
		switch (len) {
		case 1: v = *p; break;
		case 2: v = *(const uint16_t *)p; break;
		case 4: v = *(const uint32_t *)p; break;
		case 8: v = *(const uint64_t *)p; break;
		}
		g_string_append_printf(out, "%llu", (unsigned long long)v);
	}
}

/* Which of eBPFlow's internal templates fits an external one. */
static uint32_t choose_internal(fbTemplate_t *ext, uint16_t *itid)
{
	fbInfoElementSpec_t src = { "SRC_PROC_PID", 0, 0 }, dst = { "DST_PROC_PID", 0, 0 };

	if (fbTemplateContainsElementByName(ext, &src)) {
		*itid = TID_INTERNAL_NTOP_OUT;
		return templates_flags(IE_PROFILE_NTOP, *itid);
	}
	if (fbTemplateContainsElementByName(ext, &dst)) {
		*itid = TID_INTERNAL_NTOP_IN;
		return templates_flags(IE_PROFILE_NTOP, *itid);
	}
	*itid = TID_INTERNAL_EBPFLOW;
	return templates_flags(IE_PROFILE_EBPFLOW, *itid);
}

static void print_flow(struct collector *c, fbTemplate_t *ext, uint16_t etid, uint32_t flags,
		       const uint8_t *rec)
{
	GString *out = g_string_new(NULL);
	size_t off = 0;

	g_string_append_printf(out, "{\"_template\":%u", etid);
	for (const fbInfoElementSpec_t *s = flow_spec; s->name; s++) {
		const fbInfoElement_t *ie;
		size_t size;

		if ((s->flags & flags) != s->flags)
			continue; /* not in this internal template */
		size = s->len_override == FB_IE_VARLEN ? sizeof(fbVarfield_t) : s->len_override;
		ie = fbInfoModelGetElementByName(c->model, s->name);
		if (!(s->flags & TF_INTERNAL) &&
		    fbTemplateContainsElementByName(ext, (fbInfoElementSpec_t *)s)) {
			g_string_append_printf(out, ",\"%s\":", s->name);
			print_value(out, ie, rec + off, s->len_override);
		}
		off += size;
	}
	g_string_append(out, "}\n");
	fputs(out->str, stdout);
	fflush(stdout);
	g_string_free(out, TRUE);
}

static void print_exporter_stats(const struct ipfix_stats_rec *r)
{
	printf("{\"_record\":\"exporter_stats\",\"exportingProcessId\":%u,"
	       "\"observationTimeMilliseconds\":%llu,\"exportedMessageTotalCount\":%llu,"
	       "\"exportedFlowRecordTotalCount\":%llu,\"exportedOctetTotalCount\":%llu,"
	       "\"packetTotalCount\":%llu,\"ignoredPacketTotalCount\":%llu,"
	       "\"notSentPacketTotalCount\":%llu,\"notSentFlowTotalCount\":%llu}\n",
	       r->exportingProcessId, (unsigned long long)r->observationTimeMilliseconds,
	       (unsigned long long)r->exportedMessageTotalCount,
	       (unsigned long long)r->exportedFlowRecordTotalCount,
	       (unsigned long long)r->exportedOctetTotalCount, (unsigned long long)r->packetTotalCount,
	       (unsigned long long)r->ignoredPacketTotalCount,
	       (unsigned long long)r->notSentPacketTotalCount,
	       (unsigned long long)r->notSentFlowTotalCount);
	fflush(stdout);
}

static void print_type_info(const fbInfoElementOptRec_t *r)
{
	GString *out = g_string_new("{\"_record\":\"element_type\"");

	g_string_append_printf(out,
			       ",\"privateEnterpriseNumber\":%u,\"informationElementId\":%u,"
			       "\"informationElementDataType\":%u,\"informationElementSemantics\":%u,"
			       "\"informationElementUnits\":%u,\"informationElementName\":",
			       r->ie_pen, r->ie_id, r->ie_type, r->ie_semantic, r->ie_units);
	print_string(out, r->ie_name.buf, r->ie_name.len);
	g_string_append(out, ",\"informationElementDescription\":");
	print_string(out, r->ie_desc.buf, r->ie_desc.len);
	g_string_append(out, "}\n");
	fputs(out->str, stdout);
	fflush(stdout);
	g_string_free(out, TRUE);
}

/* Errors of one message's content; the others are the transport's (EOF, IO, CONN, ...). */
static gboolean message_error(const GError *e)
{
	static const int codes[] = { FB_ERROR_TMPL,	 FB_ERROR_EOM,	      FB_ERROR_IPFIX,
				     FB_ERROR_BUFSZ,	 FB_ERROR_NOELEMENT,  FB_ERROR_NETFLOWV9,
				     FB_ERROR_TRANSMISC, FB_ERROR_SFLOW,      FB_ERROR_LAXSIZE };

	for (size_t i = 0; e && i < G_N_ELEMENTS(codes); i++)
		if (g_error_matches(e, FB_ERROR_DOMAIN, codes[i]))
			return TRUE;
	return FALSE;
}

gboolean collector_drop(struct collector *c, GError **err)
{
	gint64 now = g_get_monotonic_time();

	if (!c->drop_malformed || !message_error(*err))
		return FALSE;
	c->dropped++;
	/* the first ten each, then a line a second at most: a flood stays readable */
	if (c->dropped > 10 && now - c->warned_us < G_USEC_PER_SEC) {
		c->unwarned++;
	} else {
		fprintf(stderr, "ebpflow-collector: dropped a datagram: %s", (*err)->message);
		if (c->unwarned)
			fprintf(stderr, " (and %llu more since the last warning)",
				(unsigned long long)c->unwarned);
		fputc('\n', stderr);
		c->unwarned = 0;
		c->warned_us = now;
	}
	g_clear_error(err);
	return TRUE;
}

static void print_application(const struct ipfix_appid_rec *r)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "{\"_record\":\"application\",\"observationDomainId\":%u,"
				    "\"applicationId\":\"",
			       r->observationDomainId);
	for (size_t i = 0; i < sizeof(r->applicationId); i++)
		g_string_append_printf(out, "%02x", r->applicationId[i]);
	g_string_append(out, "\",\"applicationName\":");
	print_string(out, (const uint8_t *)r->applicationName,
		     strnlen(r->applicationName, sizeof(r->applicationName)));
	g_string_append(out, ",\"applicationDescription\":");
	print_string(out, (const uint8_t *)r->applicationDescription,
		     strnlen(r->applicationDescription, sizeof(r->applicationDescription)));
	g_string_append(out, "}\n");
	fputs(out->str, stdout);
	fflush(stdout);
	g_string_free(out, TRUE);
}

/* Read records until the end of the input (a file) or the limit. */
gboolean collector_run(struct collector *c, fBuf_t *fbuf, collector_next_fn next, void *ctx,
		       GError **err)
{
	unsigned long in_message = 0;

	union {
		struct ipfix_flow_rec flow;
		fbInfoElementOptRec_t type;
		struct ipfix_stats_rec stats;
		struct ipfix_appid_rec app;
	} rec;
	fbInfoElementSpec_t scope = { "exportingProcessId", 0, 0 };
	fbInfoElementSpec_t app_name = { "applicationName", 0, 0 };

	/* message by message, so that a message that never ends can be left */
	fBufSetAutomaticMode(fbuf, FALSE);
	for (;;) {
		uint16_t etid = 0, itid;
		size_t len = sizeof(rec);
		uint32_t flags = 0;
		fbTemplate_t *ext = fBufNextCollectionTemplate(fbuf, &etid, err);
		gboolean type_info, stats, app;

		/* the rest of a malformed message is left (its records before stay printed) */
		if (!ext) {
			if (!g_error_matches(*err, FB_ERROR_DOMAIN, FB_ERROR_EOM) &&
			    !collector_drop(c, err))
				return FALSE;
			goto next_message;
		}
		/*
		 * Every real record takes at least a byte of its message (65535 at
		 * most). A template whose records take none would have us read the
		 * same place for ever: leave such a message.
		 */
		if (++in_message > 65535) {
			fprintf(stderr, "ebpflow-collector: records of template %u take no room: "
					"leaving the message\n", etid);
			goto next_message;
		}
		type_info = fbInfoModelTypeInfoRecord(ext);
		stats = !type_info && fbTemplateGetOptionsScope(ext) &&
			fbTemplateContainsElementByName(ext, &scope);
		app = !type_info && fbTemplateGetOptionsScope(ext) &&
		      fbTemplateContainsElementByName(ext, &app_name);
		if (type_info)
			itid = TID_COLLECT_TYPE_INFO;
		else if (stats)
			itid = TID_INTERNAL_STATS;
		else if (app)
			itid = TID_INTERNAL_APPLICATION;
		else
			flags = choose_internal(ext, &itid);
		if (!fBufSetInternalTemplate(fbuf, itid, err))
			return FALSE;
		memset(&rec, 0, sizeof(rec));
		if (!fBufNext(fbuf, (uint8_t *)&rec, &len, err)) {
			if (!collector_drop(c, err))
				return FALSE;
			goto next_message;
		}
		if (type_info) {
			print_type_info(&rec.type);
			continue;
		}
		if (stats) {
			print_exporter_stats(&rec.stats);
			continue;
		}
		if (app) {
			print_application(&rec.app);
			continue;
		}
		print_flow(c, ext, etid, flags, (const uint8_t *)&rec.flow);
		if (++c->records >= c->limit && c->limit)
			return TRUE;
		continue;
next_message:
		g_clear_error(err);
		in_message = 0;
		fbuf = next(fbuf, ctx, err);
		if (!fbuf)
			return FALSE;
		fBufSetAutomaticMode(fbuf, FALSE);
	}
}

static gboolean add_internal_templates(struct collector *c, GError **err)
{
	fbTemplate_t *t;

	if (!templates_add_to_session(c->session, IE_PROFILE_EBPFLOW, err) ||
	    !templates_add_to_session(c->session, IE_PROFILE_NTOP, err))
		return FALSE;
	if (!templates_add_stats(c->session, err) || !templates_add_appids(c->session, err))
		return FALSE;
	t = fbInfoElementAllocTypeTemplate(c->model, err);
	return t && fbSessionAddTemplate(c->session, TRUE, TID_COLLECT_TYPE_INFO, t, err);
}


struct collector *collector_new(uint32_t pen, uint64_t limit, GError **err)
{
	struct collector *c = g_new0(struct collector, 1);

	c->limit = limit;
	c->model = fbInfoModelAlloc();
	templates_add_elements(c->model, pen);
	c->session = fbSessionAlloc(c->model);
	if (!add_internal_templates(c, err)) {
		collector_free(c);
		return NULL;
	}
	return c;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	if (c->session)
		fbSessionFree(c->session);
	fbInfoModelFree(c->model);
	g_free(c);
}

static fBuf_t *next_in_file(fBuf_t *fbuf, void *ctx, GError **err)
{
	return fBufNextMessage(fbuf, err) ? fbuf : NULL;
}

gboolean collector_read_file(const char *path, uint32_t pen, GError **err)
{
	struct collector *c = collector_new(pen, 0, err);
	fbCollector_t *coll;
	fBuf_t *fbuf;
	gboolean ok;

	if (!c)
		return FALSE;
	coll = fbCollectorAllocFile(NULL, path, err);
	if (!coll) {
		collector_free(c);
		return FALSE;
	}
	fbuf = fBufAllocForCollection(c->session, coll);
	ok = collector_run(c, fbuf, next_in_file, NULL, err) ||
	     g_error_matches(*err, FB_ERROR_DOMAIN, FB_ERROR_EOF);
	fBufFree(fbuf); /* and with it the collecting endpoint and the session */
	c->session = NULL;
	collector_free(c);
	return ok;
}
