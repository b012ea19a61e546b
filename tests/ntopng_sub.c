// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-ntopng-sub: a ZMQ subscriber that reads messages the way ntopng's
 * collector does (ZMQCollectorInterface::collect_flows in ntopng's source),
 * for the tests of --zmq: ntopng is not in Debian, so this stands in for it.
 *
 *   ebpflow-ntopng-sub ENDPOINT
 *
 * As ntopng -i ENDPOINT: a SUB socket that connects, or binds when the
 * endpoint ends in 'c', subscribed to ntopng's topics. Each message: the
 * header frame is read into a buffer the size of ntopng's largest header
 * (40 bytes) and its version told by its length, as ntopng does; then the
 * payload frame into ntopng's 128 KiB buffer. One JSON line per message on
 * stdout: the header's fields, what was wrong with the message ("error"),
 * and the payload: as "flows" itself when the header says JSON (so a payload
 * that is not JSON makes the line unreadable), in hex as "tlv" when it says
 * TLV (version 3 in the 28-byte header: tests/lib/ntopng_tlv.py decodes it as
 * ntopng's parseTLVFlow does). "subscribed" on stderr once the socket is set up.
 * SIGTERM or SIGINT ends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* ntopng's header versions, with its compiler's natural alignment */
struct hdr_v0 { /* legacy: no message id */
	char url[32];
	uint32_t version;
	uint32_t size;
};
struct hdr_v1 {
	char url[16];
	uint8_t version, source_id;
	uint16_t size;
	uint32_t msg_id;
};
struct hdr_v2 {
	char url[16];
	uint8_t version;
	uint16_t size;
	uint32_t msg_id, source_id;
};
struct hdr_v3 {
	char url[16];
	uint8_t version, flags;
	uint32_t uncompressed_size, compressed_size;
	uint32_t msg_id, source_id;
};

#define MSG_VERSION 4 /* the newest ntopng knows (struct hdr_v3) */
#define MSG_VERSION_TLV 3 /* in the 24- or 28-byte headers: the payload is nDPI's TLV */
#define PAYLOAD_MAX 131072

static const char *const topics[] = { "flow",  "event",           "counter",     "template",
				      "option", "hello", "listening-ports", "snmp-ifaces",
				      "message" };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* a JSON string of at most len bytes of s (the topic: printable, as ntopng prints it) */
static void print_str(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len && s[i]; i++)
		if (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			printf("\\u%04x", (unsigned char)s[i]);
		else
			putchar(s[i]);
	putchar('"');
}

static void one_message(void *sock, char *payload)
{
	union {
		struct hdr_v0 v0;
		struct hdr_v1 v1;
		struct hdr_v2 v2;
		struct hdr_v3 v3;
	} h;
	int hlen, plen, more = 0;
	size_t more_len = sizeof(more);
	unsigned long msg_id = 0, source_id = 0, size = 0;
	unsigned int version;
	const char *error = NULL;
	int tlv;

	memset(&h, 0, sizeof(h));
	hlen = zmq_recv(sock, &h, sizeof(struct hdr_v0), 0);
	if (hlen < 0)
		return;
	version = hlen == (int)sizeof(struct hdr_v0) ? h.v0.version : h.v1.version;
	if (hlen == (int)sizeof(struct hdr_v0)) {
		size = h.v0.size;
	} else if ((hlen != (int)sizeof(struct hdr_v3) && hlen != (int)sizeof(struct hdr_v2) &&
		    hlen != (int)sizeof(struct hdr_v1)) ||
		   h.v1.version > MSG_VERSION) {
		error = "unsupported publisher version (ntopng skips the message)";
	} else if (h.v1.version == 1) {
		msg_id = h.v1.msg_id; /* host order in that version */
		size = h.v1.size;
	} else if (hlen == (int)sizeof(struct hdr_v1)) {
		msg_id = ntohl(h.v1.msg_id), source_id = h.v1.source_id, size = h.v1.size;
	} else if (hlen == (int)sizeof(struct hdr_v2)) {
		msg_id = ntohl(h.v2.msg_id), source_id = h.v2.source_id, size = h.v2.size;
	} else if (h.v3.version == MSG_VERSION) {
		msg_id = ntohl(h.v3.msg_id), source_id = h.v3.source_id;
		size = h.v3.uncompressed_size;
		if (h.v3.flags)
			error = "TLV or compressed payload: not eBPFlow's";
	} else {
		error = "a header of version 4's size with another version";
	}
	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &more_len);
	if (!more) { /* ntopng would take the next message's header as this one's payload */
		printf("{\"header_len\":%d,\"error\":\"no payload frame\"}\n", hlen);
		return;
	}
	plen = zmq_recv(sock, payload, PAYLOAD_MAX, 0);
	if (plen < 0)
		return;
	if (plen > PAYLOAD_MAX) {
		error = "payload over 128 KiB: ntopng drops it";
		plen = 0;
	} else if (!error && version != MSG_VERSION && plen && payload[0] == 0) {
		error = "zlib-compressed payload: not eBPFlow's";
	}
	payload[plen] = '\0';
	tlv = hlen != (int)sizeof(struct hdr_v0) && hlen != (int)sizeof(struct hdr_v3) &&
	      version == MSG_VERSION_TLV;
	printf("{\"topic\":");
	print_str(h.v1.url, hlen == (int)sizeof(struct hdr_v0) ? sizeof(h.v0.url) : 16);
	printf(",\"header_len\":%d,\"version\":%u,\"size\":%lu,\"msg_id\":%lu,\"source_id\":%lu,"
	       "\"payload_len\":%d",
	       hlen, version, size, msg_id, source_id, plen);
	if (error)
		printf(",\"error\":\"%s\"", error);
	if (tlv && !error) {
		printf(",\"flows\":null,\"tlv\":\"");
		for (int i = 0; i < plen; i++)
			printf("%02x", (unsigned char)payload[i]);
		printf("\"}\n");
	} else {
		/* the payload as is: the test's JSON parser is the check that it is JSON */
		printf(",\"flows\":%s}\n", plen && !error ? payload : "null");
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char *endpoint, *payload = malloc(PAYLOAD_MAX + 1);
	void *ctx, *sock;
	size_t len;
	int rcvtimeo = 200, rc;

	if (argc != 2 || !payload) {
		fprintf(stderr, "usage: ebpflow-ntopng-sub ENDPOINT (as ntopng -i ENDPOINT)\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	endpoint = strdup(argv[1]);
	len = strlen(endpoint);
	ctx = zmq_ctx_new();
	sock = zmq_socket(ctx, ZMQ_SUB);
	/* to see SIGTERM between messages */
	zmq_setsockopt(sock, ZMQ_RCVTIMEO, &rcvtimeo, sizeof(rcvtimeo));
	if (endpoint[len - 1] == 'c') { /* ntopng's collector mode: it binds */
		endpoint[len - 1] = '\0';
		rc = zmq_bind(sock, endpoint);
	} else {
		rc = zmq_connect(sock, endpoint);
	}
	if (rc) {
		fprintf(stderr, "ebpflow-ntopng-sub: %s: %s\n", endpoint, zmq_strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
		zmq_setsockopt(sock, ZMQ_SUBSCRIBE, topics[i], strlen(topics[i]));
	fprintf(stderr, "subscribed\n");
	while (!stop)
		one_message(sock, payload);
	zmq_close(sock);
	zmq_ctx_term(ctx);
	free(payload);
	free(endpoint);
	return 0;
}
