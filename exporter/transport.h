/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where IPFIX messages go: UDP collectors (any number, IPv4, IPv6 or host
 * names) and an IPFIX file (ipfixfile.c). Every message goes to every
 * destination; a failing destination is logged once per incident, counted,
 * and never stops the others. A collector whose name does not resolve, or
 * that cannot be reached, is tried again with back-off (never fatal after
 * the configuration was checked).
 */
#ifndef EBPFLOW_TRANSPORT_H
#define EBPFLOW_TRANSPORT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ipfixfile.h"

struct transport;

struct transport_dest_stats {
	const char *name;
	uint64_t sent;   /* messages handed to the network / written */
	uint64_t failed; /* messages that could not be sent / written */
	bool failing;    /* the current incident, if any */
};

/* back-off of a collector that does not resolve or cannot be reached: 1 s, 2 s ... 60 s */
#define TRANSPORT_RETRY_MIN_MS 1000u
#define TRANSPORT_RETRY_MAX_MS 60000u

struct transport *transport_new(void);
void transport_free(struct transport *t);
/*
 * Check that spec resolves (and a socket can reach it), creating nothing
 * that stays: --check-config, where a mistyped name must be caught.
 */
gboolean transport_check_collector(const char *spec, GError **err);
/*
 * "HOST:PORT", "[IPv6]:PORT" or "IPv4:PORT". The socket is made now (its
 * send buffer forced to 8 MiB where CAP_NET_ADMIN allows). An address is
 * taken at once; a name is resolved in a worker thread (transport_poll
 * takes the answer), started now or, with defer, by the next transport_poll
 * (at start: no thread before the privilege drop, and a slow name server
 * never holds the start); a name that does not resolve is logged and tried
 * again with back-off, its messages counted as lost. Fails only on a spec
 * that is not HOST:PORT.
 */
gboolean transport_add_collector(struct transport *t, const char *spec, bool defer, GError **err);
/*
 * Move the collector spec, with its socket, its state and its counters,
 * from `from` to t: a reload keeps what it does not change (the socket's
 * send buffer above all, which cannot be forced again without
 * CAP_NET_ADMIN). False when from has no such collector.
 */
bool transport_adopt_collector(struct transport *t, struct transport *from, const char *spec);
/*
 * Each pass: start the due retries, take the finished look-ups. True when a
 * collector became reachable: it needs the templates before anything else.
 */
bool transport_poll(struct transport *t);
/* Is a collector's name being looked up? */
bool transport_resolving(const struct transport *t);
/* Open the IPFIX file (created 0600/0640, appended to; ipfixfile.h). */
gboolean transport_add_file(struct transport *t, const struct ipfix_file_config *cfg,
			    GError **err);
/* Close the file (its messages were all written); transport_reopen_file opens it again. */
void transport_close_file(struct transport *t);
gboolean transport_reopen_file(struct transport *t, GError **err);
/* The file is due for rotation (ipfix_file_rotation_due). */
bool transport_file_rotation_due(struct transport *t, time_t now);
gboolean transport_rotate_file(struct transport *t, time_t now, GError **err);
unsigned int transport_count(const struct transport *t);
/* ipfix_emit_fn: send one message everywhere */
void transport_send(const uint8_t *msg, size_t len, void *t);
/* The counters of destination i (< transport_count). */
struct transport_dest_stats transport_stats(const struct transport *t, unsigned int i);

/* Split HOST:PORT ([v6]:PORT) into host and port; exposed for the tests. */
gboolean transport_parse_hostport(const char *spec, char **host, char **port, GError **err);

#endif
