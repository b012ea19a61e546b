/* SPDX-License-Identifier: GPL-2.0-only */
/* Decoding IPFIX into JSON lines (decode.c). */
#ifndef EBPFLOW_COLLECTOR_DECODE_H
#define EBPFLOW_COLLECTOR_DECODE_H

#include <fixbuf/public.h>
#include <stdint.h>

#include "templates.h"

#define TID_COLLECT_TYPE_INFO 0xff10

struct collector {
	fbInfoModel_t *model;
	fbSession_t *session;
	uint64_t records;
	uint64_t limit; /* stop after this many flow records; 0: never */
	/* UDP: a malformed datagram is dropped, not the end of the input */
	gboolean drop_malformed;
	uint64_t dropped;
	uint64_t unwarned;  /* dropped since the last warning */
	gint64 warned_us;   /* monotonic time of the last warning */
};

/* A collector knowing eBPFlow's elements (eBPFlow's under pen) and templates. */
struct collector *collector_new(uint32_t pen, uint64_t limit, GError **err);
void collector_free(struct collector *c);
/* The buffer holding the next message (file: fBufNextMessage; UDP: fbListenerWait). */
typedef fBuf_t *(*collector_next_fn)(fBuf_t *fbuf, void *ctx, GError **err);
/* Print every record read from fbuf until its end, an error or the limit. */
gboolean collector_run(struct collector *c, fBuf_t *fbuf, collector_next_fn next, void *ctx,
		       GError **err);
/*
 * With drop_malformed, an error that is the message's fault (not IPFIX, a
 * bad set or template, cut short) is counted and warned about, err cleared:
 * TRUE, read the next message. Else, or an error of the transport: FALSE.
 */
gboolean collector_drop(struct collector *c, GError **err);
/* Print every record of an IPFIX file; TRUE at its end. */
gboolean collector_read_file(const char *path, uint32_t pen, GError **err);

#endif
