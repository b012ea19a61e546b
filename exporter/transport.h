/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where IPFIX messages go: UDP collectors (any number, IPv4, IPv6 or host
 * names) and an IPFIX file (ipfixfile.c). Every message goes to every
 * destination; a failing destination is logged once per incident, counted,
 * and never stops the others.
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

struct transport *transport_new(void);
void transport_free(struct transport *t);
/* "HOST:PORT", "[IPv6]:PORT" or "IPv4:PORT"; resolved now. */
gboolean transport_add_collector(struct transport *t, const char *spec, GError **err);
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
