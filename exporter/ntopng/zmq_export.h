/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --zmq: records published to ntopng the way nProbe publishes them, over a
 * ZMQ publisher socket, in ntopng's framing (ntopng.h), as nDPI's TLV
 * (ntopng_tlv.h) or JSON (ntopng.h). Built where libzmq
 * is found (EBPFLOW_HAVE_ZMQ); elsewhere the option is refused at start.
 * (Not "zmq.h": that name is libzmq's own header.)
 */
#ifndef EBPFLOW_ZMQ_EXPORT_H
#define EBPFLOW_ZMQ_EXPORT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "options.h"

#define ZMQ_EXPORT_ERROR g_quark_from_static_string("ebpflow-zmq")

struct zmq_export;

struct zmq_export_stats {
	uint64_t messages; /* handed to libzmq for a subscriber */
	uint64_t records;  /* in those messages */
	uint64_t octets;   /* their payload */
	uint64_t lost;     /* messages no subscriber took: none subscribed, or its queue was full */
	uint64_t lost_records;
};

#ifdef EBPFLOW_HAVE_ZMQ
/*
 * The endpoint's syntax, as ntopng's -i reads it: tcp://HOST:PORT or
 * ipc://PATH; a trailing 'c' means the other side (ntopng) binds and eBPFlow
 * connects. Nothing is opened (--check-config).
 */
gboolean zmq_export_check(const char *endpoint, GError **err);
/* Bind (or, with the trailing 'c', connect) a publisher; source_id goes in every header. */
struct zmq_export *zmq_export_new(const char *endpoint, uint32_t source_id,
				  enum zmq_format format, GError **err);
/* Send what is held, then close; libzmq gets ZMQ_EXPORT_LINGER_MS to deliver it. */
void zmq_export_free(struct zmq_export *z);
const char *zmq_export_endpoint(const struct zmq_export *z);
void zmq_export_set_source_id(struct zmq_export *z, uint32_t source_id);
/* Records from now on in this format; what is held goes out first, in the old one. */
void zmq_export_set_format(struct zmq_export *z, enum zmq_format format);
/* Add a record to the message being built; a full message is sent at once. */
void zmq_export_add(struct zmq_export *z, const struct flow_record *rec, int64_t epoch_offset_ns);
/* Send the message being built (every pass). Never blocks. */
void zmq_export_flush(struct zmq_export *z);
const struct zmq_export_stats *zmq_export_stats(const struct zmq_export *z);
#else
static inline gboolean zmq_export_check(const char *endpoint, GError **err)
{
	g_set_error(err, ZMQ_EXPORT_ERROR, 1,
		    "--zmq %s: this build has no ZMQ support: install libzmq3-dev and rebuild",
		    endpoint);
	return FALSE;
}

static inline struct zmq_export *zmq_export_new(const char *endpoint, uint32_t source_id,
						enum zmq_format format, GError **err)
{
	zmq_export_check(endpoint, err);
	return NULL;
}

/* never called: there is no publisher without libzmq */
static inline void zmq_export_free(struct zmq_export *z)
{
}

static inline const char *zmq_export_endpoint(const struct zmq_export *z)
{
	return "";
}

static inline void zmq_export_set_source_id(struct zmq_export *z, uint32_t source_id)
{
}

static inline void zmq_export_set_format(struct zmq_export *z, enum zmq_format format)
{
}

static inline void zmq_export_add(struct zmq_export *z, const struct flow_record *rec,
				  int64_t epoch_offset_ns)
{
}

static inline void zmq_export_flush(struct zmq_export *z)
{
}

static inline const struct zmq_export_stats *zmq_export_stats(const struct zmq_export *z)
{
	static const struct zmq_export_stats none;

	return &none;
}
#endif

#endif
