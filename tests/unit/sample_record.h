/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The outbound TCP record that the tests of both ntopng encoders (JSON in
 * test_ntopng.c, TLV in test_ntopng_tlv.c) encode: one flow, two formats;
 * and a command line longer than they send (SAMPLE_LONG_CMDLINE bytes).
 */
#ifndef EBPFLOW_TESTS_SAMPLE_RECORD_H
#define EBPFLOW_TESTS_SAMPLE_RECORD_H

#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "flow.h"

#define SAMPLE_S 1000000000ull
#define SAMPLE_LONG_CMDLINE 5000

/* "sh -c 'x x x ...'" of SAMPLE_LONG_CMDLINE bytes, with "é" (2 bytes) at 4095 */
static inline char *sample_long_cmdline(void)
{
	char *s = g_strnfill(SAMPLE_LONG_CMDLINE, 'x');

	memcpy(s, "sh -c '", 7);
	for (int i = 8; i < SAMPLE_LONG_CMDLINE; i += 2)
		s[i] = ' ';
	s[4095] = '\xc3';
	s[4096] = '\xa9';
	s[SAMPLE_LONG_CMDLINE - 1] = '\'';
	return s;
}

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
	/* 2 handshakes of 1500 us on average: half of it is 0.75 ms, exact in a float */
	r.health = (struct flow_health){ .hs_count = 2, .hs_sum_us = 3000, .hs_min_us = 1000,
					 .hs_max_us = 2000, .rtt_count = 4, .rtt_sum_us = 1000,
					 .rtt_min_us = 200, .rtt_max_us = 300, .retrans_segs = 3,
					 .failed_timeout = 1 };
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
	/* who ran it: the process's own bytes (quotes, not UTF-8) */
	r.exe = "/usr/lib/ebpflow/ebpflow-wl";
	r.cmdline = "ebpflow-wl --name \"a b\" \xff\xfe";
	r.ppid = 26866;
	r.parent = "bash";
	return r;
}

#endif
