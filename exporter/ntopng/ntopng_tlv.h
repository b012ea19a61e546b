/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A record in nDPI's TLV serialization, the binary format nProbe sends and
 * every ntopng parses (header version NTOPNG_HDR_VERSION_TLV). Written from
 * the format (nDPI's ndpi_serializer.c, ntopng's parseTLVFlow), not from
 * libndpi, which eBPFlow does not link. Pure encoding: zmq.c frames and sends,
 * the unit tests read it back.
 *
 * A message is NTOPNG_TLV_BEGIN, then records. An item is a type byte (the
 * key's type in the high 4 bits, the value's in the low 4), the key, the
 * value; a record ends with the byte NTOPNG_TLV_END_OF_RECORD. Integers are
 * big-endian in the fewest bytes that hold them; a string is a 16-bit
 * big-endian length and its bytes.
 */
#ifndef EBPFLOW_NTOPNG_TLV_H
#define EBPFLOW_NTOPNG_TLV_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

/* nDPI's ndpi_serialization_type: the values ntopng's parser reads */
enum ntopng_tlv_type {
	NTOPNG_TLV_END_OF_RECORD = 1,
	NTOPNG_TLV_UINT8 = 2,
	NTOPNG_TLV_UINT16 = 3,
	NTOPNG_TLV_UINT32 = 4,
	NTOPNG_TLV_UINT64 = 5,
	NTOPNG_TLV_FLOAT = 10, /* 4 bytes in the host's order, as nDPI copies it */
	NTOPNG_TLV_STRING = 11,
};

/* the serializer's version (1), then its format (ndpi_serialization_format_tlv, 1) */
#define NTOPNG_TLV_BEGIN "\x01\x01"
#define NTOPNG_TLV_BEGIN_LEN 2

void ntopng_tlv_uint(GString *out, uint32_t key, uint64_t value);
void ntopng_tlv_string(GString *out, uint32_t key, const char *value);
void ntopng_tlv_float(GString *out, uint32_t key, float value);
/* keys ntopng does not know by number: it keeps them as additional flow fields */
void ntopng_tlv_named_uint(GString *out, const char *key, uint64_t value);
void ntopng_tlv_named_string(GString *out, const char *key, const char *value);
void ntopng_tlv_end_record(GString *out);

/*
 * Append one record (its end byte included): the same fields as
 * ntopng_format_flow, under their numeric ids (ntopng's include/ntop_flow.h),
 * the process's items last.
 */
void ntopng_tlv_format_flow(GString *out, const struct flow_record *rec, int64_t epoch_offset_ns);
/* The process's items alone: SRC_PROC_* when outbound, DST_PROC_* when inbound. */
void ntopng_tlv_process(GString *out, const struct flow_record *rec);

/*
 * A message being built. When eBPFlow sees both ends of a connection (this
 * host's processes, over loopback or between its namespaces), an outbound
 * and an inbound record have the same addresses and ports: one ntopng flow.
 * Two such records in one message each carry the other's process items
 * too, so that ntopng, which keeps the processes of a flow's first record
 * only, shows both ends. A record pairs with at most one other.
 */
struct ntopng_tlv_msg;

struct ntopng_tlv_msg *ntopng_tlv_msg_new(void);
void ntopng_tlv_msg_free(struct ntopng_tlv_msg *m);
/* false, and nothing added, if the record would take the message past
 * NTOPNG_MAX_PAYLOAD (a record alone is always added) */
bool ntopng_tlv_msg_add(struct ntopng_tlv_msg *m, const struct flow_record *rec,
			int64_t epoch_offset_ns);
const GString *ntopng_tlv_msg_payload(const struct ntopng_tlv_msg *m);
unsigned int ntopng_tlv_msg_records(const struct ntopng_tlv_msg *m);
void ntopng_tlv_msg_clear(struct ntopng_tlv_msg *m);

#endif
