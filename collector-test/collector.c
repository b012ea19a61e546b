// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-collector: a small IPFIX collector (libfixbuf) that prints every
 * data record it receives as one JSON object per line, elements by name,
 * eBPFlow's enterprise elements included. It is the project's conformance
 * check and a tool to point an exporter at to see what arrives.
 *
 *   ebpflow-collector --udp HOST:PORT [--pen N] [--count N]
 *   ebpflow-collector --file PATH [--pen N]
 *
 * Flow records print the elements their template carries; RFC 5610 type
 * records print as {"_record":"element_type", ...}. Elements eBPFlow does
 * not send are not decoded. Over UDP a malformed datagram is dropped and
 * counted; SIGTERM or SIGINT end it with a summary on stderr.
 */
#include <getopt.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "decode.h"

/*
 * libfixbuf hides its UDP socket; a burst of messages (a thousand flows
 * reported at once) overflows the kernel's default receive buffer, as with
 * any UDP collector (nfcapd has -B for it). Enlarge every datagram socket of
 * ours: only the listener's exists at this point.
 */
static void enlarge_receive_buffers(int bytes)
{
	for (int fd = 3; fd < 1024; fd++) {
		int type = 0;
		socklen_t len = sizeof(type);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_DGRAM)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	}
}

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * No SA_RESTART: the signal interrupts libfixbuf's wait (FB_ERROR_NLREAD),
 * the loop sees stopping. One that comes between two waits is seen at the
 * next datagram; a second signal ends the process at once.
 */
static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop, .sa_flags = SA_RESETHAND };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

struct udp_input {
	fbListener_t *listener;
	struct collector *c;
};

/*
 * Wait for a datagram, then read it: in manual mode nothing reads it for us.
 * A malformed one is dropped (collector_drop); a signal ends the input as a
 * file's end would.
 */
static fBuf_t *next_datagram(fBuf_t *fbuf, void *ctx, GError **err)
{
	struct udp_input *in = ctx;

	for (;;) {
		fBuf_t *b;

		if (stopping) {
			g_set_error(err, FB_ERROR_DOMAIN, FB_ERROR_EOF, "stopped by a signal");
			return NULL;
		}
		b = fbListenerWait(in->listener, err);
		if (b && fBufNextMessage(b, err))
			return b;
		if (g_error_matches(*err, FB_ERROR_DOMAIN, FB_ERROR_NLREAD) ||
		    (b && collector_drop(in->c, err))) {
			g_clear_error(err);
			continue;
		}
		return NULL;
	}
}

static void usage(FILE *f)
{
	fputs("Usage: ebpflow-collector --udp HOST:PORT [--pen N] [--count N]\n"
	      "       ebpflow-collector --file PATH [--pen N]\n"
	      "Print every IPFIX data record received as one JSON object per line.\n"
	      "  --udp HOST:PORT  listen for IPFIX over UDP (IPv6 in brackets: [::1]:4739)\n"
	      "  --file PATH      read an IPFIX file ('-' for standard input)\n"
	      "  --pen N          PEN of eBPFlow's elements (default 32473, as the exporter)\n"
	      "  --count N        exit after N flow records\n"
	      "Example: ebpflow-collector --udp 127.0.0.1:4739 & sudo ebpflow -o none --collector "
	      "127.0.0.1:4739\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "udp", required_argument, NULL, 'u' }, { "file", required_argument, NULL, 'f' },
		{ "pen", required_argument, NULL, 'p' }, { "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },      { 0 },
	};
	char *udp = NULL, *file = NULL, *end;
	unsigned long pen = EBPFLOW_PEN_DEFAULT;
	unsigned long long limit = 0;
	struct collector *c = NULL;
	fbConnSpec_t spec = { 0 };
	GError *err = NULL;
	fBuf_t *fbuf = NULL;
	struct udp_input in = { 0 };
	int opt, rc = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u': udp = optarg; break;
		case 'f': file = optarg; break;
		case 'p':
			pen = strtoul(optarg, &end, 10);
			if (*end || !pen || pen > UINT32_MAX) {
				fprintf(stderr, "ebpflow-collector: --pen: '%s' is not a PEN\n", optarg);
				return 2;
			}
			break;
		case 'n':
			limit = strtoull(optarg, &end, 10);
			if (*end) {
				fprintf(stderr, "ebpflow-collector: --count: '%s' is not a number\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!udp == !file || optind < argc) {
		usage(stderr);
		return 2;
	}

	if (file) {
		if (collector_read_file(file, (uint32_t)pen, &err))
			return 0;
		fprintf(stderr, "ebpflow-collector: %s\n", err ? err->message : "failed");
		g_clear_error(&err);
		return 1;
	}
	c = collector_new((uint32_t)pen, limit, &err);
	if (!c)
		goto fail;
	c->drop_malformed = TRUE;
	in.c = c;
	catch_stop_signals();
	{
		char *colon = strrchr(udp, ':');

		if (!colon || colon == udp) {
			fprintf(stderr, "ebpflow-collector: --udp: '%s' is not HOST:PORT\n", udp);
			return 2;
		}
		*colon = '\0';
		spec.transport = FB_UDP;
		spec.host = udp[0] == '[' ? udp + 1 : udp;
		if (udp[0] == '[' && colon[-1] == ']')
			colon[-1] = '\0';
		spec.svc = colon + 1;
		in.listener = fbListenerAlloc(&spec, c->session, NULL, NULL, &err);
		if (!in.listener)
			goto fail;
		enlarge_receive_buffers(32 << 20);
		fprintf(stderr, "ebpflow-collector: listening on UDP %s port %s\n", spec.host,
			spec.svc);
		fbuf = next_datagram(NULL, &in, &err);
		if (!fbuf)
			goto fail;
	}
	if (collector_run(c, fbuf, next_datagram, &in, &err))
		goto out;
	if (g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF))
		goto out;
fail:
	if (!g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF)) {
		fprintf(stderr, "ebpflow-collector: %s\n", err ? err->message : "failed");
		rc = 1;
	}
out:
	if (c)
		fprintf(stderr, "ebpflow-collector: %llu flow records, %llu datagrams dropped "
				"(malformed)\n",
			(unsigned long long)c->records, (unsigned long long)c->dropped);
	g_clear_error(&err);
	if (in.listener) {
		fbListenerFree(in.listener);
		if (c)
			c->session = NULL; /* the listener's, freed with it */
	}
	collector_free(c);
	return rc;
}
