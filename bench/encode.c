// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-bench-encode: records encoded per second on one core by one of
 * the exporter's encoders, messages handed to a sink that drops them: IPFIX
 * (exporter/ipfix.c), or ntopng's TLV or JSON (exporter/ntopng/) batched
 * into messages as the ZMQ publisher batches them. Prints "name: value" lines.
 *
 *   ebpflow-bench-encode [N [ipfix|ntopng-tlv|ntopng-json]]
 *                        (default 1000000 records, ipfix)
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
static void ntopng_encode(const struct flow_record *recs, long n, bool tlv)
{
	GString *msg = g_string_sized_new(NTOPNG_MAX_PAYLOAD + 1), *rec = g_string_sized_new(512);

	for (long i = 0; i < n; i++) {
		g_string_truncate(rec, 0);
		if (tlv)
			ntopng_tlv_format_flow(rec, &recs[i & 63], 0);
		else
			ntopng_format_flow(rec, &recs[i & 63], 0);
		if (msg->len && msg->len + rec->len + (tlv ? 0 : 2) > NTOPNG_MAX_PAYLOAD) {
			sink((const uint8_t *)msg->str, msg->len + !tlv, NULL);
			g_string_truncate(msg, 0);
		}
		if (!msg->len)
			g_string_append_len(msg, tlv ? NTOPNG_TLV_BEGIN : "[",
					    tlv ? NTOPNG_TLV_BEGIN_LEN : 1);
		else if (!tlv)
			g_string_append_c(msg, ',');
		g_string_append_len(msg, rec->str, rec->len);
	}
	if (msg->len)
		sink((const uint8_t *)msg->str, msg->len + !tlv, NULL); /* + the closing ']' */
	g_string_free(msg, TRUE);
	g_string_free(rec, TRUE);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	const char *format = argc > 2 ? argv[2] : "ipfix";
	struct ipfix_config cfg = { .profile = IE_PROFILE_EBPFLOW, .pen = EBPFLOW_PEN_DEFAULT };
	struct flow_record recs[64];
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&cfg, sink, NULL, &err);
	bool ipfix = !strcmp(format, "ipfix");
	double t0, t;

	if (!x || n <= 0 ||
	    (!ipfix && strcmp(format, "ntopng-tlv") && strcmp(format, "ntopng-json"))) {
		fprintf(stderr, "ebpflow-bench-encode: %s\n",
			err ? err->message : "usage: [N [ipfix|ntopng-tlv|ntopng-json]]");
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
		ntopng_encode(recs, n, !strcmp(format, "ntopng-tlv"));
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
