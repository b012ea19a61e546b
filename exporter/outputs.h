/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where records go: JSON lines on stdout, the console view, IPFIX
 * messages (ipfix.c encodes, transport.c sends them to the collectors and
 * the file) and ntopng's ZMQ messages (zmq.c). The runtime hands each
 * record and the accounting here once.
 */
#ifndef EBPFLOW_OUTPUTS_H
#define EBPFLOW_OUTPUTS_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "console.h"
#include "options.h"
#include "stats.h"
#include "zmq_export.h"

struct outputs;

/*
 * json: records as JSON lines on out's descriptor (jsonout.h: each line
 * whole or counted as lost; a reader that goes away raises SIGTERM);
 * console may be NULL. Not owned.
 */
struct outputs *outputs_new(FILE *out, bool json, struct console *console);
void outputs_free(struct outputs *o);
/*
 * What the IPFIX outputs of cfg need: the file writable (no symbolic link),
 * its group known, its rotation size sane, and with resolve the collectors'
 * names resolved (--check-config: a mistyped name is caught there; a start
 * goes on without, and retries). Creates nothing.
 */
gboolean outputs_check_ipfix(const struct ebpflow_config *cfg, bool resolve, GError **err);
/*
 * Open the IPFIX outputs of cfg (none when it names none) in place of the
 * current ones, which send what they hold and close their file first; the
 * new ones get the templates at once (a new stream, appended to the file).
 * Collectors named by both keep their sockets. On error the current ones
 * stay.
 */
gboolean outputs_set_ipfix(struct outputs *o, const struct ebpflow_config *cfg, GError **err);
bool outputs_have_ipfix(const struct outputs *o);
/* The --zmq endpoint's syntax, and that this build has libzmq. Opens nothing. */
gboolean outputs_check_zmq(const struct ebpflow_config *cfg, GError **err);
/*
 * Open the ZMQ publisher cfg names, aside: *out is NULL when cfg names none
 * or names the endpoint already open, which stays. The caller puts it in
 * place with outputs_set_zmq once nothing else can fail, or frees it.
 */
gboolean outputs_open_zmq(const struct outputs *o, const struct ebpflow_config *cfg,
			  struct zmq_export **out, GError **err);
/* z (from outputs_open_zmq) in place of the current publisher, which sends what it holds. */
void outputs_set_zmq(struct outputs *o, const struct ebpflow_config *cfg, struct zmq_export *z);
/* flow_report_fn: ctx is the struct outputs */
void outputs_record(const struct flow_record *rec, void *ctx);
/* Send the IPFIX and ZMQ records waiting in the current messages (every pass). */
/*
 * Once privileges are dropped: the look-ups of the collectors' names start
 * (in worker threads: a slow name server holds the start 250 ms at most),
 * then the templates go out.
 */
void outputs_start(struct outputs *o);
void outputs_flush(struct outputs *o);
/* (Re)send the IPFIX templates (every --template-refresh). */
void outputs_send_templates(struct outputs *o);
/*
 * The IPFIX counters into s (messages, records, octets, lost), and the JSON
 * records lost, the JSON lines waiting written first so that they count.
 */
void outputs_count(struct outputs *o, struct ebpflow_stats *s);
/* The accounting as a JSON line (-o json) and an IPFIX options record. */
void outputs_stats(struct outputs *o, const struct ebpflow_stats *s);
/*
 * At exit: what JSON wrote and lost, what IPFIX sent, per destination, and
 * what ZMQ published, in the log.
 */
void outputs_log(const struct outputs *o);
/* Were JSON lines lost to a write error (a full disk; not a reader gone)? Exit status 1. */
bool outputs_lost(const struct outputs *o);
/* What the ZMQ publisher sent and lost, in the log (at exit, and when it is replaced). */
void outputs_log_zmq(const struct outputs *o);

#endif
