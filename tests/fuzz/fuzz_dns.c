// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: DNS answers (dns/parse.c) as a hostile server or anyone
 * on the path writes them, then what was parsed into the name table.
 */
#include <stdint.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_names *names;
	static uint64_t now; /* monotonic, as the caller's clock */
	struct dns_answer ans;
	const char *name;
	GError *err = NULL;

	if (!names)
		names = dns_names_new(64, 5);
	memset(&ans, 0, sizeof(ans));
	if (!dns_parse_answer(data, size, &ans, &err)) {
		g_assert(err && err->domain == DNS_PARSE_ERROR);
		g_error_free(err);
		return 0;
	}
	/* what an answer promises (dns.h) */
	g_assert(ans.n_addrs > 0 && ans.n_addrs <= DNS_ANSWER_MAX_ADDRS);
	g_assert(ans.qname[0] && strlen(ans.qname) <= DNS_NAME_MAX);
	for (const char *c = ans.qname; *c; c++)
		g_assert(g_ascii_isalnum(*c) || strchr("-_.", *c));
	for (unsigned int i = 0; i < ans.n_addrs; i++)
		g_assert(ans.addrs[i].ttl <= INT32_MAX);
	now += size & 7;
	dns_names_add(names, size & 3, &ans, now);
	/* one address cannot be evicted by its own answer; several may evict each other */
	name = dns_names_lookup(names, size & 3, ans.addrs[0].family, ans.addrs[0].addr, now);
	g_assert(ans.n_addrs > 1 || (name && !strcmp(name, ans.qname)));
	dns_names_expire(names, now);
	return 0;
}
