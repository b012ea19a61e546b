/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPFIX encoding of flow records (libfixbuf 2.4). Messages are built in
 * memory and handed whole to an emit callback (transport.c sends them), so
 * that every collector gets the same stream and every send is accounted for.
 */
#ifndef EBPFLOW_IPFIX_H
#define EBPFLOW_IPFIX_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "templates.h"

/* Largest message: fits an Ethernet MTU with IP and UDP headers (IPv6 too). */
#define IPFIX_MESSAGE_MAX 1420

struct ipfix_config {
	enum ie_profile profile;
	uint32_t pen;    /* PEN of eBPFlow's own elements */
	uint32_t domain; /* observation domain id */
	bool application_ids; /* RFC 6759 ids naming each record's process (nfdump) */
};

struct ipfix_stats {
	uint64_t messages; /* messages emitted */
	uint64_t records;  /* flow records encoded */
	uint64_t calls;    /* calls (packetDeltaCount) in those records */
	uint64_t octets;   /* bytes of the messages */
	uint64_t template_sends;
	uint64_t appids_refused; /* processes left unnamed: the id table was full */
};

typedef void (*ipfix_emit_fn)(const uint8_t *msg, size_t len, void *ctx);

struct ipfix;

struct ipfix *ipfix_new(const struct ipfix_config *c, ipfix_emit_fn emit, void *ctx, GError **err);
void ipfix_free(struct ipfix *x);
/* Append one flow record; emits a message when the current one is full. */
gboolean ipfix_add(struct ipfix *x, const struct flow_record *rec, int64_t epoch_offset_ns,
		   GError **err);
/* Emit the records waiting in the current message, if any. */
gboolean ipfix_flush(struct ipfix *x, GError **err);
/*
 * (Re)send the templates, the RFC 5610 type information (RFC 7011 8.4) and
 * the application id table.
 */
gboolean ipfix_send_templates(struct ipfix *x, GError **err);
const struct ipfix_stats *ipfix_stats(const struct ipfix *x);
/* Append the exporter's statistics (an options record, RFC 7011 4.3). */
gboolean ipfix_add_exporter_stats(struct ipfix *x, const struct ipfix_stats_rec *r, GError **err);

/*
 * The internal record of a flow record; strings point into rec. ipfix_add
 * then cuts the executable and command line to fit a message, and marks a
 * cut one (templates/ELEMENTS.md).
 */
void ipfix_fill(struct ipfix_flow_rec *out, const struct flow_record *rec, int64_t epoch_offset_ns);

/* Take the empty sets out of an IPFIX message; returns its new length. */
size_t ipfix_drop_empty_sets(uint8_t *msg, size_t len);

#endif
