// SPDX-License-Identifier: GPL-2.0-only
/*
 * ipfixcol2's element files: libfds reads every file of DIR/system/elements/,
 * then of DIR/user/elements/ (ipfixcol2 -e DIR), one <scope> (a PEN) a file.
 * Without them ipfixcol2 shows eBPFlow's elements as en<PEN>:id<N> with raw
 * values. IANA's and RFC 5103's elements libfds knows already.
 */
#include "mappings.h"

/* libfds scope names must differ from every other file's (iana, cisco, cesnet, ...) */
#define SCOPE_EBPFLOW "ebpflow"
#define SCOPE_NTOP "ntop"

static bool has_pen(GArray *elems, uint32_t pen)
{
	EACH(e, elems)
	{
		if (e->ie->ent == pen)
			return true;
	}
	return false;
}

bool libfds_pen_wanted(GArray *elems, uint32_t pen)
{
	return has_pen(elems, pen);
}

bool libfds_ntop_wanted(GArray *elems, uint32_t pen)
{
	(void)pen;
	return has_pen(elems, NTOP_PEN);
}

/*
 * The element names libfds takes are IANA's (fds_iemgr_str2type, _str2semantic,
 * _str2unit); "default" and "none" are what it assumes without them.
 */
static void write_scope(FILE *f, GArray *elems, const char *profile, uint32_t pen,
			uint32_t scope_pen, const char *scope)
{
	/*
	 * libfds refuses elements it does not know (no <note>), and a comment may
	 * not hold the "--" of the options: a header of its own, without them
	 */
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<!-- libfds element file (ipfixcol2 -e DIR reads DIR/user/elements/) for\n"
		"     eBPFlow's IPFIX export, element profile '%s', PEN %u. Generated from\n"
		"     eBPFlow's templates by ebpflow-mappings: do not edit; for another PEN\n"
		"     run it again with that PEN. How to use it: docs/collectors.md. -->\n",
		profile, pen);
	fprintf(f,
		"<ipfix-elements>\n    <scope>\n        <pen>%u</pen>\n"
		"        <name>%s</name>\n        <biflow mode=\"none\"></biflow>\n"
		"    </scope>\n",
		scope_pen, scope);
	EACH(e, elems)
	{
		const char *sem = semantics_name(e->ie), *u = units_name(e->ie);

		if (e->ie->ent != scope_pen)
			continue;
		fprintf(f, "    <element>\n        <id>%u</id>\n        <name>", e->ie->num);
		xml_text(f, e->ie->ref.name);
		fprintf(f, "</name>\n        <dataType>%s</dataType>\n", type_names(e->ie)->iana);
		fprintf(f, "        <dataSemantics>%s</dataSemantics>\n", sem ? sem : "default");
		if (u)
			fprintf(f, "        <units>%s</units>\n", u);
		fprintf(f, "        <status>current</status>\n    </element>\n");
	}
	fprintf(f, "</ipfix-elements>\n");
}

void write_libfds_pen(FILE *f, GArray *elems, const char *profile, uint32_t pen)
{
	write_scope(f, elems, profile, pen, pen, SCOPE_EBPFLOW);
}

void write_libfds_ntop(FILE *f, GArray *elems, const char *profile, uint32_t pen)
{
	write_scope(f, elems, profile, pen, NTOP_PEN, SCOPE_NTOP);
}
