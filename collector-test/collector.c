// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-collector: a small IPFIX collector (libfixbuf) that prints every
 * data record it receives as one JSON object per line, elements by name,
 * eBPFlow's enterprise elements included. It is the project's conformance
 * check and a tool to point an exporter at to see what arrives.
 *
 *   ebpflow-collector --udp HOST:PORT [--pen N] [--count N]
 *   ebpflow-collector --file PATH [--pen N]
 *
 * Flow records print the elements their template carries; RFC 5610 type
 * records print as {"_record":"element_type", ...}. Elements eBPFlow does
 * not send are not decoded.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "templates.h"

#define TID_COLLECT_TYPE_INFO 0xff10

struct collector {
	fbInfoModel_t *model;
	fbSession_t *session;
	uint64_t records;
	uint64_t limit; /* stop after this many flow records; 0: never */
};

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

		if (len == FB_IE_VARLEN)
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

/* Read records until the end of the input (a file) or the limit. */
static gboolean collect(struct collector *c, fBuf_t *fbuf, GError **err)
{
	union {
		struct ipfix_flow_rec flow;
		fbInfoElementOptRec_t type;
		struct ipfix_stats_rec stats;
	} rec;
	fbInfoElementSpec_t scope = { "exportingProcessId", 0, 0 };

	for (;;) {
		uint16_t etid = 0, itid;
		size_t len = sizeof(rec);
		uint32_t flags = 0;
		fbTemplate_t *ext = fBufNextCollectionTemplate(fbuf, &etid, err);
		gboolean type_info, stats;

		if (!ext)
			return FALSE;
		type_info = fbInfoModelTypeInfoRecord(ext);
		stats = !type_info && fbTemplateGetOptionsScope(ext) &&
			fbTemplateContainsElementByName(ext, &scope);
		if (type_info)
			itid = TID_COLLECT_TYPE_INFO;
		else if (stats)
			itid = TID_INTERNAL_STATS;
		else
			flags = choose_internal(ext, &itid);
		if (!fBufSetInternalTemplate(fbuf, itid, err))
			return FALSE;
		memset(&rec, 0, sizeof(rec));
		if (!fBufNext(fbuf, (uint8_t *)&rec, &len, err))
			return FALSE;
		if (type_info) {
			print_type_info(&rec.type);
			continue;
		}
		if (stats) {
			print_exporter_stats(&rec.stats);
			continue;
		}
		print_flow(c, ext, etid, flags, (const uint8_t *)&rec.flow);
		if (c->limit && ++c->records >= c->limit)
			return TRUE;
	}
}

static gboolean add_internal_templates(struct collector *c, GError **err)
{
	fbTemplate_t *t;

	if (!templates_add_to_session(c->session, IE_PROFILE_EBPFLOW, err) ||
	    !templates_add_to_session(c->session, IE_PROFILE_NTOP, err))
		return FALSE;
	if (!templates_add_stats(c->session, err))
		return FALSE;
	t = fbInfoElementAllocTypeTemplate(c->model, err);
	return t && fbSessionAddTemplate(c->session, TRUE, TID_COLLECT_TYPE_INFO, t, err);
}

/*
 * libfixbuf hides its UDP socket; a burst of messages (a thousand flows
 * reported at once) overflows the kernel's default receive buffer, as with
 * any UDP collector (nfcapd has -B for it). Enlarge every datagram socket of
 * ours: only the listener's exists at this point.
 */
static void enlarge_receive_buffers(int bytes)
{
	for (int fd = 3; fd < 1024; fd++) {
		int type = 0;
		socklen_t len = sizeof(type);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_DGRAM)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	}
}

static void usage(FILE *f)
{
	fputs("Usage: ebpflow-collector --udp HOST:PORT [--pen N] [--count N]\n"
	      "       ebpflow-collector --file PATH [--pen N]\n"
	      "Print every IPFIX data record received as one JSON object per line.\n"
	      "  --udp HOST:PORT  listen for IPFIX over UDP (IPv6 in brackets: [::1]:4739)\n"
	      "  --file PATH      read an IPFIX file ('-' for standard input)\n"
	      "  --pen N          PEN of eBPFlow's elements (default 32473, as the exporter)\n"
	      "  --count N        exit after N flow records\n"
	      "Example: ebpflow-collector --udp 127.0.0.1:4739 & sudo ebpflow -o none --collector "
	      "127.0.0.1:4739\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "udp", required_argument, NULL, 'u' }, { "file", required_argument, NULL, 'f' },
		{ "pen", required_argument, NULL, 'p' }, { "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },      { 0 },
	};
	struct collector c = { 0 };
	char *udp = NULL, *file = NULL, *end;
	unsigned long pen = EBPFLOW_PEN_DEFAULT;
	fbConnSpec_t spec = { 0 };
	GError *err = NULL;
	fBuf_t *fbuf = NULL;
	fbListener_t *listener = NULL;
	int opt, rc = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u': udp = optarg; break;
		case 'f': file = optarg; break;
		case 'p':
			pen = strtoul(optarg, &end, 10);
			if (*end || !pen || pen > UINT32_MAX) {
				fprintf(stderr, "ebpflow-collector: --pen: '%s' is not a PEN\n", optarg);
				return 2;
			}
			break;
		case 'n':
			c.limit = strtoull(optarg, &end, 10);
			if (*end) {
				fprintf(stderr, "ebpflow-collector: --count: '%s' is not a number\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!udp == !file || optind < argc) {
		usage(stderr);
		return 2;
	}

	c.model = fbInfoModelAlloc();
	templates_add_elements(c.model, (uint32_t)pen);
	c.session = fbSessionAlloc(c.model);
	if (!add_internal_templates(&c, &err))
		goto fail;

	if (file) {
		fbCollector_t *coll = fbCollectorAllocFile(NULL, file, &err);

		if (!coll)
			goto fail;
		fbuf = fBufAllocForCollection(c.session, coll);
	} else {
		char *colon = strrchr(udp, ':');

		if (!colon || colon == udp) {
			fprintf(stderr, "ebpflow-collector: --udp: '%s' is not HOST:PORT\n", udp);
			return 2;
		}
		*colon = '\0';
		spec.transport = FB_UDP;
		spec.host = udp[0] == '[' ? udp + 1 : udp;
		if (udp[0] == '[' && colon[-1] == ']')
			colon[-1] = '\0';
		spec.svc = colon + 1;
		listener = fbListenerAlloc(&spec, c.session, NULL, NULL, &err);
		if (!listener)
			goto fail;
		enlarge_receive_buffers(32 << 20);
		fprintf(stderr, "ebpflow-collector: listening on UDP %s port %s\n", spec.host,
			spec.svc);
		fbuf = fbListenerWait(listener, &err);
		if (!fbuf)
			goto fail;
	}
	/* every record of a message in turn, messages read as needed */
	fBufSetAutomaticMode(fbuf, TRUE);
	if (collect(&c, fbuf, &err))
		goto out;
	if (g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF))
		goto out;
fail:
	fprintf(stderr, "ebpflow-collector: %s\n", err ? err->message : "failed");
	rc = 1;
out:
	g_clear_error(&err);
	if (listener)
		fbListenerFree(listener);
	else if (fbuf)
		fBufFree(fbuf);
	return rc;
}
