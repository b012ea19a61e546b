/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the writers of ebpflow-mappings share: a profile's elements as the
 * export templates hold them, each format's name for a libfixbuf type, and
 * the file header. mappings.c has the table of formats.
 */
#ifndef EBPFLOW_MAPPINGS_H
#define EBPFLOW_MAPPINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "templates.h"

/* One element of a profile's export templates. */
struct elem {
	const fbInfoElement_t *ie; /* the element in the model: name, type, flags */
	uint16_t len;              /* its length in the templates (FB_IE_VARLEN: varlen) */
	char *snake;               /* process_id: pmacct, goflow2 and Telegraf names */
};

/* What each format calls a libfixbuf type. */
struct type_names {
	const char *iana;     /* IANA data type (libfixbuf XML, libfds) */
	const char *pmacct;   /* aggregate_primitives semantics */
	const char *goflow2;  /* goflow2 protobuf type */
	const char *render;   /* goflow2 renderer; NULL: its default */
	const char *logstash; /* netflow codec type */
	const char *telegraf; /* PEN CSV data type */
};

#define EACH(e, elems)                                                                          \
	for (const struct elem *e = &g_array_index(elems, struct elem, 0);                      \
	     e < &g_array_index(elems, struct elem, 0) + (elems)->len; e++)

typedef void (*writer_fn)(FILE *f, GArray *elems, const char *profile, uint32_t pen);

/* exits when the type has no entry: a new type must be added, not guessed */
const struct type_names *type_names(const fbInfoElement_t *ie);
/* RFC 7012 names as IANA's registry spells them; NULL for none (default) */
const char *semantics_name(const fbInfoElement_t *ie);
const char *units_name(const fbInfoElement_t *ie);
/* s escaped for XML text */
void xml_text(FILE *f, const char *s);

/* ipfixcol2's element files (libfds), one PEN each: --pen's and ntop's */
void write_libfds_pen(FILE *f, GArray *elems, const char *profile, uint32_t pen);
void write_libfds_ntop(FILE *f, GArray *elems, const char *profile, uint32_t pen);
bool libfds_pen_wanted(GArray *elems, uint32_t pen);
bool libfds_ntop_wanted(GArray *elems, uint32_t pen);

#endif
