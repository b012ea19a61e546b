// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-bench-encode: IPFIX records encoded per second on one core by the
 * exporter's encoder (exporter/ipfix.c), messages handed to a sink that
 * drops them. Prints "name: value" lines.
 *
 *   ebpflow-bench-encode [N] [noids]   (default 1000000 records, with the
 *                                       application ids of the default config)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipfix.h"

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

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct ipfix_config cfg = { .profile = IE_PROFILE_EBPFLOW,
				    .pen = EBPFLOW_PEN_DEFAULT,
				    .application_ids = !(argc > 2 && !strcmp(argv[2], "noids")) };
	struct flow_record recs[64];
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&cfg, sink, NULL, &err);
	double t0, t;

	if (!x || n <= 0) {
		fprintf(stderr, "ebpflow-bench-encode: %s\n", err ? err->message : "usage: [N]");
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
		r->reason = FLOW_END_IDLE;
	}
	if (!ipfix_send_templates(x, &err))
		goto fail;
	t0 = cpu_now();
	for (long i = 0; i < n; i++)
		if (!ipfix_add(x, &recs[i & 63], 0, &err))
			goto fail;
	if (!ipfix_flush(x, &err))
		goto fail;
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
