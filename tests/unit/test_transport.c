// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the collectors' accounting: N messages to a loopback port
 * where nothing listens (the kernel answers each with an ICMP port
 * unreachable, reported by the next send) are N messages, each counted
 * once, as sent or as lost.
 */
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"

#define N_MESSAGES 10

/* A loopback UDP port nothing listens on: bound, then closed again. */
static unsigned int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&a, &len), ==, 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_refused_counted_once(void)
{
	struct transport *t = transport_new();
	char *spec = g_strdup_printf("127.0.0.1:%u", closed_port());
	uint8_t msg[64] = { 0, 10, 0, sizeof(msg) };
	struct transport_dest_stats s;

	g_assert_true(transport_add_collector(t, spec, true, NULL));
	for (int i = 0; i < N_MESSAGES; i++) {
		transport_send(msg, sizeof(msg), t);
		/* the ICMP error of loopback is back before the next send */
		g_usleep(2000);
	}
	s = transport_stats(t, 0);
	g_assert_cmpuint(s.sent + s.failed, ==, N_MESSAGES);
	/* every message but the last was refused; the last one's refusal never surfaced */
	g_assert_cmpuint(s.failed, ==, N_MESSAGES - 1);
	g_assert_cmpuint(s.sent, ==, 1);
	transport_free(t);
	g_free(spec);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/transport/refused_counted_once", test_refused_counted_once);
	return g_test_run();
}
