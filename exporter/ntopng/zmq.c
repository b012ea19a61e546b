// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ZMQ publisher ntopng subscribes to (ntopng -i tcp://HOST:PORT), as
 * nProbe and ntop's own eBPF exporter were: ntopng's SUB socket connects to
 * the probe's publisher, or, with a trailing 'c' on both sides, binds and
 * the probe connects (ZMQCollectorInterface.cpp). Records are batched into
 * one message per pass (at most NTOPNG_MAX_PAYLOAD bytes each), in nDPI's
 * TLV (which every ntopng parses) or JSON ([zmq] format).
 *
 * The drain must never wait for a subscriber. A PUB socket drops silently
 * what a full subscriber queue cannot take, and sends to nobody when nobody
 * subscribed: an XPUB socket (the same to a SUB peer) with ZMQ_XPUB_NODROP
 * says EAGAIN instead, and tells which topics are subscribed, so every
 * message no subscriber took is counted as lost and logged once per
 * incident, as transport.c does for IPFIX.
 */
#include "zmq_export.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "log.h"
#include "ntopng.h"
#include "ntopng_tlv.h"

/* messages queued per subscriber before sends fail: 16 MiB at most */
#define ZMQ_EXPORT_SNDHWM 256
/* at close (exit, reload), how long libzmq may go on delivering what is queued */
#define ZMQ_EXPORT_LINGER_MS 500
/* an incident ends after a send succeeds with no loss for this long (as transport.c) */
#define RECOVERED_AFTER_NS (30ull * 1000000000ull)

struct zmq_export {
	char *endpoint; /* as given, for the log */
	void *ctx, *sock;
	uint32_t source_id;
	enum zmq_format format;
	uint32_t msg_id;       /* of the last message, sent or lost */
	GString *payload;      /* JSON: "[{..},{..}" being built, "" when empty */
	GString *record;       /* one JSON record, before it is known to fit */
	struct ntopng_tlv_msg *tlv; /* TLV: the message being built */
	unsigned int batch;    /* records in payload */
	unsigned int subscribed; /* distinct subscribed topics that match "flow" */
	struct zmq_export_stats stats;
	bool failing;
	uint64_t failed_in_incident, last_failure_ns;
};

/* endpoint without its trailing 'c'; *connect says whether there was one */
static char *parse_endpoint(const char *endpoint, bool *connect, GError **err)
{
	size_t len = strlen(endpoint);
	char *addr = g_strndup(endpoint, len);
	const char *port;

	*connect = len && endpoint[len - 1] == 'c';
	if (*connect)
		addr[len - 1] = '\0';
	if (g_str_has_prefix(addr, "ipc://") && addr[6])
		return addr;
	if (g_str_has_prefix(addr, "tcp://")) {
		port = strrchr(addr + 6, ':');
		if (port && port > addr + 6 && port[1] &&
		    strspn(port + 1, "0123456789") == strlen(port + 1) && atoi(port + 1) >= 1 &&
		    atoi(port + 1) <= 65535) {
			if (*connect && addr[6] == '*') {
				g_set_error(err, ZMQ_EXPORT_ERROR, 1,
					    "--zmq %s: the trailing 'c' connects to ntopng: name its "
					    "host, not *",
					    endpoint);
				g_free(addr);
				return NULL;
			}
			return addr;
		}
	}
	g_set_error(err, ZMQ_EXPORT_ERROR, 1,
		    "--zmq %s: not tcp://HOST:PORT or ipc://PATH (tcp://*:5556 listens for "
		    "ntopng; tcp://NTOPNG:5556c connects to an ntopng that listens)",
		    endpoint);
	g_free(addr);
	return NULL;
}

gboolean zmq_export_check(const char *endpoint, GError **err)
{
	bool connect;
	char *addr = parse_endpoint(endpoint, &connect, err);

	g_free(addr);
	return addr != NULL;
}

static void set_int(void *sock, int option, int value)
{
	/* each is a tuning or a safety net: a libzmq without one still publishes */
	if (zmq_setsockopt(sock, option, &value, sizeof(value)))
		pr_debug("ZMQ: option %d not set: %s\n", option, zmq_strerror(errno));
}

/*
 * libzmq starts its I/O and reaper threads with a context's first socket,
 * and a thread has the capabilities of the thread that made it: made from
 * the main thread before privileges_drop(), they would keep root's for
 * good, and the I/O thread parses whatever a peer sends. So the first
 * socket is made by a thread that has given up every capability (its own
 * bounding set first, which needs CAP_SETPCAP); the socket then moves to
 * the caller (g_thread_join is the memory barrier libzmq asks for), which
 * still binds with its own capabilities (a port below 1024).
 */
static gpointer make_socket(gpointer ctx)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[2] = { 0 };

	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	syscall(SYS_capset, &h, none); /* fails harmlessly without privileges */
	return zmq_socket(ctx, ZMQ_XPUB);
}

struct zmq_export *zmq_export_new(const char *endpoint, uint32_t source_id,
				  enum zmq_format format, GError **err)
{
	struct zmq_export *z;
	bool connect;
	char *addr = parse_endpoint(endpoint, &connect, err);
	int rc;

	if (!addr)
		return NULL;
	z = g_new0(struct zmq_export, 1);
	z->endpoint = g_strdup(endpoint);
	z->source_id = source_id;
	z->format = format;
	z->payload = g_string_sized_new(NTOPNG_MAX_PAYLOAD + 1);
	z->record = g_string_sized_new(512);
	z->tlv = ntopng_tlv_msg_new();
	z->ctx = zmq_ctx_new();
	z->sock = z->ctx ? g_thread_join(g_thread_new("ebpflow-zmq", make_socket, z->ctx)) : NULL;
	if (!z->sock) {
		g_set_error(err, ZMQ_EXPORT_ERROR, 1, "--zmq %s: %s", endpoint,
			    zmq_strerror(errno));
		goto fail;
	}
	set_int(z->sock, ZMQ_SNDHWM, ZMQ_EXPORT_SNDHWM);
	set_int(z->sock, ZMQ_XPUB_NODROP, 1);
	set_int(z->sock, ZMQ_LINGER, ZMQ_EXPORT_LINGER_MS);
	set_int(z->sock, ZMQ_IPV6, 1); /* a wildcard bind takes both families; [::1] works */
	/* as ntopng sets on its side: a peer gone without a FIN is noticed */
	set_int(z->sock, ZMQ_TCP_KEEPALIVE, 1);
	set_int(z->sock, ZMQ_TCP_KEEPALIVE_IDLE, 30);
	set_int(z->sock, ZMQ_TCP_KEEPALIVE_CNT, 3);
	set_int(z->sock, ZMQ_TCP_KEEPALIVE_INTVL, 3);
	rc = connect ? zmq_connect(z->sock, addr) : zmq_bind(z->sock, addr);
	if (rc) {
		g_set_error(err, ZMQ_EXPORT_ERROR, 1, "--zmq %s: cannot %s %s: %s", endpoint,
			    connect ? "connect to" : "bind", addr, zmq_strerror(errno));
		goto fail;
	}
	pr_info("ZMQ: publishing flows for ntopng on %s (%s), as %s\n", addr,
		connect ? "connecting to ntopng, which listens" : "ntopng connects here",
		format == ZMQ_FORMAT_TLV ? "TLV" : "JSON");
	g_free(addr);
	return z;
fail:
	g_free(addr);
	zmq_export_free(z);
	return NULL;
}

/* Subscription messages: 1 or 0 (subscribe, unsubscribe), then the topic. */
static void read_subscriptions(struct zmq_export *z)
{
	static const char flow[] = NTOPNG_TOPIC_FLOW;
	unsigned char buf[64];
	int n;

	while ((n = zmq_recv(z->sock, buf, sizeof(buf), ZMQ_DONTWAIT)) >= 1) {
		size_t topic_len = (size_t)n - 1;

		/* SUB filters by prefix: "" and "f" take "flow" messages too */
		if (topic_len >= sizeof(flow) || memcmp(buf + 1, flow, topic_len))
			continue;
		if (buf[0] == 1)
			z->subscribed++;
		else if (buf[0] == 0 && z->subscribed)
			z->subscribed--;
	}
}

static void account(struct zmq_export *z, const char *lost_why, unsigned int records,
		    size_t octets)
{
	uint64_t now = clock_mono_ns();

	if (!lost_why) {
		z->stats.messages++;
		z->stats.records += records;
		z->stats.octets += octets;
		if (z->failing && now - z->last_failure_ns >= RECOVERED_AFTER_NS) {
			pr_info("ZMQ %s: a subscriber takes the messages again (%llu were lost)\n",
				z->endpoint, (unsigned long long)z->failed_in_incident);
			z->failing = false;
		}
		return;
	}
	z->stats.lost++;
	z->stats.lost_records += records;
	z->failed_in_incident++;
	z->last_failure_ns = now;
	if (!z->failing) {
		pr_warn("ZMQ %s: %s; messages are counted as lost until a subscriber takes them\n",
			z->endpoint, lost_why);
		z->failing = true;
		z->failed_in_incident = 1;
	}
}

static void send_message(struct zmq_export *z)
{
	struct ntopng_hdr h;
	const char *lost_why = NULL;
	bool tlv = z->format == ZMQ_FORMAT_TLV;
	const GString *payload = tlv ? ntopng_tlv_msg_payload(z->tlv) : z->payload;

	if (!z->batch)
		return;
	/* TLV: each record ends with its own end byte, nothing closes the message */
	if (!tlv)
		g_string_append_c(z->payload, ']');
	/* a lost message takes its id too: ntopng counts the gap as drops */
	ntopng_header(&h, NTOPNG_TOPIC_FLOW, tlv ? NTOPNG_HDR_VERSION_TLV : NTOPNG_HDR_VERSION_JSON,
		      payload->len, ++z->msg_id, z->source_id);
	read_subscriptions(z);
	if (!z->subscribed) {
		lost_why = "no subscriber (is ntopng connected?)";
	} else if (zmq_send(z->sock, &h, sizeof(h), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
		   /* the high-water mark counts whole messages: the second frame follows */
		   zmq_send(z->sock, payload->str, payload->len, ZMQ_DONTWAIT) < 0) {
		lost_why = errno == EAGAIN ? "a subscriber does not read (its queue is full)"
					   : zmq_strerror(errno);
	}
	account(z, lost_why, z->batch, payload->len);
	g_string_truncate(z->payload, 0);
	ntopng_tlv_msg_clear(z->tlv);
	z->batch = 0;
}

void zmq_export_add(struct zmq_export *z, const struct flow_record *rec, int64_t off)
{
	if (z->format == ZMQ_FORMAT_TLV) {
		if (!ntopng_tlv_msg_add(z->tlv, rec, off)) {
			send_message(z);
			ntopng_tlv_msg_add(z->tlv, rec, off); /* alone, it fits */
		}
		z->batch++;
		return;
	}
	g_string_truncate(z->record, 0);
	ntopng_format_flow(z->record, rec, off);
	/* 2: the separator and the closing bracket; one record always fits alone */
	if (z->batch && z->payload->len + z->record->len + 2 > NTOPNG_MAX_PAYLOAD)
		send_message(z);
	g_string_append_c(z->payload, z->batch ? ',' : '[');
	g_string_append_len(z->payload, z->record->str, z->record->len);
	z->batch++;
}

void zmq_export_flush(struct zmq_export *z)
{
	send_message(z);
}

void zmq_export_free(struct zmq_export *z)
{
	if (!z)
		return;
	if (z->sock) {
		send_message(z);
		zmq_close(z->sock);
	}
	/* waits at most ZMQ_EXPORT_LINGER_MS for the queued messages to leave */
	while (z->ctx && zmq_ctx_term(z->ctx) && errno == EINTR)
		;
	g_string_free(z->payload, TRUE);
	g_string_free(z->record, TRUE);
	ntopng_tlv_msg_free(z->tlv);
	g_free(z->endpoint);
	g_free(z);
}

const char *zmq_export_endpoint(const struct zmq_export *z)
{
	return z->endpoint;
}

void zmq_export_set_source_id(struct zmq_export *z, uint32_t source_id)
{
	z->source_id = source_id;
}

void zmq_export_set_format(struct zmq_export *z, enum zmq_format format)
{
	if (format == z->format)
		return;
	send_message(z);
	z->format = format;
}

const struct zmq_export_stats *zmq_export_stats(const struct zmq_export *z)
{
	return &z->stats;
}
