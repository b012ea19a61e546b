/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What ntopng's ZMQ collector reads (src/ZMQCollectorInterface.cpp,
 * src/ZMQParserInterface.cpp and include/ntop_typedefs.h in ntopng's
 * source): a message of two frames, a header whose first bytes are the topic
 * ("flow"), then the records: nDPI's TLV (ntopng_tlv.h) or a JSON array of
 * flow objects keyed by nProbe's element names (here). Pure encoding, no
 * socket: zmq.c sends it, the unit tests read it.
 */
#ifndef EBPFLOW_NTOPNG_H
#define EBPFLOW_NTOPNG_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define NTOPNG_TOPIC_FLOW "flow"
/*
 * ntopng 5.4 to 6.x accept header versions 2 (JSON) and 3 (TLV) in this
 * layout (5.4 is the first to map SRC_PROC_* by name); the 36-byte header
 * (zmq_msg_hdr_v3, version 4) is refused by 6.2. Community builds of 6.x
 * drop JSON flows (parseJSONFlow returns at once without NTOPNG_PRO).
 */
#define NTOPNG_HDR_VERSION_JSON 2
#define NTOPNG_HDR_VERSION_TLV 3
/* the header's size field is 16 bits; ntopng drops messages over 128 KiB */
#define NTOPNG_MAX_PAYLOAD 65535u

/*
 * ntopng's struct zmq_msg_hdr_v2, with the padding its compiler puts in
 * written out: ntopng tells the versions apart by the frame's length.
 */
struct ntopng_hdr {
	char url[16];       /* the topic, NUL-padded; SUB filters on its first bytes */
	uint8_t version;    /* NTOPNG_HDR_VERSION_*: says how the payload is encoded */
	uint8_t pad;
	uint16_t size;      /* payload bytes, host order as ntopng's own publisher writes it */
	uint32_t msg_id;    /* network order: ntopng reads it with ntohl, one more per message */
	uint32_t source_id; /* as is: ntopng keys its message-id tracking by it */
};
_Static_assert(sizeof(struct ntopng_hdr) == 28, "ntopng tells header versions apart by size");
_Static_assert(offsetof(struct ntopng_hdr, size) == 18 &&
		       offsetof(struct ntopng_hdr, msg_id) == 20 &&
		       offsetof(struct ntopng_hdr, source_id) == 24,
	       "ntopng's struct zmq_msg_hdr_v2 layout");

void ntopng_header(struct ntopng_hdr *h, const char *topic, uint8_t version, size_t size,
		   uint32_t msg_id, uint32_t source_id);
/*
 * Append one record as an ntopng flow object (no separator). The process is
 * SRC_PROC_* on outbound flows (it initiated them) and DST_PROC_* on
 * inbound ones, as in the IPFIX ntop profile.
 */
void ntopng_format_flow(GString *out, const struct flow_record *rec, int64_t epoch_offset_ns);

/*
 * The executable and command line as both formats send them: at most
 * NTOPNG_PROC_STRING_MAX bytes (a path's longest) and, when cut there or
 * kept only in part by eBPFlow (cut), "..." after them. Returns s ("" for
 * NULL) or buf.
 */
/*
 * A TCP record's health as ntop names it. nProbe's CLIENT_NW_LATENCY_MS /
 * SERVER_NW_LATENCY_MS are half the round trip between a probe in the path
 * and that end, in ms; here the probe is the process's own end, so an
 * outbound record gives the server's (half its mean handshake: a connect's
 * SYN to established) and an inbound one the client's (half the SYN-ACK to
 * ACK the server measured); 0 when no handshake was measured, which ntopng
 * leaves unset. RETRANSMITTED_IN_PKTS counts src->dst, _OUT_PKTS dst->src:
 * the process's socket is the source of an outbound flow.
 */
double ntopng_nw_latency_ms(const struct flow_record *rec);

#define NTOPNG_PROC_STRING_MAX 4096
#define NTOPNG_PROC_STRING_BUF (NTOPNG_PROC_STRING_MAX + 4)
const char *ntopng_proc_string(const char *s, bool cut, char buf[NTOPNG_PROC_STRING_BUF]);

/*
 * Whether the record's peer_name names the server, as ntopng's L7_INFO
 * would take it (issue 22): an outbound flow's peer is the server, and a
 * flow to port 53 ntopng takes for DNS, where L7_INFO is the query.
 */
bool ntopng_peer_is_server(const struct flow_record *rec);
#define NTOPNG_KEY_PEER_NAME "peerName" /* eBPFlow's own key, as its IPFIX element */

#endif
