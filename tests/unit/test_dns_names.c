// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: the address -> name table (names.c): namespaces apart, TTL and
 * grace, eviction of the soonest to expire when full, an address answered
 * again.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

static struct dns_answer answer(const char *qname, uint32_t ttl, const char *ip)
{
	struct dns_answer a = { 0 };
	int v6 = strchr(ip, ':') != NULL;

	g_strlcpy(a.qname, qname, sizeof(a.qname));
	a.n_addrs = 1;
	a.addrs[0].family = v6 ? AF_INET6 : AF_INET;
	a.addrs[0].ttl = ttl;
	g_assert_cmpint(inet_pton(a.addrs[0].family, ip, a.addrs[0].addr), ==, 1);
	return a;
}

static const char *lookup(struct dns_names *n, uint32_t netns, const char *ip, uint64_t now)
{
	uint8_t a[16] = { 0 };
	int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;

	g_assert_cmpint(inet_pton(fam, ip, a), ==, 1);
	return dns_names_lookup(n, netns, fam, a, now);
}

static void test_names_netns(void)
{
	struct dns_names *n = dns_names_new(16, 10);
	struct dns_answer a = answer("db.internal", 60, "10.0.0.5");
	struct dns_answer b = answer("cache.internal", 60, "10.0.0.5");
	struct dns_answer c = answer("v6.internal", 60, "fd42::5");
	struct dns_names_stats st;

	dns_names_add(n, 4026531840u, &a, 100);
	dns_names_add(n, 4026532001u, &b, 100);
	dns_names_add(n, 4026531840u, &c, 100);
	g_assert_cmpstr(lookup(n, 4026531840u, "10.0.0.5", 101), ==, "db.internal");
	g_assert_cmpstr(lookup(n, 4026532001u, "10.0.0.5", 101), ==, "cache.internal");
	g_assert_null(lookup(n, 4026532002u, "10.0.0.5", 101));
	g_assert_cmpstr(lookup(n, 4026531840u, "fd42::5", 101), ==, "v6.internal");
	g_assert_null(lookup(n, 4026532001u, "fd42::5", 101));
	/* an IPv4 address is not the IPv6 one starting with the same bytes */
	g_assert_null(lookup(n, 4026531840u, "a00:5::", 101));
	dns_names_get_stats(n, &st);
	g_assert_cmpuint(st.entries, ==, 3);
	g_assert_cmpuint(st.added, ==, 3);
	g_assert_cmpuint(st.evicted, ==, 0);
	dns_names_free(n);
}

static void test_names_expiry(void)
{
	struct dns_names *n = dns_names_new(16, 300);
	struct dns_answer a = answer("short.example", 30, "192.0.2.1");
	struct dns_answer z = answer("zero.example", 0, "192.0.2.2");
	struct dns_names_stats st;

	dns_names_add(n, 1, &a, 1000);
	dns_names_add(n, 1, &z, 1000);
	/* past the TTL, within the grace: still named */
	g_assert_cmpstr(lookup(n, 1, "192.0.2.1", 1031), ==, "short.example");
	g_assert_cmpstr(lookup(n, 1, "192.0.2.1", 1329), ==, "short.example");
	g_assert_cmpstr(lookup(n, 1, "192.0.2.2", 1299), ==, "zero.example");
	dns_names_expire(n, 1299);
	dns_names_get_stats(n, &st);
	g_assert_cmpuint(st.expired, ==, 0);
	/* TTL 0: the grace alone */
	g_assert_null(lookup(n, 1, "192.0.2.2", 1300));
	dns_names_expire(n, 1300);
	dns_names_get_stats(n, &st);
	g_assert_cmpuint(st.expired, ==, 1);
	g_assert_cmpuint(st.entries, ==, 1);
	g_assert_null(lookup(n, 1, "192.0.2.1", 1330));
	dns_names_expire(n, 1330);
	dns_names_get_stats(n, &st);
	g_assert_cmpuint(st.expired, ==, 2);
	g_assert_cmpuint(st.entries, ==, 0);
	g_assert_cmpuint(st.evicted, ==, 0);
	dns_names_free(n);
}

/* full: the entry that expires first goes, whatever the order it came in */
static void test_names_eviction(void)
{
	struct dns_names *n = dns_names_new(3, 0);
	struct dns_answer a = answer("a.example", 500, "192.0.2.1");
	struct dns_answer b = answer("b.example", 100, "192.0.2.2");
	struct dns_answer c = answer("c.example", 300, "192.0.2.3");
	struct dns_answer d = answer("d.example", 400, "192.0.2.4");
	struct dns_answer e = answer("e.example", 400, "192.0.2.5");
	struct dns_names_stats st;

	dns_names_add(n, 1, &a, 0);
	dns_names_add(n, 1, &b, 0);
	dns_names_add(n, 1, &c, 0);
	dns_names_add(n, 1, &d, 0);
	g_assert_null(lookup(n, 1, "192.0.2.2", 1));
	g_assert_cmpstr(lookup(n, 1, "192.0.2.3", 1), ==, "c.example");
	dns_names_add(n, 1, &e, 0);
	g_assert_null(lookup(n, 1, "192.0.2.3", 1));
	/* d and e expire together: the older, d, goes first */
	dns_names_add(n, 1, &b, 0);
	g_assert_null(lookup(n, 1, "192.0.2.4", 1));
	g_assert_cmpstr(lookup(n, 1, "192.0.2.5", 1), ==, "e.example");
	g_assert_cmpstr(lookup(n, 1, "192.0.2.1", 1), ==, "a.example");
	g_assert_cmpstr(lookup(n, 1, "192.0.2.2", 1), ==, "b.example");
	dns_names_get_stats(n, &st);
	g_assert_cmpuint(st.entries, ==, 3);
	g_assert_cmpuint(st.added, ==, 6);
	g_assert_cmpuint(st.evicted, ==, 3);
	g_assert_cmpuint(st.expired, ==, 0);
	/* what expired is dropped before anything is evicted */
	dns_names_add(n, 1, &c, 450);
	dns_names_get_stats(n, &st);
	g_assert_cmpuint(st.evicted, ==, 3);
	g_assert_cmpuint(st.expired, ==, 2);
	g_assert_cmpuint(st.entries, ==, 2);
	dns_names_free(n);
}

/* answered again: the newer name and TTL, even a shorter TTL; no eviction */
static void test_names_renewed(void)
{
	struct dns_names *n = dns_names_new(2, 10);
	struct dns_answer a = answer("old.example", 1000, "192.0.2.1");
	struct dns_answer b = answer("new.example", 50, "192.0.2.1");
	struct dns_names_stats st;

	dns_names_add(n, 7, &a, 0);
	dns_names_add(n, 7, &b, 20);
	g_assert_cmpstr(lookup(n, 7, "192.0.2.1", 21), ==, "new.example");
	g_assert_null(lookup(n, 7, "192.0.2.1", 80));
	dns_names_expire(n, 80);
	dns_names_get_stats(n, &st);
	g_assert_cmpuint(st.added, ==, 2);
	g_assert_cmpuint(st.entries, ==, 0);
	g_assert_cmpuint(st.expired, ==, 1);
	g_assert_cmpuint(st.evicted, ==, 0);
	dns_names_free(n);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/dns_names/netns", test_names_netns);
	g_test_add_func("/dns_names/expiry", test_names_expiry);
	g_test_add_func("/dns_names/eviction", test_names_eviction);
	g_test_add_func("/dns_names/renewed", test_names_renewed);
	return g_test_run();
}
