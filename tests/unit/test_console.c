// SPDX-License-Identifier: GPL-2.0-only
/* Unit test: the console tables, with live and forgotten flows merged. */
#include <arpa/inet.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"

#define S 1000000000ull

static void no_report(const struct flow_record *rec, void *ctx)
{
}

static struct flow_key key(uint8_t dir, uint32_t pid, int v, uint8_t proto, const char *s,
			   const char *d, uint16_t port)
{
	struct flow_key k = { .direction = dir, .pid = pid, .ip_version = v, .proto = proto,
			      .port = port };

	inet_pton(v == 4 ? AF_INET : AF_INET6, s, k.saddr);
	inet_pton(v == 4 ? AF_INET : AF_INET6, d, k.daddr);
	return k;
}

static void test_tables(void)
{
	struct flowtable_timeouts t = { .idle_ns = 30 * S, .active_ns = 120 * S };
	struct flowtable_ops ops = { .report = no_report };
	struct flowtable *ft = flowtable_new(&t, &ops);
	struct enrich *en = enrich_new(NULL);
	struct flow_key out = key(0, 23087, 4, 6, "172.17.0.4", "172.17.0.3", 5201);
	struct flow_key in = key(1, 22975, 6, 17, "fd42::1", "fd42::2", 53);
	struct flow_totals a = { .count = 2, .first_ns = 1 * S, .last_ns = 1 * S + 116000 };
	struct flow_totals b = { .count = 1, .first_ns = 5 * S, .last_ns = 5 * S };
	struct flow_record gone = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	struct console *c = console_new(mem, en);

	strcpy(a.comm, "iperf3");
	strcpy(b.comm, "dnsd");
	flowtable_update(ft, &out, &a);
	flowtable_update(ft, &in, &b);
	/* the same inbound flow had 3 calls earlier, forgotten since (idle) */
	gone.key = in;
	gone.count = gone.flow_count = 3;
	gone.first_ns = gone.flow_first_ns = 3 * S;
	gone.last_ns = 4 * S;
	strcpy(gone.comm, "dnsd");
	gone.reason = FLOW_END_IDLE;
	console_record(c, &gone);

	console_print(c, ft, false, NULL);
	fclose(mem);
	g_assert_cmpstr(text, ==,
			"Outbound flows (TCP connect, UDP send)\n"
			"PID     COMM   USER IP PROTO SADDR      DADDR      RPORT COUNT   MTBS(s)\n"
			"23087   iperf3 root 4  TCP   172.17.0.4 172.17.0.3 5201  2       0.000116\n"
			"\n"
			"Inbound flows (TCP accept, UDP receive)\n"
			"PID     COMM USER IP PROTO SADDR   DADDR   LPORT COUNT   MTBS(s)\n"
			"22975   dnsd root 6  UDP   fd42::1 fd42::2 53    4       0.666667\n"
			"\n");
	free(text);
	console_free(c);
	enrich_free(en);
	flowtable_free(ft);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/console/tables", test_tables);
	return g_test_run();
}
