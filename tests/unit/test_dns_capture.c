// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: what one event of the kernel's ring of DNS answers does
 * (capture.c): an EDNS0 answer longer than 512 bytes named whole, one the
 * capture cut counted apart (not malformed), a broken one counted as bad.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <linux/types.h>
#include <string.h>
#include <sys/socket.h>

#include "capture.h"
#include "ebpflow.h"

#define NETNS 4026531840u

/* An answer for name with n A records 10.0.x.y (y from 1), each 16 bytes: the
 * owner a pointer to the question. Its length. */
static size_t answer_a(uint8_t *msg, size_t cap, const char *name, unsigned int n)
{
	const uint8_t hdr[12] = { 0x51, 0x51, 0x81, 0x80, 0, 1, n >> 8, n & 0xff, 0, 0, 0, 0 };
	gchar **labels = g_strsplit(name, ".", -1);
	size_t off = sizeof(hdr);

	g_assert_cmpuint(cap, >=, sizeof(hdr) + strlen(name) + 6 + n * 16);
	memcpy(msg, hdr, sizeof(hdr));
	for (gchar **l = labels; *l; l++) {
		msg[off++] = strlen(*l);
		memcpy(msg + off, *l, strlen(*l));
		off += strlen(*l);
	}
	g_strfreev(labels);
	msg[off++] = 0;
	memcpy(msg + off, "\0\1\0\1", 4); /* type A, class IN */
	off += 4;
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t rr[16] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4,
					 10, 0, (i + 1) >> 8, (i + 1) & 0xff };

		memcpy(msg + off, rr, sizeof(rr));
		off += sizeof(rr);
	}
	return off;
}

/* The event the kernel hands over: len bytes of a datagram of size bytes. */
static struct dns_event event(const uint8_t *msg, uint16_t len, uint16_t size)
{
	struct dns_event e = { .netns = NETNS, .len = len, .size = size };

	g_assert_cmpuint(len, <=, sizeof(e.data));
	memcpy(e.data, msg, len);
	return e;
}

static const char *lookup(struct dns_names *n, const char *ip)
{
	uint8_t a[16] = { 0 };

	g_assert_cmpint(inet_pton(AF_INET, ip, a), ==, 1);
	return dns_names_lookup(n, NETNS, AF_INET, a, 100);
}

/* What the capture counted: answers handed over, malformed, cut by the kernel, not answers. */
static void expect_stats(const struct dns_capture_stats *st, uint64_t answers, uint64_t bad,
			 uint64_t cut, uint64_t not_answers)
{
	g_assert_cmpuint(st->answers, ==, answers);
	g_assert_cmpuint(st->bad, ==, bad);
	g_assert_cmpuint(st->cut, ==, cut);
	g_assert_cmpuint(st->not_answers, ==, not_answers);
}

/* 32 records (all the parser keeps): 547 bytes, more than RFC 1035's 512 */
static void test_capture_edns0(void)
{
	struct dns_names *names = dns_names_new(64, 10);
	struct dns_capture_stats st = { 0 };
	uint8_t msg[2048];
	size_t len = answer_a(msg, sizeof(msg), "many.example.test", 32);
	struct dns_event e = event(msg, len, len);

	g_assert_cmpuint(len, ==, 547);
	dns_capture_event(&st, names, &e, sizeof(e), 100);
	expect_stats(&st, 1, 0, 0, 0);
	g_assert_cmpstr(lookup(names, "10.0.0.1"), ==, "many.example.test");
	g_assert_cmpstr(lookup(names, "10.0.0.32"), ==, "many.example.test");
	dns_names_free(names);
}

/* 100 records, 1635 bytes: the kernel copied its first 1232 */
static void test_capture_cut(void)
{
	struct dns_names *names = dns_names_new(64, 10);
	struct dns_capture_stats st = { 0 };
	uint8_t msg[2048];
	size_t len = answer_a(msg, sizeof(msg), "long.example.test", 100);
	struct dns_event e = event(msg, EBPFLOW_DNS_CAPTURE, len);

	g_assert_cmpuint(len, ==, 1635);
	dns_capture_event(&st, names, &e, sizeof(e), 100);
	expect_stats(&st, 1, 0, 1, 0);
	/* nothing of it is trusted, not even its whole first records */
	g_assert_null(lookup(names, "10.0.0.1"));
	dns_names_free(names);
}

/* cut by whoever sent it, not by the capture: malformed */
static void test_capture_bad(void)
{
	struct dns_names *names = dns_names_new(64, 10);
	struct dns_capture_stats st = { 0 };
	uint8_t msg[2048];
	size_t len = answer_a(msg, sizeof(msg), "short.example.test", 4);
	struct dns_event e = event(msg, len - 10, len - 10);

	dns_capture_event(&st, names, &e, sizeof(e), 100);
	/* an event shorter than struct dns_event is not one */
	dns_capture_event(&st, names, &e, sizeof(e) - 1, 100);
	expect_stats(&st, 1, 1, 0, 0);
	g_assert_null(lookup(names, "10.0.0.1"));
	dns_names_free(names);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dns_capture/edns0", test_capture_edns0);
	g_test_add_func("/dns_capture/cut", test_capture_cut);
	g_test_add_func("/dns_capture/bad", test_capture_bad);
	return g_test_run();
}
