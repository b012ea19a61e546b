/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IPFIX side of a flow, declared in one place: the information elements
 * eBPFlow defines (under a configurable Private Enterprise Number, and ntop's
 * for the ntop profile), the record layout, the templates and their ids.
 * templates/ELEMENTS.md documents every element; a unit test holds the two
 * together.
 */
#ifndef EBPFLOW_TEMPLATES_H
#define EBPFLOW_TEMPLATES_H

#include <fixbuf/public.h>
#include <stdint.h>

/* RFC 5612's documentation PEN: a placeholder until you set your own (--pen). */
#define EBPFLOW_PEN_DEFAULT 32473
/* ntop's PEN: nProbe and ntopng know its process elements natively. */
#define NTOP_PEN 35632
/* RFC 5103's PEN: reverseX is element X in the other direction of a biflow. */
#define REVERSE_PEN 29305

/* IANA elements eBPFlow sends (numbers as registered; named in ELEMENTS.md). */
enum iana_ie {
	IANA_OCTET_DELTA_COUNT = 1, /* and reverseOctetDeltaCount under REVERSE_PEN */
	IANA_PACKET_DELTA_COUNT = 2,
	IANA_DELTA_FLOW_COUNT = 3,
	IANA_PROTOCOL_IDENTIFIER = 4,
	IANA_SOURCE_IPV4_ADDRESS = 8,
	IANA_DESTINATION_TRANSPORT_PORT = 11,
	IANA_DESTINATION_IPV4_ADDRESS = 12,
	IANA_SOURCE_IPV6_ADDRESS = 27,
	IANA_DESTINATION_IPV6_ADDRESS = 28,
	IANA_IP_VERSION = 60,
	IANA_FLOW_DIRECTION = 61,
	IANA_APPLICATION_DESCRIPTION = 94,
	IANA_APPLICATION_ID = 95,
	IANA_APPLICATION_NAME = 96,
	IANA_FLOW_END_REASON = 136,
	IANA_OBSERVATION_DOMAIN_ID = 149,
	IANA_FLOW_START_MILLISECONDS = 152,
	IANA_FLOW_END_MILLISECONDS = 153,
	IANA_PADDING_OCTETS = 210,
	IANA_NEW_CONNECTION_DELTA_COUNT = 278,
	IANA_USER_NAME = 371,
};

/* eBPFlow's own elements, under the configured PEN. */
enum ebpflow_ie {
	EIE_PROCESS_ID = 1,
	EIE_PROCESS_NAME = 2,
	EIE_PROCESS_USER_ID = 3,
	EIE_PROCESS_USER_NAME = 4, /* = userName (371), for collectors that read only PEN elements */
	EIE_CONTAINER_ID = 5,
	EIE_CONTAINER_NAME = 6,
	EIE_CGROUP_ID = 7,
	EIE_PROCESS_START_MILLISECONDS = 8,
	EIE_CALL_DELTA_COUNT = 9,
	EIE_MEAN_TIME_BETWEEN_CALLS_US = 10,
	EIE_FAILED_CONNECTION_DELTA_COUNT = 11,
	EIE_PROCESS_EXECUTABLE = 12,
	EIE_PROCESS_COMMAND_LINE = 13,
	EIE_PARENT_PROCESS_ID = 14,
	EIE_PARENT_PROCESS_NAME = 15,
	/* TCP connections' health (issue 21) */
	EIE_HANDSHAKE_DELTA_COUNT = 16,
	EIE_HANDSHAKE_MIN_US = 17,
	EIE_HANDSHAKE_MEAN_US = 18,
	EIE_HANDSHAKE_MAX_US = 19,
	EIE_RTT_SAMPLE_DELTA_COUNT = 20,
	EIE_RTT_MIN_US = 21,
	EIE_RTT_MEAN_US = 22,
	EIE_RTT_MAX_US = 23,
	EIE_RETRANSMITTED_SEGMENT_DELTA_COUNT = 24,
	EIE_CONNECTION_REFUSED_DELTA_COUNT = 25,
	EIE_CONNECTION_TIMED_OUT_DELTA_COUNT = 26,
	EIE_CONNECTION_FAILED_OTHER_DELTA_COUNT = 27,
	EIE_PEER_NAME = 28,
};

/* ntop's process elements (PEN 35632), as nProbe numbers them. */
enum ntop_ie {
	NTOP_SRC_PROC_PID = 168,
	NTOP_SRC_PROC_NAME = 169,
	NTOP_SRC_PROC_USER_NAME = 372,
	NTOP_SRC_FATHER_PROC_PID = 373,
	NTOP_SRC_FATHER_PROC_NAME = 374,
	NTOP_DST_PROC_PID = 375,
	NTOP_DST_PROC_NAME = 376,
	NTOP_DST_PROC_USER_NAME = 377,
	NTOP_DST_FATHER_PROC_PID = 378,
	NTOP_DST_FATHER_PROC_NAME = 379,
	NTOP_SRC_PROC_UID = 425,
	NTOP_DST_PROC_UID = 426,
	NTOP_SRC_PROC_CMDLINE = 556,
	NTOP_DST_PROC_CMDLINE = 557,
	NTOP_SRC_PROC_CONTAINER_ID = 558,
	NTOP_DST_PROC_CONTAINER_ID = 559,
	/* retransmitted TCP segments src->dst (IN) and dst->src (OUT) */
	NTOP_RETRANSMITTED_IN_PKTS = 109,
	NTOP_RETRANSMITTED_OUT_PKTS = 110,
};

/* Which element ids carry the process fields. */
enum ie_profile {
	IE_PROFILE_EBPFLOW, /* eBPFlow's elements under --pen; flowDirection tells the side */
	IE_PROFILE_NTOP,    /* ntop's SRC_PROC_* (outbound) / DST_PROC_* (inbound) */
};

/*
 * Template ids, RFC 7011 data-set range (>= 256). UDP and TCP flows have
 * templates of their own: a count is datagrams (packets) for one and
 * connections for the other (templates/ELEMENTS.md).
 */
enum ebpflow_tid {
	TID_EBPFLOW_V4 = 256, /* UDP */
	TID_EBPFLOW_V6 = 257,
	TID_NTOP_V4_OUT = 258,
	TID_NTOP_V4_IN = 259,
	TID_NTOP_V6_OUT = 260,
	TID_NTOP_V6_IN = 261,
	TID_TYPE_INFO = 262, /* RFC 5610 information element type options */
	TID_EXPORTER_STATS = 263, /* RFC 7011 4.3 exporting process reliability statistics */
	TID_EBPFLOW_TCP_V4 = 264,
	TID_EBPFLOW_TCP_V6 = 265,
	TID_NTOP_TCP_V4_OUT = 266,
	TID_NTOP_TCP_V4_IN = 267,
	TID_NTOP_TCP_V6_OUT = 268,
	TID_NTOP_TCP_V6_IN = 269,
	TID_APPLICATION = 270, /* RFC 6759 application id options: a process's name */
	/* internal templates (never on the wire) */
	TID_INTERNAL_EBPFLOW = 0xff01,
	TID_INTERNAL_NTOP_OUT = 0xff02,
	TID_INTERNAL_NTOP_IN = 0xff03,
	TID_INTERNAL_STATS = 0xff04,
	TID_INTERNAL_APPLICATION = 0xff05,
};

/*
 * The exporter's own statistics (options record, scope: exportingProcessId),
 * sent with every template refresh and at exit. Calls are "packets" here as
 * in flow records: packetTotalCount is every call the kernel counted,
 * ignoredPacketTotalCount the calls a full flow map refused,
 * notSentPacketTotalCount the calls lost in flows evicted before they were
 * read, notSentFlowTotalCount those flows. In stats_spec order.
 */
struct ipfix_stats_rec {
	uint32_t exportingProcessId; /* the scope */
	uint8_t padding[4];
	uint64_t observationTimeMilliseconds;
	uint64_t exportedMessageTotalCount;
	uint64_t exportedFlowRecordTotalCount;
	uint64_t exportedOctetTotalCount;
	uint64_t packetTotalCount;
	uint64_t ignoredPacketTotalCount;
	uint64_t notSentPacketTotalCount;
	uint64_t notSentFlowTotalCount;
};

extern const fbInfoElementSpec_t stats_spec[];

/*
 * RFC 6759 application ids, the one way a process reaches nfdump (which
 * keeps no enterprise element and no string of a flow record): each record
 * carries applicationId, an options record names it. The id is
 * classification engine 20 (PEN-based), the PEN, then a selector of
 * observation domain, process start and pid (docs/collectors.md says why).
 * nfdump 1.7.1 dictates the shape: a fixed-length id of 9 to 15 bytes but
 * not 16 (shorter ones, and 16, it byte-swaps as numbers; longer ones it
 * drops), and name and description fixed-length, NUL-terminated, 253 bytes
 * together.
 */
#define APPID_ENGINE_PEN 20
#define APPID_LEN 15
#define APPID_NAME_LEN 16 /* a comm (15) and the NUL nfdump writes over the last byte */
#define APPID_DESC_LEN (253 - APPID_NAME_LEN)

/*
 * One application options record, in appid_spec order. The scope is the
 * observation domain: nfdump 1.7.1 reads no table whose scope is the id.
 */
struct ipfix_appid_rec {
	uint32_t observationDomainId;
	uint8_t applicationId[APPID_LEN];
	char applicationName[APPID_NAME_LEN];
	char applicationDescription[APPID_DESC_LEN];
};

extern const fbInfoElementSpec_t appid_spec[];

/*
 * One flow record as libfixbuf transcodes it (the internal template): the
 * field order is the order of flow_spec in templates.c. IPv4 addresses are
 * host-order integers; IPv6 addresses network-order bytes; strings varfields.
 */
struct ipfix_flow_rec {
	uint64_t flowStartMilliseconds;
	uint64_t flowEndMilliseconds;
	uint64_t packetDeltaCount;       /* UDP: datagrams, the calls */
	uint64_t octetDeltaCount;        /* payload bytes, initiator -> responder */
	uint64_t deltaFlowCount;         /* TCP: the same, as aggregated 5-tuple flows */
	uint64_t failedConnectionDeltaCount; /* TCP: connects never established */
	/* TCP: why they failed (the three add up to failedConnectionDeltaCount) */
	uint64_t connectionRefusedDeltaCount;
	uint64_t connectionTimedOutDeltaCount;
	uint64_t connectionFailedOtherDeltaCount;
	uint64_t handshakeDeltaCount; /* TCP: connections whose handshake was measured */
	uint64_t rttSampleDeltaCount; /* TCP: connections with a smoothed RTT at close */
	uint64_t callDeltaCount;         /* the calls (the seed's COUNT), for every protocol */
	uint64_t meanTimeBetweenCallsMicroseconds;
	uint64_t processStartMilliseconds;
	uint64_t cgroupId;
	uint8_t sourceIPv6Address[16];
	uint8_t destinationIPv6Address[16];
	fbVarfield_t processName;
	fbVarfield_t userName;        /* of processUserId, IANA's element */
	fbVarfield_t processUserName; /* the same, under a PEN (see ELEMENTS.md) */
	fbVarfield_t containerId;
	fbVarfield_t containerName;
	/* the process's own bytes, cut to fit a message (ipfix_fill) */
	fbVarfield_t processExecutable;
	fbVarfield_t processCommandLine;
	fbVarfield_t parentProcessName;
	fbVarfield_t peerName; /* the peer's DNS name (issue 22), empty when unknown */
	uint32_t sourceIPv4Address;
	uint32_t destinationIPv4Address;
	uint32_t processId;
	uint32_t processUserId;
	uint32_t newConnectionDeltaCount; /* TCP: connections made, the calls (IANA: unsigned32) */
	uint32_t parentProcessId;
	/* TCP: means are this record's, min and max the flow's so far; 0 without a measure */
	uint32_t handshakeMinimumMicroseconds;
	uint32_t handshakeMeanMicroseconds;
	uint32_t handshakeMaximumMicroseconds;
	uint32_t rttMinimumMicroseconds;
	uint32_t rttMeanMicroseconds;
	uint32_t rttMaximumMicroseconds;
	/* TCP: retransmittedSegmentDeltaCount, or ntop's RETRANSMITTED_IN_PKTS / _OUT_PKTS */
	uint32_t retransmittedSegmentDeltaCount;
	uint16_t destinationTransportPort;
	uint8_t protocolIdentifier;
	uint8_t flowDirection; /* 0 ingress (inbound), 1 egress (outbound) */
	uint8_t flowEndReason;
	uint8_t ipVersion;
	uint8_t applicationId[APPID_LEN]; /* only with [ipfix] application_ids */
	uint8_t padding[7];
	/*
	 * TCP: payload bytes back. Last in the templates: pmacct 1.7.7 reads a
	 * custom primitive from the first element of its number whatever the
	 * PEN, and this one (29305/1) would shadow processId (PEN/1).
	 */
	uint64_t reverseOctetDeltaCount;
};

/* Spec flags: which templates an entry of flow_spec belongs to. */
#define TF_V4 0x01u
#define TF_V6 0x02u
#define TF_OUT 0x04u
#define TF_IN 0x08u
#define TF_EBPFLOW 0x10u
#define TF_NTOP 0x20u
#define TF_INTERNAL 0x40u
#define TF_TCP 0x80u
#define TF_UDP 0x100u
#define TF_APPID 0x200u /* applicationId: in export templates unless turned off */

extern const fbInfoElementSpec_t flow_spec[];

/* The template id for one record (proto: IPPROTO_TCP or _UDP), and its internal template. */
uint16_t templates_export_tid(enum ie_profile p, int ip_version, int inbound, int proto);
/* Every export flow template of a profile, in order; returns how many (at most 8). */
#define TEMPLATES_EXPORT_MAX 8
size_t templates_export_tids(enum ie_profile p, uint16_t out[TEMPLATES_EXPORT_MAX]);
uint16_t templates_internal_tid(enum ie_profile p, int inbound);
/* The spec flags of a template id (internal or export); 0 for unknown. */
uint32_t templates_flags(enum ie_profile p, uint16_t tid);

/* Add eBPFlow's elements (under pen) and ntop's to an information model. */
void templates_add_elements(fbInfoModel_t *model, uint32_t pen);

/*
 * Add every template of the profile (internal and export) to the session.
 * The elements must be in the session's model.
 */
gboolean templates_add_to_session(fbSession_t *s, enum ie_profile p, GError **err);
/* The same, the export templates with applicationId or without. */
gboolean templates_add_flow_templates(fbSession_t *s, enum ie_profile p, gboolean appids,
				      GError **err);

/* Add the statistics options template (internal and export) to the session. */
gboolean templates_add_stats(fbSession_t *s, GError **err);

/* Add the application id options template (internal and export) to the session. */
gboolean templates_add_appids(fbSession_t *s, GError **err);

/* The enterprise elements a profile's export templates use (for RFC 5610). */
const char *const *templates_enterprise_names(enum ie_profile p);

#endif
