/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * -o json's writer: lines queued and written to a descriptor (stdout) with
 * write(2), each line whole or counted as lost, never a line cut short
 * followed by others. stdio is not used: its buffer splits lines across
 * writes and keeps their errors until a flush that nobody checks.
 */
#ifndef EBPFLOW_JSONOUT_H
#define EBPFLOW_JSONOUT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* queued lines are written once they hold this much, else at each flush */
#define JSON_OUT_BATCH (64u << 10)

struct json_out_stats {
	uint64_t records;        /* record lines written */
	uint64_t records_lost;   /* record lines not written */
	uint64_t calls_lost;     /* the calls those records carried */
	uint64_t others_lost;    /* other lines (the accounting) not written */
	uint64_t lost_by_error;  /* lines lost to errors other than EPIPE */
	bool gone;               /* EPIPE: nobody reads; nothing more is written */
};

struct json_out;

struct json_out *json_out_new(int fd);
/* Frees what is queued unwritten: flush first. */
void json_out_free(struct json_out *j);
/*
 * Queue line (a newline is added) carrying calls calls (a record), or, with
 * record false, another line. Returns what json_out_flush returns when the
 * queue was full enough to be written, else 0.
 */
int json_out_add(struct json_out *j, const GString *line, bool record, uint64_t calls);
/*
 * Write what is queued. Returns 0, or the errno of a failure: the lines not
 * written whole are counted as lost; on a regular file a line cut short is
 * cut away again (ftruncate), elsewhere nothing more is written after it.
 * EPIPE (the reader went away) is final too.
 */
int json_out_flush(struct json_out *j);
const struct json_out_stats *json_out_stats(const struct json_out *j);

#endif
