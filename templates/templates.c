// SPDX-License-Identifier: GPL-2.0-only
/*
 * Element definitions and templates: the data behind templates.h. Adding a
 * field means: an element here (and in ELEMENTS.md), a member in
 * struct ipfix_flow_rec, an entry in flow_spec at the same position.
 */
#include "templates.h"

#include <string.h>

#define U32 (FB_IE_F_ENDIAN)
#define ID (FB_IE_F_ENDIAN | FB_IE_IDENTIFIER)
#define DELTA(units) (FB_IE_F_ENDIAN | FB_IE_DELTACOUNTER | (units))
#define US (FB_IE_F_ENDIAN | FB_IE_QUANTITY | FB_UNITS_MICROSECONDS)

/* eBPFlow's elements; ent is filled with the configured PEN at registration. */
static const fbInfoElement_t ebpflow_elements[] = {
	FB_IE_INIT_FULL("processId", 0, EIE_PROCESS_ID, 4, ID, 0, 0, FB_UINT_32,
			"Process id (thread group id) of the process that made the calls"),
	FB_IE_INIT_FULL("processName", 0, EIE_PROCESS_NAME, FB_IE_VARLEN, FB_IE_DEFAULT, 0, 0,
			FB_STRING, "Process name (comm, at most 15 bytes) of that process"),
	FB_IE_INIT_FULL("processUserId", 0, EIE_PROCESS_USER_ID, 4, ID, 0, 0, FB_UINT_32,
			"Real user id of that process"),
	FB_IE_INIT_FULL("processUserName", 0, EIE_PROCESS_USER_NAME, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"User name of processUserId on the exporting host"),
	FB_IE_INIT_FULL("containerId", 0, EIE_CONTAINER_ID, FB_IE_VARLEN, FB_IE_DEFAULT, 0, 0,
			FB_STRING, "Id of the container the process ran in, empty if none"),
	FB_IE_INIT_FULL("containerName", 0, EIE_CONTAINER_NAME, FB_IE_VARLEN, FB_IE_DEFAULT, 0,
			0, FB_STRING, "Name of that container, empty if none or unknown"),
	FB_IE_INIT_FULL("cgroupId", 0, EIE_CGROUP_ID, 8, ID, 0, 0, FB_UINT_64,
			"cgroup v2 id (inode) of the process at its first call"),
	FB_IE_INIT_FULL("processStartMilliseconds", 0, EIE_PROCESS_START_MILLISECONDS, 8,
			FB_IE_F_ENDIAN | FB_UNITS_MILLISECONDS, 0, 0, FB_DT_MILSEC,
			"Start time of the process: with processId, names one process"),
	FB_IE_INIT_FULL("callDeltaCount", 0, EIE_CALL_DELTA_COUNT, 8, DELTA(0), 0, 0, FB_UINT_64,
			"Socket calls (connect, accept, send, receive) in this record"),
	FB_IE_INIT_FULL("failedConnectionDeltaCount", 0, EIE_FAILED_CONNECTION_DELTA_COUNT, 8,
			DELTA(0), 0, 0, FB_UINT_64,
			"TCP connects in this record that never became established: refused, "
			"timed out or reset during the handshake"),
	FB_IE_INIT_FULL("meanTimeBetweenCallsMicroseconds", 0, EIE_MEAN_TIME_BETWEEN_CALLS_US, 8,
			FB_IE_F_ENDIAN | FB_IE_QUANTITY | FB_UNITS_MICROSECONDS, 0, 0, FB_UINT_64,
			"Mean time between the flow's calls so far, 0 for a single call"),
	FB_IE_INIT_FULL("processExecutable", 0, EIE_PROCESS_EXECUTABLE, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"Full path of the executable the process ran (as /proc/PID/exe), "
			"empty if unknown; ends in ... when cut"),
	FB_IE_INIT_FULL("processCommandLine", 0, EIE_PROCESS_COMMAND_LINE, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"First bytes of the process's command line, arguments joined by spaces, "
			"empty if unknown or not kept; ends in ... when cut"),
	FB_IE_INIT_FULL("parentProcessId", 0, EIE_PARENT_PROCESS_ID, 4, ID, 0, 0, FB_UINT_32,
			"PID of the process's parent when it started, 0 if unknown"),
	FB_IE_INIT_FULL("parentProcessName", 0, EIE_PARENT_PROCESS_NAME, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING,
			"Name (comm) of that parent, empty if unknown"),
	FB_IE_INIT_FULL("handshakeDeltaCount", 0, EIE_HANDSHAKE_DELTA_COUNT, 8, DELTA(0), 0, 0,
			FB_UINT_64,
			"TCP connections of this record whose handshake was measured: a connect's "
			"SYN sent to established, an accepted one's SYN-ACK sent to its ACK"),
	FB_IE_INIT_FULL("handshakeMinimumMicroseconds", 0, EIE_HANDSHAKE_MIN_US, 4, US, 0, 0,
			FB_UINT_32, "Shortest handshake of the flow so far, 0 without one"),
	FB_IE_INIT_FULL("handshakeMeanMicroseconds", 0, EIE_HANDSHAKE_MEAN_US, 4, US, 0, 0,
			FB_UINT_32, "Mean handshake of this record's connections, 0 without one"),
	FB_IE_INIT_FULL("handshakeMaximumMicroseconds", 0, EIE_HANDSHAKE_MAX_US, 4, US, 0, 0,
			FB_UINT_32, "Longest handshake of the flow so far, 0 without one"),
	FB_IE_INIT_FULL("rttSampleDeltaCount", 0, EIE_RTT_SAMPLE_DELTA_COUNT, 8, DELTA(0), 0, 0,
			FB_UINT_64,
			"TCP connections of this record that closed with a smoothed RTT"),
	FB_IE_INIT_FULL("rttMinimumMicroseconds", 0, EIE_RTT_MIN_US, 4, US, 0, 0, FB_UINT_32,
			"Smallest smoothed RTT at a close, of the flow so far, 0 without one"),
	FB_IE_INIT_FULL("rttMeanMicroseconds", 0, EIE_RTT_MEAN_US, 4, US, 0, 0, FB_UINT_32,
			"Mean smoothed RTT at the closes of this record, 0 without one"),
	FB_IE_INIT_FULL("rttMaximumMicroseconds", 0, EIE_RTT_MAX_US, 4, US, 0, 0, FB_UINT_32,
			"Largest smoothed RTT at a close, of the flow so far, 0 without one"),
	FB_IE_INIT_FULL("retransmittedSegmentDeltaCount", 0, EIE_RETRANSMITTED_SEGMENT_DELTA_COUNT,
			4, DELTA(FB_UNITS_PACKETS), 0, 0, FB_UINT_32,
			"TCP segments this host retransmitted on the connections closed in this "
			"record"),
	FB_IE_INIT_FULL("connectionRefusedDeltaCount", 0, EIE_CONNECTION_REFUSED_DELTA_COUNT, 8,
			DELTA(0), 0, 0, FB_UINT_64,
			"Failed connects of this record that the peer refused (a reset)"),
	FB_IE_INIT_FULL("connectionTimedOutDeltaCount", 0, EIE_CONNECTION_TIMED_OUT_DELTA_COUNT,
			8, DELTA(0), 0, 0, FB_UINT_64,
			"Failed connects of this record that timed out (no answer to the SYNs)"),
	FB_IE_INIT_FULL("connectionFailedOtherDeltaCount", 0,
			EIE_CONNECTION_FAILED_OTHER_DELTA_COUNT, 8, DELTA(0), 0, 0, FB_UINT_64,
			"Failed connects of this record for any other reason"),
	FB_IE_INIT_FULL("peerName", 0, EIE_PEER_NAME, FB_IE_VARLEN, FB_IE_DEFAULT, 0, 0, FB_STRING,
			"DNS name the process asked for that answered with the peer's address, "
			"in its network namespace; empty if none was seen"),
	FB_IE_NULL
};

static const fbInfoElement_t ntop_elements[] = {
	FB_IE_INIT_FULL("SRC_PROC_PID", NTOP_PEN, NTOP_SRC_PROC_PID, 4, ID, 0, 0, FB_UINT_32,
			"Client process PID"),
	FB_IE_INIT_FULL("SRC_PROC_NAME", NTOP_PEN, NTOP_SRC_PROC_NAME, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "Client process name"),
	FB_IE_INIT_FULL("SRC_PROC_UID", NTOP_PEN, NTOP_SRC_PROC_UID, 4, ID, 0, 0, FB_UINT_32,
			"Client process UID"),
	FB_IE_INIT_FULL("SRC_PROC_USER_NAME", NTOP_PEN, NTOP_SRC_PROC_USER_NAME, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "Client process user name"),
	FB_IE_INIT_FULL("SRC_PROC_CONTAINER_ID", NTOP_PEN, NTOP_SRC_PROC_CONTAINER_ID,
			FB_IE_VARLEN, FB_IE_DEFAULT, 0, 0, FB_STRING, "Client process container id"),
	FB_IE_INIT_FULL("DST_PROC_PID", NTOP_PEN, NTOP_DST_PROC_PID, 4, ID, 0, 0, FB_UINT_32,
			"Server process PID"),
	FB_IE_INIT_FULL("DST_PROC_NAME", NTOP_PEN, NTOP_DST_PROC_NAME, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "Server process name"),
	FB_IE_INIT_FULL("DST_PROC_UID", NTOP_PEN, NTOP_DST_PROC_UID, 4, ID, 0, 0, FB_UINT_32,
			"Server process UID"),
	FB_IE_INIT_FULL("DST_PROC_USER_NAME", NTOP_PEN, NTOP_DST_PROC_USER_NAME, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "Server process user name"),
	FB_IE_INIT_FULL("DST_PROC_CONTAINER_ID", NTOP_PEN, NTOP_DST_PROC_CONTAINER_ID,
			FB_IE_VARLEN, FB_IE_DEFAULT, 0, 0, FB_STRING, "Server process container id"),
	FB_IE_INIT_FULL("SRC_PROC_CMDLINE", NTOP_PEN, NTOP_SRC_PROC_CMDLINE, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "Client process command line"),
	FB_IE_INIT_FULL("SRC_FATHER_PROC_PID", NTOP_PEN, NTOP_SRC_FATHER_PROC_PID, 4, ID, 0, 0,
			FB_UINT_32, "Client process's parent PID"),
	FB_IE_INIT_FULL("SRC_FATHER_PROC_NAME", NTOP_PEN, NTOP_SRC_FATHER_PROC_NAME,
			FB_IE_VARLEN, FB_IE_DEFAULT, 0, 0, FB_STRING, "Client process's parent name"),
	FB_IE_INIT_FULL("DST_PROC_CMDLINE", NTOP_PEN, NTOP_DST_PROC_CMDLINE, FB_IE_VARLEN,
			FB_IE_DEFAULT, 0, 0, FB_STRING, "Server process command line"),
	FB_IE_INIT_FULL("DST_FATHER_PROC_PID", NTOP_PEN, NTOP_DST_FATHER_PROC_PID, 4, ID, 0, 0,
			FB_UINT_32, "Server process's parent PID"),
	FB_IE_INIT_FULL("DST_FATHER_PROC_NAME", NTOP_PEN, NTOP_DST_FATHER_PROC_NAME,
			FB_IE_VARLEN, FB_IE_DEFAULT, 0, 0, FB_STRING, "Server process's parent name"),
	FB_IE_INIT_FULL("RETRANSMITTED_IN_PKTS", NTOP_PEN, NTOP_RETRANSMITTED_IN_PKTS, 4,
			DELTA(FB_UNITS_PACKETS), 0, 0, FB_UINT_32,
			"Number of retransmitted TCP flow packets (src->dst)"),
	FB_IE_INIT_FULL("RETRANSMITTED_OUT_PKTS", NTOP_PEN, NTOP_RETRANSMITTED_OUT_PKTS, 4,
			DELTA(FB_UNITS_PACKETS), 0, 0, FB_UINT_32,
			"Number of retransmitted TCP flow packets (dst->src)"),
	FB_IE_NULL
};

#define E TF_EBPFLOW
#define NO (TF_NTOP | TF_OUT)
#define NI (TF_NTOP | TF_IN)

/* In struct ipfix_flow_rec order. Alternatives for one member are adjacent. */
const fbInfoElementSpec_t flow_spec[] = {
	{ "flowStartMilliseconds", 8, 0 },
	{ "flowEndMilliseconds", 8, 0 },
	{ "packetDeltaCount", 8, TF_UDP },
	{ "octetDeltaCount", 8, 0 },
	{ "deltaFlowCount", 8, TF_TCP },
	{ "failedConnectionDeltaCount", 8, TF_TCP },
	{ "connectionRefusedDeltaCount", 8, TF_TCP },
	{ "connectionTimedOutDeltaCount", 8, TF_TCP },
	{ "connectionFailedOtherDeltaCount", 8, TF_TCP },
	{ "handshakeDeltaCount", 8, TF_TCP },
	{ "rttSampleDeltaCount", 8, TF_TCP },
	{ "callDeltaCount", 8, 0 },
	{ "meanTimeBetweenCallsMicroseconds", 8, 0 },
	{ "processStartMilliseconds", 8, 0 },
	{ "cgroupId", 8, 0 },
	{ "sourceIPv6Address", 16, TF_V6 },
	{ "destinationIPv6Address", 16, TF_V6 },
	{ "processName", FB_IE_VARLEN, E },
	{ "SRC_PROC_NAME", FB_IE_VARLEN, NO },
	{ "DST_PROC_NAME", FB_IE_VARLEN, NI },
	{ "userName", FB_IE_VARLEN, 0 },
	{ "processUserName", FB_IE_VARLEN, E },
	{ "SRC_PROC_USER_NAME", FB_IE_VARLEN, NO },
	{ "DST_PROC_USER_NAME", FB_IE_VARLEN, NI },
	{ "containerId", FB_IE_VARLEN, E },
	{ "SRC_PROC_CONTAINER_ID", FB_IE_VARLEN, NO },
	{ "DST_PROC_CONTAINER_ID", FB_IE_VARLEN, NI },
	{ "containerName", FB_IE_VARLEN, 0 },
	{ "processExecutable", FB_IE_VARLEN, 0 }, /* ntop has no element for it */
	{ "processCommandLine", FB_IE_VARLEN, E },
	{ "SRC_PROC_CMDLINE", FB_IE_VARLEN, NO },
	{ "DST_PROC_CMDLINE", FB_IE_VARLEN, NI },
	{ "parentProcessName", FB_IE_VARLEN, E },
	{ "SRC_FATHER_PROC_NAME", FB_IE_VARLEN, NO },
	{ "DST_FATHER_PROC_NAME", FB_IE_VARLEN, NI },
	{ "peerName", FB_IE_VARLEN, 0 }, /* no ntop element means the same (ELEMENTS.md) */
	{ "sourceIPv4Address", 4, TF_V4 },
	{ "destinationIPv4Address", 4, TF_V4 },
	{ "processId", 4, E },
	{ "SRC_PROC_PID", 4, NO },
	{ "DST_PROC_PID", 4, NI },
	{ "processUserId", 4, E },
	{ "SRC_PROC_UID", 4, NO },
	{ "DST_PROC_UID", 4, NI },
	{ "newConnectionDeltaCount", 4, TF_TCP },
	{ "parentProcessId", 4, E },
	{ "SRC_FATHER_PROC_PID", 4, NO },
	{ "DST_FATHER_PROC_PID", 4, NI },
	{ "handshakeMinimumMicroseconds", 4, TF_TCP },
	{ "handshakeMeanMicroseconds", 4, TF_TCP },
	{ "handshakeMaximumMicroseconds", 4, TF_TCP },
	{ "rttMinimumMicroseconds", 4, TF_TCP },
	{ "rttMeanMicroseconds", 4, TF_TCP },
	{ "rttMaximumMicroseconds", 4, TF_TCP },
	/* the retransmitting end: outbound, the source (ntop's IN); inbound, the destination */
	{ "retransmittedSegmentDeltaCount", 4, E | TF_TCP },
	{ "RETRANSMITTED_IN_PKTS", 4, NO | TF_TCP },
	{ "RETRANSMITTED_OUT_PKTS", 4, NI | TF_TCP },
	{ "destinationTransportPort", 2, 0 },
	{ "protocolIdentifier", 1, 0 },
	{ "flowDirection", 1, 0 },
	{ "flowEndReason", 1, 0 },
	{ "ipVersion", 1, 0 },
	{ "applicationId", APPID_LEN, TF_APPID },
	{ "paddingOctets", 7, TF_INTERNAL },
	{ "reverseOctetDeltaCount", 8, TF_TCP }, /* last: see struct ipfix_flow_rec */
	FB_IESPEC_NULL
};

/* The scope first: RFC 7011 4.3. */
const fbInfoElementSpec_t stats_spec[] = {
	{ "exportingProcessId", 4, 0 },
	{ "paddingOctets", 4, TF_INTERNAL },
	{ "observationTimeMilliseconds", 8, 0 },
	{ "exportedMessageTotalCount", 8, 0 },
	{ "exportedFlowRecordTotalCount", 8, 0 },
	{ "exportedOctetTotalCount", 8, 0 },
	{ "packetTotalCount", 8, 0 },
	{ "ignoredPacketTotalCount", 8, 0 },
	{ "notSentPacketTotalCount", 8, 0 },
	{ "notSentFlowTotalCount", 8, 0 },
	FB_IESPEC_NULL
};

const fbInfoElementSpec_t appid_spec[] = {
	{ "observationDomainId", 4, 0 },
	{ "applicationId", APPID_LEN, 0 },
	{ "applicationName", APPID_NAME_LEN, 0 },
	{ "applicationDescription", APPID_DESC_LEN, 0 },
	FB_IESPEC_NULL
};

/*
 * The elements of eBPFlow's PEN that the ntop profile sends too (ntop has none
 * that means the same), named once for both lists of RFC 5610 type records
 * below: each run stands at the same place in both, and a new element both
 * profiles send goes in one of them.
 */
#define SHARED_PROCESS_NAMES                                                       \
	"containerName", "cgroupId", "processStartMilliseconds", "callDeltaCount", \
	    "failedConnectionDeltaCount", "meanTimeBetweenCallsMicroseconds", "processExecutable"
/* TCP health (issue 21), but for the retransmissions: each profile has its own element */
#define SHARED_HANDSHAKE_RTT_NAMES                                                           \
	"handshakeDeltaCount", "handshakeMinimumMicroseconds", "handshakeMeanMicroseconds",  \
	    "handshakeMaximumMicroseconds", "rttSampleDeltaCount", "rttMinimumMicroseconds", \
	    "rttMeanMicroseconds", "rttMaximumMicroseconds"
#define SHARED_FAILURE_PEER_NAMES                                      \
	"connectionRefusedDeltaCount", "connectionTimedOutDeltaCount", \
	    "connectionFailedOtherDeltaCount", "peerName"

static const char *const ebpflow_enterprise[] = {
	"processId", "processName", "processUserId", "processUserName", "containerId",
	SHARED_PROCESS_NAMES, "processCommandLine", "parentProcessId", "parentProcessName",
	SHARED_HANDSHAKE_RTT_NAMES, "retransmittedSegmentDeltaCount", SHARED_FAILURE_PEER_NAMES,
	NULL
};

static const char *const ntop_enterprise[] = {
	"SRC_PROC_PID", "SRC_PROC_NAME", "SRC_PROC_UID", "SRC_PROC_USER_NAME",
	"SRC_PROC_CONTAINER_ID", "DST_PROC_PID", "DST_PROC_NAME", "DST_PROC_UID",
	"DST_PROC_USER_NAME", "DST_PROC_CONTAINER_ID", "SRC_PROC_CMDLINE", "SRC_FATHER_PROC_PID",
	"SRC_FATHER_PROC_NAME", "DST_PROC_CMDLINE", "DST_FATHER_PROC_PID", "DST_FATHER_PROC_NAME",
	SHARED_PROCESS_NAMES, "RETRANSMITTED_IN_PKTS", "RETRANSMITTED_OUT_PKTS",
	SHARED_HANDSHAKE_RTT_NAMES, SHARED_FAILURE_PEER_NAMES, NULL
};

struct tmpl_def {
	enum ie_profile profile;
	uint16_t tid;
	uint32_t flags;
};

#define U TF_UDP
#define T TF_TCP

/* Export templates in the order they are sent; the internal ones take every element. */
static const struct tmpl_def tmpl_defs[] = {
	{ IE_PROFILE_EBPFLOW, TID_EBPFLOW_V4, TF_V4 | TF_OUT | TF_IN | E | U },
	{ IE_PROFILE_EBPFLOW, TID_EBPFLOW_V6, TF_V6 | TF_OUT | TF_IN | E | U },
	{ IE_PROFILE_EBPFLOW, TID_EBPFLOW_TCP_V4, TF_V4 | TF_OUT | TF_IN | E | T },
	{ IE_PROFILE_EBPFLOW, TID_EBPFLOW_TCP_V6, TF_V6 | TF_OUT | TF_IN | E | T },
	{ IE_PROFILE_EBPFLOW, TID_INTERNAL_EBPFLOW,
	  TF_V4 | TF_V6 | TF_OUT | TF_IN | E | U | T | TF_INTERNAL | TF_APPID },
	{ IE_PROFILE_NTOP, TID_NTOP_V4_OUT, TF_V4 | NO | U },
	{ IE_PROFILE_NTOP, TID_NTOP_V4_IN, TF_V4 | NI | U },
	{ IE_PROFILE_NTOP, TID_NTOP_V6_OUT, TF_V6 | NO | U },
	{ IE_PROFILE_NTOP, TID_NTOP_V6_IN, TF_V6 | NI | U },
	{ IE_PROFILE_NTOP, TID_NTOP_TCP_V4_OUT, TF_V4 | NO | T },
	{ IE_PROFILE_NTOP, TID_NTOP_TCP_V4_IN, TF_V4 | NI | T },
	{ IE_PROFILE_NTOP, TID_NTOP_TCP_V6_OUT, TF_V6 | NO | T },
	{ IE_PROFILE_NTOP, TID_NTOP_TCP_V6_IN, TF_V6 | NI | T },
	{ IE_PROFILE_NTOP, TID_INTERNAL_NTOP_OUT,
	  TF_V4 | TF_V6 | NO | U | T | TF_INTERNAL | TF_APPID },
	{ IE_PROFILE_NTOP, TID_INTERNAL_NTOP_IN,
	  TF_V4 | TF_V6 | NI | U | T | TF_INTERNAL | TF_APPID },
};

uint16_t templates_export_tid(enum ie_profile p, int ip_version, int inbound, int proto)
{
	uint32_t want = (ip_version == 4 ? TF_V4 : TF_V6) | (inbound ? TF_IN : TF_OUT) |
			(proto == 6 /* TCP */ ? T : U);

	for (size_t i = 0; i < sizeof(tmpl_defs) / sizeof(tmpl_defs[0]); i++)
		if (tmpl_defs[i].profile == p && !(tmpl_defs[i].flags & TF_INTERNAL) &&
		    (tmpl_defs[i].flags & want) == want)
			return tmpl_defs[i].tid;
	return 0;
}

size_t templates_export_tids(enum ie_profile p, uint16_t out[TEMPLATES_EXPORT_MAX])
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(tmpl_defs) / sizeof(tmpl_defs[0]); i++)
		if (tmpl_defs[i].profile == p && !(tmpl_defs[i].flags & TF_INTERNAL) &&
		    n < TEMPLATES_EXPORT_MAX)
			out[n++] = tmpl_defs[i].tid;
	return n;
}

uint16_t templates_internal_tid(enum ie_profile p, int inbound)
{
	if (p == IE_PROFILE_EBPFLOW)
		return TID_INTERNAL_EBPFLOW;
	return inbound ? TID_INTERNAL_NTOP_IN : TID_INTERNAL_NTOP_OUT;
}

uint32_t templates_flags(enum ie_profile p, uint16_t tid)
{
	for (size_t i = 0; i < sizeof(tmpl_defs) / sizeof(tmpl_defs[0]); i++)
		if (tmpl_defs[i].profile == p && tmpl_defs[i].tid == tid)
			return tmpl_defs[i].flags;
	return 0;
}

void templates_add_elements(fbInfoModel_t *model, uint32_t pen)
{
	fbInfoElement_t mine[sizeof(ebpflow_elements) / sizeof(ebpflow_elements[0])];

	memcpy(mine, ebpflow_elements, sizeof(mine));
	for (size_t i = 0; mine[i].ref.name; i++)
		mine[i].ent = pen;
	fbInfoModelAddElementArray(model, mine);
	fbInfoModelAddElementArray(model, (fbInfoElement_t *)ntop_elements);
}

gboolean templates_add_to_session(fbSession_t *s, enum ie_profile p, GError **err)
{
	return templates_add_flow_templates(s, p, TRUE, err);
}

gboolean templates_add_flow_templates(fbSession_t *s, enum ie_profile p, gboolean appids,
				      GError **err)
{
	fbInfoModel_t *model = fbSessionGetInfoModel(s);

	for (size_t i = 0; i < sizeof(tmpl_defs) / sizeof(tmpl_defs[0]); i++) {
		const struct tmpl_def *d = &tmpl_defs[i];
		gboolean internal = (d->flags & TF_INTERNAL) != 0;
		uint32_t flags = d->flags | (appids ? TF_APPID : 0);
		fbTemplate_t *t;

		if (d->profile != p)
			continue;
		t = fbTemplateAlloc(model);
		if (!fbTemplateAppendSpecArray(t, (fbInfoElementSpec_t *)flow_spec, flags, err) ||
		    !fbSessionAddTemplate(s, internal, d->tid, t, err)) {
			fbTemplateFreeUnused(t);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean templates_add_stats(fbSession_t *s, GError **err)
{
	fbInfoModel_t *model = fbSessionGetInfoModel(s);

	for (int internal = 0; internal <= 1; internal++) {
		fbTemplate_t *t = fbTemplateAlloc(model);

		if (!fbTemplateAppendSpecArray(t, (fbInfoElementSpec_t *)stats_spec,
					       internal ? TF_INTERNAL : 0, err)) {
			fbTemplateFreeUnused(t);
			return FALSE;
		}
		fbTemplateSetOptionsScope(t, 1); /* exportingProcessId, first */
		if (!fbSessionAddTemplate(s, internal, internal ? TID_INTERNAL_STATS : TID_EXPORTER_STATS,
					  t, err))
			return FALSE;
	}
	return TRUE;
}

gboolean templates_add_appids(fbSession_t *s, GError **err)
{
	fbInfoModel_t *model = fbSessionGetInfoModel(s);

	for (int internal = 0; internal <= 1; internal++) {
		fbTemplate_t *t = fbTemplateAlloc(model);

		if (!fbTemplateAppendSpecArray(t, (fbInfoElementSpec_t *)appid_spec, 0, err)) {
			fbTemplateFreeUnused(t);
			return FALSE;
		}
		fbTemplateSetOptionsScope(t, 1); /* observationDomainId, first */
		if (!fbSessionAddTemplate(s, internal,
					  internal ? TID_INTERNAL_APPLICATION : TID_APPLICATION, t, err))
			return FALSE;
	}
	return TRUE;
}

const char *const *templates_enterprise_names(enum ie_profile p)
{
	return p == IE_PROFILE_NTOP ? ntop_enterprise : ebpflow_enterprise;
}
