/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The outbound TCP record that the tests of both ntopng encoders (JSON in
 * test_ntopng.c, TLV in test_ntopng_tlv.c) encode: one flow, two formats.
 */
#ifndef EBPFLOW_TESTS_SAMPLE_RECORD_H
#define EBPFLOW_TESTS_SAMPLE_RECORD_H

#include <arpa/inet.h>
#include <string.h>

#include "flow.h"

#define SAMPLE_S 1000000000ull

static inline struct flow_record sample(void)
{
	struct flow_record r = { 0 };

	r.key.direction = EBPFLOW_DIR_OUTBOUND;
	r.key.pid = 26867;
	r.key.ip_version = 4;
	r.key.proto = 6;
	r.key.port = 47511;
	inet_pton(AF_INET, "10.199.0.1", r.key.saddr);
	inet_pton(AF_INET, "10.199.0.2", r.key.daddr);
	r.count = 5;
	r.bytes = 3500;
	r.reverse_bytes = 45000;
	r.failed = 1;
	r.first_ns = 10 * SAMPLE_S;
	r.last_ns = r.end_ns = 12 * SAMPLE_S + 400000000;
	r.flow_count = 5;
	r.flow_first_ns = 10 * SAMPLE_S;
	r.uid = 65534;
	strcpy(r.comm, "ebpflow-wl");
	r.reason = FLOW_END_END;
	r.user = "nobody";
	r.container = "";
	r.container_id = "";
	return r;
}

#endif
