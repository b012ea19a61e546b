// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-mappings: the files third-party collectors need to name eBPFlow's
 * fields (pmacct, goflow2, Logstash, Telegraf, libfixbuf's tools, ipfixcol2), written
 * from the export templates of templates.c, the one element table. The build
 * runs it; installed, it writes the same files for your own --pen.
 *
 * It walks the templates as the exporter builds them, so a new element needs
 * no change here. What a format needs beyond the table comes from the
 * element's libfixbuf type (type_names) or, for the elements a collector
 * already decodes by itself, from that collector (the *_native tables).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "mappings.h"
#include "templates.h"

/* RFC 5103: reverse elements live under this PEN (Logstash's codec knows them all). */
#define REVERSE_PEN 29305

static const struct {
	enum ie_profile profile;
	const char *name;
} profiles[] = {
	{ IE_PROFILE_EBPFLOW, "ebpflow" },
	{ IE_PROFILE_NTOP, "ntop" },
};

static const struct type_names types[] = {
	[FB_OCTET_ARRAY] = { "octetArray", "raw", "bytes", NULL, ":octetarray", "hex" },
	[FB_UINT_8] = { "unsigned8", "u_int", "varint", NULL, ":uint8", "uint" },
	[FB_UINT_16] = { "unsigned16", "u_int", "varint", NULL, ":uint16", "uint" },
	[FB_UINT_32] = { "unsigned32", "u_int", "varint", NULL, ":uint32", "uint" },
	[FB_UINT_64] = { "unsigned64", "u_int", "varint", NULL, ":uint64", "uint" },
	[FB_BOOL] = { "boolean", "u_int", "varint", NULL, ":uint8", "uint" },
	[FB_MAC_ADDR] = { "macAddress", "mac", "bytes", NULL, ":mac_addr", "hex" },
	[FB_STRING] = { "string", "str", "string", "string", ":string", "string" },
	[FB_DT_SEC] = { "dateTimeSeconds", "u_int", "varint", NULL, ":uint32", "uint" },
	[FB_DT_MILSEC] = { "dateTimeMilliseconds", "u_int", "varint", NULL, ":uint64", "uint" },
	[FB_IP4_ADDR] = { "ipv4Address", "ip", "bytes", "ip", ":ip4_addr", "ip" },
	[FB_IP6_ADDR] = { "ipv6Address", "ip", "bytes", "ip", ":ip6_addr", "ip" },
};

const struct type_names *type_names(const fbInfoElement_t *ie)
{
	if (ie->type < G_N_ELEMENTS(types) && types[ie->type].iana)
		return &types[ie->type];
	g_printerr("ebpflow-mappings: no mapping for the type (%u) of %s: add it to types[]\n",
		   ie->type, ie->ref.name);
	exit(1);
}

/* RFC 7012 semantics and units, as IANA's registry (and libfixbuf's XML) spell them. */
static const char *const semantics[] = {
	NULL, "quantity", "totalCounter", "deltaCounter", "identifier", "flags", "list",
	"snmpCounter", "snmpGauge",
};
static const char *const units[] = {
	NULL, "bits", "octets", "packets", "flows", "seconds", "milliseconds", "microseconds",
	"nanoseconds", "4-octet words", "messages", "hops", "entries", "frames", "ports",
	"inferred",
};

const char *semantics_name(const fbInfoElement_t *ie)
{
	unsigned s = FB_IE_SEMANTIC(ie->flags);

	return s < G_N_ELEMENTS(semantics) ? semantics[s] : NULL;
}

const char *units_name(const fbInfoElement_t *ie)
{
	unsigned u = FB_IE_UNITS(ie->flags);

	return u < G_N_ELEMENTS(units) ? units[u] : NULL;
}

/* Counters and quantities add up; they are no key to aggregate by. */
static bool is_key(const fbInfoElement_t *ie)
{
	unsigned s = FB_IE_SEMANTIC(ie->flags);

	return s != 1 && s != 2 && s != 3 && s != 7 && s != 8 && ie->type != FB_DT_SEC &&
	       ie->type != FB_DT_MILSEC && ie->type != FB_DT_MICROSEC && ie->type != FB_DT_NANOSEC;
}

/* IANA elements a collector decodes by itself, with its own name for them. */
struct native {
	uint16_t num;
	const char *name;
};

static const struct native pmacct_native[] = {
	{ 1, "bytes" },	    { 2, "packets" },	{ 3, "flows" },	      { 4, "proto" },
	{ 7, "src_port" },
	{ 8, "src_host" },  { 11, "dst_port" }, { 12, "dst_host" }, { 27, "src_host" },
	{ 28, "dst_host" },
	{ 152, "timestamp_start" },
	{ 153, "timestamp_end" },
	{ 0, NULL },
};

static const struct native goflow2_native[] = {
	{ 1, "bytes" },	    { 2, "packets" },	{ 4, "proto" },	      { 7, "src_port" },
	{ 8, "src_addr" },  { 11, "dst_port" }, { 12, "dst_addr" }, { 27, "src_addr" },
	{ 28, "dst_addr" },
	{ 60, "etype" },
	{ 152, "time_flow_start_ns" },
	{ 153, "time_flow_end_ns" },
	{ 0, NULL },
};

static const char *native_name(const struct native *n, const fbInfoElement_t *ie)
{
	if (ie->ent)
		return NULL;
	for (; n->name; n++)
		if (n->num == ie->num)
			return n->name;
	return NULL;
}

/* processId -> process_id, SRC_PROC_PID -> src_proc_pid */
static char *snake_case(const char *name)
{
	GString *s = g_string_new(NULL);

	for (const char *c = name; *c; c++) {
		if (g_ascii_isupper(*c) && c > name && (g_ascii_islower(c[-1]) || g_ascii_isdigit(c[-1])))
			g_string_append_c(s, '_');
		g_string_append_c(s, g_ascii_tolower(*c));
	}
	return g_string_free(s, FALSE);
}

static gint by_number(gconstpointer a, gconstpointer b)
{
	const fbInfoElement_t *x = ((const struct elem *)a)->ie, *y = ((const struct elem *)b)->ie;

	if (x->ent != y->ent)
		return x->ent < y->ent ? -1 : 1;
	return (gint)x->num - (gint)y->num;
}

/* The elements of a profile's export templates, each once. */
static GArray *profile_elements(fbInfoModel_t *m, enum ie_profile p)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(struct elem));
	fbSession_t *s = fbSessionAlloc(m);
	uint16_t tids[TEMPLATES_EXPORT_MAX];
	size_t n = templates_export_tids(p, tids);
	GError *err = NULL;

	if (!templates_add_to_session(s, p, &err)) {
		g_printerr("ebpflow-mappings: %s\n", err->message);
		exit(1);
	}
	for (size_t k = 0; k < n; k++) {
		fbTemplate_t *t = fbSessionGetTemplate(s, FALSE, tids[k], &err);

		if (!t) {
			g_printerr("ebpflow-mappings: %s\n", err->message);
			exit(1);
		}
		for (uint32_t i = 0; i < fbTemplateCountElements(t); i++) {
			const fbInfoElement_t *tie = fbTemplateGetIndexedIE(t, i);
			struct elem e = { .ie = tie->ref.canon, .len = tie->len };
			bool seen = false;

			for (guint j = 0; j < out->len; j++)
				seen |= g_array_index(out, struct elem, j).ie == e.ie;
			if (seen)
				continue;
			e.snake = snake_case(e.ie->ref.name);
			g_array_append_val(out, e);
		}
	}
	fbSessionFree(s);
	/* by PEN and id: a new element adds lines without moving the others */
	g_array_sort(out, by_number);
	return out;
}

/* What a file is, where it comes from, how to make it for another PEN. */
static char *header(const char *c, const char *what, const char *profile, uint32_t pen)
{
	return g_strdup_printf(
		"%s %s for eBPFlow's IPFIX export, element profile '%s', PEN %u.\n"
		"%s Generated from eBPFlow's templates (templates/templates.c) by\n"
		"%s ebpflow-mappings: do not edit. For another --pen or profile:\n"
		"%s   ebpflow-mappings --pen NUMBER --out-dir DIR\n"
		"%s How to configure the collector: docs/collectors.md.\n",
		c, what, profile, pen, c, c, c, c);
}

static void print_header(FILE *f, const char *c, const char *what, const char *profile,
			 uint32_t pen)
{
	char *h = header(c, what, profile, pen);

	fputs(h, f);
	g_free(h);
}

/*
 * pmacct reads a variable-length element through aggregate_primitives only
 * under a PEN or from id 384 up before 1.7.8 (Debian 12 has 1.7.7: its
 * NF_custom_primitives_handler); such a primitive would stay empty there.
 */
static bool pmacct_178(const struct elem *e)
{
	return !e->ie->ent && e->len == FB_IE_VARLEN && e->ie->num < 384;
}

/* Add a name to a list unless it is there (8 and 27 are both src_host); true if added. */
static bool add_unique(GPtrArray *names, const char *name)
{
	for (guint i = 0; i < names->len; i++)
		if (!strcmp(g_ptr_array_index(names, i), name))
			return false;
	g_ptr_array_add(names, (gpointer)name);
	return true;
}

static void write_pmacct(FILE *f, GArray *elems, const char *profile, uint32_t pen)
{
	GPtrArray *keys = g_ptr_array_new();

	print_header(f, "!", "nfacctd (pmacct) aggregate_primitives", profile, pen);
	fprintf(f, "!\n! In nfacctd.conf:\n!   aggregate_primitives: THIS_FILE\n!   aggregate: ");
	/* pmacct's own primitives first */
	for (int custom = 0; custom <= 1; custom++) {
		EACH(e, elems)
		{
			const char *n = native_name(pmacct_native, e->ie);

			if (is_key(e->ie) && !pmacct_178(e) && (n == NULL) == custom &&
			    add_unique(keys, n ? n : e->snake))
				fprintf(f, "%s%s", keys->len > 1 ? ", " : "", n ? n : e->snake);
		}
	}
	/* a counter, but pmacct sums deltaFlowCount only when "flows" is asked for */
	EACH(e, elems)
		if (!e->ie->ent && e->ie->num == 3)
			fprintf(f, ", flows");
	fprintf(f, "\n!\n");
	g_ptr_array_free(keys, TRUE);
	EACH(e, elems)
	{
		char len[8];

		if (native_name(pmacct_native, e->ie))
			continue;
		if (e->len == FB_IE_VARLEN)
			strcpy(len, "vlen");
		else
			snprintf(len, sizeof(len), "%u", e->len);
		if (pmacct_178(e))
			fprintf(f, "! pmacct >= 1.7.8 reads the next one (1.7.7 leaves it empty): "
				   "uncomment it, add it to aggregate\n!");
		fprintf(f, "name=%s\tfield_type=", e->snake);
		if (e->ie->ent)
			fprintf(f, "%u:", e->ie->ent);
		fprintf(f, "%u\tlen=%s\tsemantics=%s\n", e->ie->num, len, type_names(e->ie)->pmacct);
	}
}

/*
 * Protobuf field numbers clear of goflow2's own (< 1000) and of protobuf's
 * reserved 19000-19999, and fixed by the element alone: an element added to
 * the templates, under any PEN, moves no other field.
 */
static uint32_t goflow2_index(const fbInfoElement_t *ie)
{
	if (ie->num >= 1000 || ie->ent > 535000) {
		g_printerr("ebpflow-mappings: %s: no goflow2 field number for PEN %u id %u\n",
			   ie->ref.name, ie->ent, ie->num);
		exit(1);
	}
	return ie->ent ? 1000000u + ie->ent * 1000u + ie->num : 1000u + ie->num;
}

static void write_goflow2(FILE *f, GArray *elems, const char *profile, uint32_t pen)
{
	static const char *const always[] = { "type", "time_received_ns", "sequence_num",
					      "sampler_address" };
	GPtrArray *fields = g_ptr_array_new();

	print_header(f, "#", "goflow2 mapping (goflow2 -mapping=THIS_FILE -format=json)", profile, pen);
	fprintf(f, "# Strings are rendered with goflow2's 'string' renderer (goflow2 >= 2.1.2).\n");
	fprintf(f, "formatter:\n  fields:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(always); i++)
		if (add_unique(fields, always[i]))
			fprintf(f, "    - %s\n", always[i]);
	/* goflow2's own fields first */
	for (int custom = 0; custom <= 1; custom++) {
		EACH(e, elems)
		{
			const char *n = native_name(goflow2_native, e->ie);

			if ((n == NULL) == custom && add_unique(fields, n ? n : e->snake))
				fprintf(f, "    - %s\n", n ? n : e->snake);
		}
	}
	fprintf(f, "  protobuf:\n");
	EACH(e, elems)
	{
		if (native_name(goflow2_native, e->ie))
			continue;
		fprintf(f, "    - name: %s\n      index: %u\n      type: %s\n", e->snake,
			goflow2_index(e->ie), type_names(e->ie)->goflow2);
	}
	fprintf(f, "  render:\n    time_received_ns: datetimenano\n");
	EACH(e, elems)
	{
		if (!native_name(goflow2_native, e->ie) && type_names(e->ie)->render)
			fprintf(f, "    %s: %s\n", e->snake, type_names(e->ie)->render);
	}
	fprintf(f, "ipfix:\n  mapping:\n");
	EACH(e, elems)
	{
		if (native_name(goflow2_native, e->ie))
			continue;
		fprintf(f, "    - field: %u\n", e->ie->num);
		if (e->ie->ent)
			fprintf(f, "      pen: %u\n      penprovided: true\n", e->ie->ent);
		fprintf(f, "      destination: %s\n", e->snake);
	}
	g_ptr_array_free(fields, TRUE);
}

/*
 * The codec merges this file over its own definitions one PEN at a time: a
 * PEN it already has (IANA's 0, RFC 5103's reverse one) would replace its
 * whole table, so only the PENs it lacks are written.
 */
static void write_logstash(FILE *f, GArray *elems, const char *profile, uint32_t pen)
{
	GArray *pens = g_array_new(FALSE, FALSE, sizeof(uint32_t));

	print_header(f, "#", "Logstash netflow codec ipfix_definitions", profile, pen);
	EACH(e, elems)
	{
		bool seen = false;

		for (guint i = 0; i < pens->len; i++)
			seen |= g_array_index(pens, uint32_t, i) == e->ie->ent;
		if (!seen && e->ie->ent && e->ie->ent != REVERSE_PEN)
			g_array_append_val(pens, e->ie->ent);
	}
	fprintf(f, "---\n");
	for (guint i = 0; i < pens->len; i++) {
		uint32_t ent = g_array_index(pens, uint32_t, i);

		fprintf(f, "%u:\n", ent);
		EACH(e, elems)
		{
			if (e->ie->ent == ent)
				fprintf(f, "  %u:\n  - %s\n  - :%s\n", e->ie->num,
					type_names(e->ie)->logstash, e->ie->ref.name);
		}
	}
	g_array_free(pens, TRUE);
}

static void write_telegraf(FILE *f, GArray *elems, const char *profile, uint32_t pen)
{
	print_header(f, "#", "Telegraf inputs.netflow private_enterprise_number_files", profile, pen);
	fprintf(f, "# PEN.ID,name,data type\n");
	EACH(e, elems)
	{
		if (e->ie->ent)
			fprintf(f, "%u.%u,%s,%s\n", e->ie->ent, e->ie->num, e->snake,
				type_names(e->ie)->telegraf);
	}
}

void xml_text(FILE *f, const char *s)
{
	char *esc = g_markup_escape_text(s, -1);

	fputs(esc, f);
	g_free(esc);
}

/*
 * Every element of the profile, IANA's included, in IANA's registry format
 * with CERT's enterpriseId, as libfixbuf reads it: the whole record in one
 * file (libfixbuf replaces its own IANA entries with the same definitions).
 */
static void write_xml(FILE *f, GArray *elems, const char *profile, uint32_t pen)
{
	/* in a <note>: an XML comment may not hold the "--" of the options */
	char *h = header("", "IPFIX element registry (ipfixDump --element-file THIS_FILE)",
			 profile, pen);
	char *note = g_markup_escape_text(h, -1);

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<registry id=\"ebpflow_ipfix\" xmlns=\"http://www.iana.org/assignments\"\n"
		   "          xmlns:cert=\"http://www.cert.org/ipfix\">\n"
		   "  <title>eBPFlow IPFIX elements (profile %s)</title>\n  <note>\n%s  </note>\n"
		   "  <registry id=\"ebpflow-information-elements\">\n",
		profile, note);
	g_free(note);
	g_free(h);
	EACH(e, elems)
	{
		const char *sem = semantics_name(e->ie), *u = units_name(e->ie);

		fprintf(f, "    <record>\n      <name>");
		xml_text(f, e->ie->ref.name);
		fprintf(f, "</name>\n      <dataType>%s</dataType>\n", type_names(e->ie)->iana);
		if (sem)
			fprintf(f, "      <dataTypeSemantics>%s</dataTypeSemantics>\n", sem);
		if (u)
			fprintf(f, "      <units>%s</units>\n", u);
		if (e->ie->ent)
			fprintf(f, "      <cert:enterpriseId>%u</cert:enterpriseId>\n", e->ie->ent);
		fprintf(f, "      <elementId>%u</elementId>\n", e->ie->num);
		if (e->ie->description) {
			fprintf(f, "      <description><paragraph>");
			xml_text(f, e->ie->description);
			fprintf(f, "</paragraph></description>\n");
		}
		fprintf(f, "    </record>\n");
	}
	fprintf(f, "  </registry>\n</registry>\n");
}

static const struct {
	const char *format;
	const char *file;
	writer_fn write;
	bool (*wanted)(GArray *elems, uint32_t pen); /* NULL: every profile */
} formats[] = {
	{ "pmacct", "pmacct-primitives.lst", write_pmacct, NULL },
	{ "goflow2", "goflow2-mapping.yaml", write_goflow2, NULL },
	{ "logstash", "logstash-ipfix-definitions.yaml", write_logstash, NULL },
	{ "telegraf", "telegraf-pen.csv", write_telegraf, NULL },
	{ "xml", "ipfix-elements.xml", write_xml, NULL },
	/* libfds (ipfixcol2) reads one PEN a file */
	{ "libfds", "ipfixcol2-ebpflow.xml", write_libfds_pen, libfds_pen_wanted },
	{ "libfds-ntop", "ipfixcol2-ntop.xml", write_libfds_ntop, libfds_ntop_wanted },
};

static void write_file(const char *path, writer_fn w, GArray *elems, const char *profile,
		       uint32_t pen)
{
	char *tmp = g_strconcat(path, ".tmp", NULL);
	FILE *f = fopen(tmp, "w");

	if (!f) {
		g_printerr("ebpflow-mappings: %s: %s\n", tmp, g_strerror(errno));
		exit(1);
	}
	w(f, elems, profile, pen);
	/* a build interrupted half-way leaves no half file under the real name */
	if (fclose(f) || g_rename(tmp, path)) {
		g_printerr("ebpflow-mappings: %s: %s\n", path, g_strerror(errno));
		exit(1);
	}
	g_free(tmp);
}

int main(int argc, char **argv)
{
	gint64 pen = EBPFLOW_PEN_DEFAULT;
	char *out_dir = NULL, *only_profile = NULL, *only_format = NULL;
	GOptionEntry entries[] = {
		{ "pen", 0, 0, G_OPTION_ARG_INT64, &pen, "eBPFlow's PEN (as ebpflow --pen)", "N" },
		{ "out-dir", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
		  "write every format of every profile to DIR/PROFILE/", "DIR" },
		{ "profile", 0, 0, G_OPTION_ARG_STRING, &only_profile,
		  "print one profile (ebpflow, ntop) ...", "NAME" },
		{ "format", 0, 0, G_OPTION_ARG_STRING, &only_format,
		  "... in one format (pmacct, goflow2, logstash, telegraf, xml, libfds, "
		  "libfds-ntop)",
		  "NAME" },
		{ NULL }
	};
	GOptionContext *ctx = g_option_context_new("- collector mappings for eBPFlow's IPFIX");
	GError *err = NULL;
	fbInfoModel_t *m;
	int written = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || pen <= 0 || pen > UINT32_MAX ||
	    (!out_dir && (!only_profile || !only_format))) {
		g_printerr("ebpflow-mappings: %s\n",
			   err ? err->message : "give --out-dir DIR, or --profile and --format");
		return 2;
	}
	g_option_context_free(ctx);
	m = fbInfoModelAlloc();
	templates_add_elements(m, (uint32_t)pen);
	for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
		const char *pname = profiles[p].name;
		GArray *elems;
		char *dir;

		if (only_profile && strcmp(only_profile, pname))
			continue;
		elems = profile_elements(m, profiles[p].profile);
		dir = out_dir ? g_build_filename(out_dir, pname, NULL) : NULL;
		if (dir && g_mkdir_with_parents(dir, 0755)) {
			g_printerr("ebpflow-mappings: %s: %s\n", dir, g_strerror(errno));
			return 1;
		}
		for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
			if ((only_format && strcmp(only_format, formats[i].format)) ||
			    (formats[i].wanted && !formats[i].wanted(elems, (uint32_t)pen)))
				continue;
			if (dir) {
				char *path = g_build_filename(dir, formats[i].file, NULL);

				write_file(path, formats[i].write, elems, pname, (uint32_t)pen);
				g_free(path);
			} else {
				formats[i].write(stdout, elems, pname, (uint32_t)pen);
			}
			written++;
		}
		EACH(e, elems)
		g_free(e->snake);
		g_array_free(elems, TRUE);
		g_free(dir);
	}
	fbInfoModelFree(m);
	g_free(out_dir);
	g_free(only_profile);
	g_free(only_format);
	if (!written) {
		g_printerr("ebpflow-mappings: no such profile or format\n");
		return 2;
	}
	return fflush(stdout) ? 1 : 0;
}
