// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-bench-encode: records encoded per second on one core by one of
 * the exporter's encoders, messages handed to a sink that drops them: IPFIX
 * (exporter/ipfix.c), or ntopng's TLV or JSON (exporter/ntopng/) batched
 * into messages as the ZMQ publisher batches them. Prints "name: value" lines.
 *
 *   ebpflow-bench-encode [N [ipfix|noids|ntopng-tlv|ntopng-json]]
 *                        (default 1000000 records, ipfix with the application
 *                        ids of the default config; noids: ipfix without)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipfix.h"
#include "ntopng.h"
#include "ntopng_tlv.h"

static unsigned long long messages, octets;

static void sink(const uint8_t *msg, size_t len, void *ctx)
{
	messages++;
	octets += len;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* as zmq.c's zmq_export_add: a record, then into the message if it fits */
static void ntopng_encode_json(const struct flow_record *recs, long n)
{
	GString *msg = g_string_sized_new(NTOPNG_MAX_PAYLOAD + 1), *rec = g_string_sized_new(512);

	for (long i = 0; i < n; i++) {
		g_string_truncate(rec, 0);
		ntopng_format_flow(rec, &recs[i & 63], 0);
		if (msg->len && msg->len + rec->len + 2 > NTOPNG_MAX_PAYLOAD) {
			sink((const uint8_t *)msg->str, msg->len + 1, NULL); /* + the closing ']' */
			g_string_truncate(msg, 0);
		}
		g_string_append_c(msg, msg->len ? ',' : '[');
		g_string_append_len(msg, rec->str, rec->len);
	}
	if (msg->len)
		sink((const uint8_t *)msg->str, msg->len + 1, NULL);
	g_string_free(msg, TRUE);
	g_string_free(rec, TRUE);
}

/* the publisher's own message builder (pairs of records included) */
static void ntopng_encode_tlv(const struct flow_record *recs, long n)
{
	struct ntopng_tlv_msg *m = ntopng_tlv_msg_new();
	const GString *msg = ntopng_tlv_msg_payload(m);

	for (long i = 0; i < n; i++) {
		if (ntopng_tlv_msg_add(m, &recs[i & 63], 0))
			continue;
		sink((const uint8_t *)msg->str, msg->len, NULL);
		ntopng_tlv_msg_clear(m);
		ntopng_tlv_msg_add(m, &recs[i & 63], 0);
	}
	if (msg->len)
		sink((const uint8_t *)msg->str, msg->len, NULL);
	ntopng_tlv_msg_free(m);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	const char *format = argc > 2 ? argv[2] : "ipfix";
	bool noids = !strcmp(format, "noids");
	struct ipfix_config cfg = { .profile = IE_PROFILE_EBPFLOW,
				    .pen = EBPFLOW_PEN_DEFAULT,
				    .application_ids = !noids };
	struct flow_record recs[64];
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&cfg, sink, NULL, &err);
	bool ipfix = noids || !strcmp(format, "ipfix");
	double t0, t;

	if (!x || n <= 0 ||
	    (!ipfix && strcmp(format, "ntopng-tlv") && strcmp(format, "ntopng-json"))) {
		fprintf(stderr, "ebpflow-bench-encode: %s\n",
			err ? err->message : "usage: [N [ipfix|noids|ntopng-tlv|ntopng-json]]");
		return 1;
	}
	/* a mix like a host's: IPv4 and IPv6, both directions, TCP and UDP */
	for (int i = 0; i < 64; i++) {
		struct flow_record *r = &recs[i];

		memset(r, 0, sizeof(*r));
		r->key.ip_version = i % 4 ? 4 : 6;
		r->key.direction = i % 2;
		r->key.proto = i % 3 ? 17 : 6;
		r->key.pid = 1000 + i;
		r->key.port = 53 + i;
		inet_pton(r->key.ip_version == 4 ? AF_INET : AF_INET6,
			  r->key.ip_version == 4 ? "10.1.2.3" : "2001:db8::3", r->key.saddr);
		inet_pton(r->key.ip_version == 4 ? AF_INET : AF_INET6,
			  r->key.ip_version == 4 ? "10.3.2.1" : "2001:db8::1", r->key.daddr);
		r->count = r->flow_count = 1 + i;
		r->bytes = 40 * i;
		r->first_ns = r->flow_first_ns = 1000000000ull;
		r->last_ns = r->end_ns = 2000000000ull;
		strcpy(r->comm, "postgres");
		r->user = "postgres";
		r->container = "";
		r->container_id = "";
		r->reason = FLOW_END_IDLE;
	}
	if (ipfix && !ipfix_send_templates(x, &err))
		goto fail;
	t0 = cpu_now();
	if (!ipfix) {
		if (!strcmp(format, "ntopng-tlv"))
			ntopng_encode_tlv(recs, n);
		else
			ntopng_encode_json(recs, n);
	} else {
		for (long i = 0; i < n; i++)
			if (!ipfix_add(x, &recs[i & 63], 0, &err))
				goto fail;
		if (!ipfix_flush(x, &err))
			goto fail;
	}
	t = cpu_now() - t0;
	printf("records: %ld\ncpu_s: %.6f\nrecords_per_s: %.0f\nns_per_record: %.1f\n"
	       "messages: %llu\noctets_per_record: %.1f\n",
	       n, t, n / t, t / n * 1e9, messages, (double)octets / n);
	ipfix_free(x);
	return 0;
fail:
	fprintf(stderr, "ebpflow-bench-encode: %s\n", err->message);
	return 1;
}
