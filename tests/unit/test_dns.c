// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: DNS answers built byte by byte (parse.c), good and hostile, and
 * one parsed answer into the name table (names.c; its own tests are
 * test_dns_names.c).
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define T_A 1
#define T_CNAME 5
#define T_AAAA 28
#define T_OPT 41

static void put16(GByteArray *m, unsigned int v)
{
	guint8 b[2] = { v >> 8, v & 0xff };

	g_byte_array_append(m, b, 2);
}

static void put32(GByteArray *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static GByteArray *header(unsigned int flags, unsigned int qd, unsigned int an, unsigned int ns,
			  unsigned int ar)
{
	GByteArray *m = g_byte_array_new();

	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
	return m;
}

/* "www.Example.com" as labels; `ptr` >= 0 ends it with a pointer instead of the root */
static void name_ptr(GByteArray *m, const char *dotted, int ptr)
{
	gchar **labels = g_strsplit(dotted, ".", -1);

	for (gchar **l = labels; *l && **l; l++) {
		guint8 n = (guint8)strlen(*l);

		g_byte_array_append(m, &n, 1);
		g_byte_array_append(m, (const guint8 *)*l, n);
	}
	g_strfreev(labels);
	if (ptr >= 0) {
		put16(m, 0xc000 | (unsigned int)ptr);
	} else {
		guint8 z = 0;

		g_byte_array_append(m, &z, 1);
	}
}

static void name(GByteArray *m, const char *dotted)
{
	name_ptr(m, dotted, -1);
}

static void question(GByteArray *m, const char *qname, unsigned int qtype)
{
	name(m, qname);
	put16(m, qtype);
	put16(m, 1);
}

/* the fixed part of a record after its owner, then its data */
static void rr_data(GByteArray *m, unsigned int type, uint32_t ttl, const void *data,
		    unsigned int len)
{
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, len);
	g_byte_array_append(m, data, len);
}

static void rr_a(GByteArray *m, uint32_t ttl, const char *ip)
{
	guint8 a[16];
	int v6 = strchr(ip, ':') != NULL;

	g_assert_cmpint(inet_pton(v6 ? AF_INET6 : AF_INET, ip, a), ==, 1);
	rr_data(m, v6 ? T_AAAA : T_A, ttl, a, v6 ? 16 : 4);
}

/* a CNAME record at the end of `m` whose target is `target` in full */
static void rr_cname(GByteArray *m, uint32_t ttl, const char *target)
{
	GByteArray *t = g_byte_array_new();

	name(t, target);
	rr_data(m, T_CNAME, ttl, t->data, t->len);
	g_byte_array_free(t, TRUE);
}

#define RESPONSE 0x8180 /* QR, RD, RA, RCODE 0 */
#define Q_OFF 12	/* where the question's name starts */
#define SELF (-2)	/* for one_a(): a pointer to where the owner starts */

/* a response (`flags`) to one A question for `qname`, `an` answers announced */
static GByteArray *response(unsigned int flags, const char *qname, unsigned int an)
{
	GByteArray *m = header(flags, 1, an, 0, 0);

	question(m, qname, T_A);
	return m;
}

/* an address record whose owner is a pointer to the question's name, as servers write it */
static void answer_a(GByteArray *m, uint32_t ttl, const char *ip)
{
	name_ptr(m, "", Q_OFF);
	rr_a(m, ttl, ip);
}

/*
 * `qname` answered by 192.0.2.1 for 60 s, the record's owner the labels
 * `owner` then a pointer to `ptr` (SELF: to the owner itself): the message
 * most hostile cases vary.
 */
static GByteArray *one_a(unsigned int flags, const char *qname, const char *owner, int ptr)
{
	GByteArray *m = response(flags, qname, 1);

	name_ptr(m, owner, ptr == SELF ? (int)m->len : ptr);
	rr_a(m, 60, "192.0.2.1");
	return m;
}

static void parse_ok(GByteArray *m, struct dns_answer *ans)
{
	GError *err = NULL;

	memset(ans, 0xaa, sizeof(*ans));
	if (!dns_parse_answer(m->data, m->len, ans, &err))
		g_error("not parsed: %s", err->message);
	g_byte_array_free(m, TRUE);
}

static void parse_fails(GByteArray *m, int code)
{
	struct dns_answer ans, before;
	GError *err = NULL;

	memset(&ans, 0x5a, sizeof(ans));
	before = ans;
	g_assert_false(dns_parse_answer(m->data, m->len, &ans, &err));
	g_assert_error(err, DNS_PARSE_ERROR, code);
	/* never trusted in part: out untouched */
	g_assert_cmpmem(&ans, sizeof(ans), &before, sizeof(before));
	g_error_free(err);
	g_byte_array_free(m, TRUE);
}

static void assert_addr(const struct dns_addr *a, const char *ip, uint32_t ttl)
{
	char s[INET6_ADDRSTRLEN];

	g_assert_nonnull(inet_ntop(a->family, a->addr, s, sizeof(s)));
	g_assert_cmpstr(s, ==, ip);
	g_assert_cmpuint(a->ttl, ==, ttl);
}

struct want {
	const char *ip;
	uint32_t ttl;
};

/* m parsed into `ans`, whose addresses are exactly `n` of `want`, in order */
static void parse_to(GByteArray *m, struct dns_answer *ans, const struct want *want, unsigned int n)
{
	parse_ok(m, ans);
	g_assert_cmpuint(ans->n_addrs, ==, n);
	for (unsigned int i = 0; i < n; i++)
		assert_addr(&ans->addrs[i], want[i].ip, want[i].ttl);
}

#define PARSE_TO(m, ans, ...)                                  \
	parse_to(m, ans, (const struct want[]){ __VA_ARGS__ }, \
		 G_N_ELEMENTS(((const struct want[]){ __VA_ARGS__ })))

static void test_a(void)
{
	GByteArray *m = response(RESPONSE, "WWW.Example.com", 2);
	struct dns_answer ans;

	answer_a(m, 300, "192.0.2.7");
	answer_a(m, 60, "192.0.2.8");
	PARSE_TO(m, &ans, { "192.0.2.7", 300 }, { "192.0.2.8", 60 });
	g_assert_cmpstr(ans.qname, ==, "www.example.com");
	g_assert_cmpuint(ans.n_cnames, ==, 0);
}

static void test_aaaa(void)
{
	GByteArray *m = header(RESPONSE, 1, 1, 0, 1);
	struct dns_answer ans;

	question(m, "v6.example.org", T_AAAA);
	answer_a(m, 3600, "2001:db8::53");
	/* EDNS's OPT record in the additional section: walked, ignored */
	name(m, "");
	put16(m, T_OPT);
	put16(m, 1232);
	put32(m, 0);
	put16(m, 0);
	PARSE_TO(m, &ans, { "2001:db8::53", 3600 });
	g_assert_cmpstr(ans.qname, ==, "v6.example.org");
	g_assert_cmpint(ans.addrs[0].family, ==, AF_INET6);
}

/*
 * api.example.com -> edge.cdn.example.net -> e1.cdn.example.net -> 2 A; an A
 * of another name is not on the chain; the records out of order; the TTL the
 * smallest along the chain.
 */
static void test_cname_chain(void)
{
	GByteArray *m = response(RESPONSE, "api.example.com", 5);
	struct dns_answer ans;
	guint e1 = m->len;

	name(m, "e1.cdn.example.net");
	rr_a(m, 20, "198.51.100.1");
	name_ptr(m, "", Q_OFF);
	rr_cname(m, 3600, "edge.cdn.example.net");
	name(m, "other.example.net");
	rr_a(m, 5, "198.51.100.99");
	name(m, "EDGE.cdn.example.net");
	rr_cname(m, 120, "e1.cdn.example.net");
	name_ptr(m, "", (int)e1);
	rr_a(m, 600, "198.51.100.2");
	PARSE_TO(m, &ans, { "198.51.100.1", 20 }, { "198.51.100.2", 120 });
	g_assert_cmpstr(ans.qname, ==, "api.example.com");
	g_assert_cmpuint(ans.n_cnames, ==, 2);
}

/* labels before a pointer, a pointer to a pointer: what compressors write */
static void test_compression(void)
{
	GByteArray *m = response(RESPONSE, "example.com", 2);
	struct dns_answer ans;
	GByteArray *t;
	guint www = m->len;

	name_ptr(m, "www", Q_OFF);
	rr_cname(m, 50, "x.y.example.com");
	put16(m, 0xc000 | (www + 6 + 10)); /* -> the CNAME's target */
	rr_a(m, 40, "203.0.113.5");
	/* the question is example.com: the chain must not start at www */
	parse_fails(m, DNS_PARSE_NOT_ANSWER);

	m = response(RESPONSE, "www.example.com", 2);
	www = m->len;
	put16(m, 0xc000 | Q_OFF);
	t = g_byte_array_new();
	name_ptr(t, "x.y", Q_OFF + 4); /* x.y.example.com */
	rr_data(m, T_CNAME, 50, t->data, t->len);
	g_byte_array_free(t, TRUE);
	put16(m, 0xc000 | (www + 2 + 10)); /* -> the CNAME's data */
	rr_a(m, 40, "203.0.113.5");
	PARSE_TO(m, &ans, { "203.0.113.5", 40 });
	g_assert_cmpuint(ans.n_cnames, ==, 1);
}

static void test_two_questions(void)
{
	GByteArray *m = header(RESPONSE, 2, 1, 0, 0);

	question(m, "a.example.com", T_A);
	question(m, "b.example.com", T_A);
	answer_a(m, 60, "192.0.2.1");
	parse_fails(m, DNS_PARSE_NOT_ANSWER);
}

static void test_not_answers(void)
{
	GByteArray *m;

	/* a query */
	parse_fails(response(0x0100, "a.example.com", 0), DNS_PARSE_NOT_ANSWER);
	/* NXDOMAIN */
	parse_fails(response(0x8183, "a.example.com", 0), DNS_PARSE_NOT_ANSWER);
	/* truncated: the client asks again over TCP */
	parse_fails(one_a(RESPONSE | 0x0200, "a.example.com", "", Q_OFF), DNS_PARSE_NOT_ANSWER);
	/* no address: only a CNAME */
	m = response(RESPONSE, "a.example.com", 1);
	name_ptr(m, "", Q_OFF);
	rr_cname(m, 60, "b.example.com");
	parse_fails(m, DNS_PARSE_NOT_ANSWER);
}

static void test_pointer_loop(void)
{
	/* the owner points at itself */
	parse_fails(one_a(RESPONSE, "a.example.com", "", SELF), DNS_PARSE_MALFORMED);
	/* a loop through a label: caught by the name's length */
	parse_fails(one_a(RESPONSE, "a.example.com", "x", SELF), DNS_PARSE_MALFORMED);
}

static void test_pointer_out(void)
{
	/* past the end of the message */
	parse_fails(one_a(RESPONSE, "a.example.com", "", 0x3fff), DNS_PARSE_MALFORMED);
	/* into the header */
	parse_fails(one_a(RESPONSE, "a.example.com", "", 2), DNS_PARSE_MALFORMED);
}

static void test_truncated(void)
{
	GByteArray *m = response(RESPONSE, "a.example.com", 2);

	answer_a(m, 60, "192.0.2.1");
	answer_a(m, 60, "192.0.2.2");
	/* the second record's data cut by one byte: the first is not kept either */
	g_byte_array_set_size(m, m->len - 1);
	parse_fails(m, DNS_PARSE_MALFORMED);
	/* a wrong RDLENGTH for an A record */
	m = response(RESPONSE, "a.example.com", 1);
	name_ptr(m, "", Q_OFF);
	rr_data(m, T_A, 60, "\x01\x02\x03\x04\x05", 5);
	parse_fails(m, DNS_PARSE_MALFORMED);
	/* shorter than a header */
	m = header(RESPONSE, 1, 0, 0, 0);
	g_byte_array_set_size(m, 11);
	parse_fails(m, DNS_PARSE_MALFORMED);
}

static void test_not_printable(void)
{
	const char *bad[] = { "a\nb.example.com", "a b.example.com", "*.example.com",
			      "caf\xc3\xa9.example.com", "a\"b.example.com" };
	GByteArray *m;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		parse_fails(one_a(RESPONSE, bad[i], "", Q_OFF), DNS_PARSE_MALFORMED);
	/* in a record off the chain too: the answer is whole or nothing */
	m = response(RESPONSE, "a.example.com", 2);
	answer_a(m, 60, "192.0.2.1");
	name(m, "x\x01y.example.com");
	rr_a(m, 60, "192.0.2.2");
	parse_fails(m, DNS_PARSE_MALFORMED);
}

/* 65,535 answers claimed in 40 bytes: refused before any record is read */
static void test_huge_count(void)
{
	GByteArray *m = response(RESPONSE, "a.example.com", 65535);

	answer_a(m, 60, "1.2.3.4");
	g_byte_array_set_size(m, 40);
	g_assert_cmpuint(m->len, ==, 40);
	parse_fails(m, DNS_PARSE_MALFORMED);
}

static void test_ttl_zero(void)
{
	GByteArray *m = response(RESPONSE, "zero.example.com", 2);
	struct dns_answer ans;

	name_ptr(m, "", Q_OFF);
	rr_cname(m, 0, "b.example.com");
	name(m, "b.example.com");
	/* RFC 2181: the top bit set means 0 as well */
	rr_a(m, 0x80000010u, "192.0.2.9");
	PARSE_TO(m, &ans, { "192.0.2.9", 0 });
}

/* a CNAME loop never ends the chain: refused, not followed forever */
static void test_cname_loop(void)
{
	GByteArray *m = response(RESPONSE, "a.example.com", 3);

	name_ptr(m, "", Q_OFF);
	rr_cname(m, 60, "b.example.com");
	name(m, "b.example.com");
	rr_cname(m, 60, "a.example.com");
	answer_a(m, 60, "192.0.2.1");
	parse_fails(m, DNS_PARSE_MALFORMED);
}

/* 253 characters in 255 wire bytes is the longest name; one more is not one */
static void test_name_length(void)
{
	GString *longest = g_string_new(NULL);
	struct dns_answer ans;

	/* 3 x 63 + 61 characters and 3 dots: 253 */
	for (int i = 0; i < 4; i++) {
		if (i)
			g_string_append_c(longest, '.');
		for (int j = 0; j < (i < 3 ? 63 : 61); j++)
			g_string_append_c(longest, 'a' + (j % 26));
	}
	g_assert_cmpuint(longest->len, ==, DNS_NAME_MAX);
	parse_ok(one_a(RESPONSE, longest->str, "", Q_OFF), &ans);
	g_assert_cmpstr(ans.qname, ==, longest->str);
	g_string_append(longest, "b");
	parse_fails(one_a(RESPONSE, longest->str, "", Q_OFF), DNS_PARSE_MALFORMED);
	g_string_free(longest, TRUE);
}

/* a parsed answer of several addresses, all of them named */
static void test_names_from_answer(void)
{
	GByteArray *m = response(RESPONSE, "Pool.Example.com", 2);
	struct dns_names *n = dns_names_new(DNS_NAMES_CAPACITY, DNS_NAMES_GRACE_S);
	struct dns_answer ans;

	answer_a(m, 60, "192.0.2.10");
	answer_a(m, 60, "2001:db8::10");
	parse_ok(m, &ans);
	dns_names_add(n, 1, &ans, 0);
	g_assert_cmpstr(dns_names_lookup(n, 1, AF_INET, ans.addrs[0].addr, 359), ==,
			"pool.example.com");
	g_assert_cmpstr(dns_names_lookup(n, 1, AF_INET6, ans.addrs[1].addr, 359), ==,
			"pool.example.com");
	g_assert_null(dns_names_lookup(n, 1, AF_INET, ans.addrs[0].addr, 360));
	dns_names_free(n);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dns/a", test_a);
	g_test_add_func("/dns/aaaa", test_aaaa);
	g_test_add_func("/dns/cname_chain", test_cname_chain);
	g_test_add_func("/dns/compression", test_compression);
	g_test_add_func("/dns/two_questions", test_two_questions);
	g_test_add_func("/dns/not_answers", test_not_answers);
	g_test_add_func("/dns/pointer_loop", test_pointer_loop);
	g_test_add_func("/dns/pointer_out", test_pointer_out);
	g_test_add_func("/dns/truncated", test_truncated);
	g_test_add_func("/dns/not_printable", test_not_printable);
	g_test_add_func("/dns/huge_count", test_huge_count);
	g_test_add_func("/dns/ttl_zero", test_ttl_zero);
	g_test_add_func("/dns/cname_loop", test_cname_loop);
	g_test_add_func("/dns/name_length", test_name_length);
	g_test_add_func("/dns/names/from_answer", test_names_from_answer);
	return g_test_run();
}
