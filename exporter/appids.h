/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The RFC 6759 application ids of an IPFIX output (templates.h says what
 * they are for): each process's id, and the bounded table of the processes
 * whose names the collector must be told, again at every template refresh.
 */
#ifndef EBPFLOW_APPIDS_H
#define EBPFLOW_APPIDS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "templates.h"

/* At most this many processes are named at once (about 300 bytes each). */
#define APPIDS_MAX 16384
/* A process with no record for this long is forgotten: two nfcapd files. */
#define APPIDS_IDLE_NS (600ull * 1000000000ull)

struct appids;

struct appids *appids_new(uint32_t pen, uint32_t domain, unsigned int max);
void appids_free(struct appids *a);

/* The id of a record's process: a function of the key alone. */
void appids_id(const struct appids *a, const struct flow_key *k, uint8_t out[APPID_LEN]);

/*
 * Note that a record of this process goes out at now_ns (monotonic), and
 * return its options record (its id for the record); *fresh when the process
 * is new to the table: the options record must go out before the record.
 * NULL when the table is full (counted as refused: the record carries the
 * id, unnamed).
 */
const struct ipfix_appid_rec *appids_note(struct appids *a, const struct flow_record *rec,
					  uint64_t now_ns, bool *fresh);

/* Forget the processes idle since APPIDS_IDLE_NS before now_ns. */
void appids_expire(struct appids *a, uint64_t now_ns);

/* Each remembered process's options record (for a template refresh). */
typedef gboolean (*appids_fn)(const struct ipfix_appid_rec *r, void *ctx, GError **err);
gboolean appids_foreach(struct appids *a, appids_fn fn, void *ctx, GError **err);

unsigned int appids_size(const struct appids *a);
/* processes left unnamed because the table was full */
uint64_t appids_refused(const struct appids *a);

/* The description: "pid=N user=NAME[ container=NAME]", cut to fit. */
void appids_describe(const struct flow_record *rec, char out[APPID_DESC_LEN]);

#endif
