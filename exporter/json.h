/* SPDX-License-Identifier: GPL-2.0-only */
/* -o json: one JSON object per line for each record, as it is reported. */
#ifndef EBPFLOW_JSON_H
#define EBPFLOW_JSON_H

#include <glib.h>

#include "flow.h"

/* Append one record as a JSON object (no newline) to out. */
void json_format_record(GString *out, const struct flow_record *rec, int64_t epoch_offset_ns);
/* Append s as a JSON string literal, quotes included. */
void json_append_string(GString *out, const char *s);

#endif
