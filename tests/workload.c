// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-wl: an exact workload for the kernel tests. It makes exactly the
 * calls it is told to, prints its pid (and the thread that made the calls),
 * and says "ready" once a server can take calls.
 *
 *   ebpflow-wl tcp-server ADDR PORT N [read]    (read: take one byte before closing)
 *   ebpflow-wl tcp-client ADDR PORT N SPACING_MS [send]  (send: one byte after connecting)
 *   ebpflow-wl udp-server ADDR PORT N [PEER_ADDR PEER_PORT]  (peer: connect, then recv)
 *   ebpflow-wl udp-client ADDR PORT N SPACING_MS sendto|connected|thread [BIND_PORT]
 *   ebpflow-wl udp-spray ADDR PORT NPORTS N   (N sendto over PORT..PORT+NPORTS-1 in turn, as fast as it can)
 *   ebpflow-wl tcp-loop ADDR PORT N           (N connect + accept + close, both ends in this process)
 *
 * ADDR is IPv4 or IPv6; an IPv6 socket is used for IPv6 addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char payload[] = "ebpflow-test-datagram"; /* 21 bytes */

static void die(const char *what)
{
	fprintf(stderr, "ebpflow-wl: %s: %s\n", what, strerror(errno));
	exit(1);
}

static socklen_t make_addr(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return sizeof(*in6);
	}
	fprintf(stderr, "ebpflow-wl: bad address %s\n", addr);
	exit(2);
}

static int make_socket(const struct sockaddr_storage *ss, int type)
{
	int fd = socket(ss->ss_family, type, 0);
	struct timeval tv = { .tv_sec = 10 };
	int one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* CLOCK_MONOTONIC (the kernel's bpf_ktime_get_ns) just before the first and last call */
static unsigned long long first_call_ns, last_call_ns;

static void stamp(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	last_call_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (!first_call_ns)
		first_call_ns = last_call_ns;
}

static void say(const char *what)
{
	printf("%s pid=%d tid=%ld first_ns=%llu last_ns=%llu\n", what, getpid(),
	       (long)syscall(SYS_gettid), first_call_ns, last_call_ns);
	fflush(stdout);
}

static int tcp_server(const char *addr, int port, int n, int read_first)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, port, &ss);
	int fd = make_socket(&ss, SOCK_STREAM);

	if (bind(fd, (void *)&ss, len) || listen(fd, 64))
		die("bind/listen");
	say("ready");
	for (int i = 0; i < n; i++) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			die("accept");
		if (read_first && recv(c, &(char){ 0 }, 1, 0) != 1)
			die("recv");
		close(c);
	}
	say("done");
	return 0;
}

static int tcp_client(const char *addr, int port, int n, int spacing, int send_byte)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, port, &ss);

	say("ready");
	for (int i = 0; i < n; i++) {
		int fd = make_socket(&ss, SOCK_STREAM);

		if (i)
			sleep_ms(spacing);
		stamp();
		if (connect(fd, (void *)&ss, len))
			die("connect");
		if (send_byte && send(fd, "x", 1, 0) != 1)
			die("send");
		close(fd);
	}
	say("done");
	return 0;
}

static int udp_server(const char *addr, int port, int n, const char *peer, int peer_port)
{
	struct sockaddr_storage ss, from;
	socklen_t len = make_addr(addr, port, &ss);
	int fd = make_socket(&ss, SOCK_DGRAM);
	char buf[256];

	if (bind(fd, (void *)&ss, len))
		die("bind");
	if (peer) {
		struct sockaddr_storage ps;
		socklen_t plen = make_addr(peer, peer_port, &ps);

		if (connect(fd, (void *)&ps, plen))
			die("connect");
	}
	say("ready");
	for (int i = 0; i < n; i++) {
		socklen_t flen = sizeof(from);
		ssize_t r = peer ? recv(fd, buf, sizeof(buf), 0)
				 : recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &flen);

		if (r < 0)
			die("recv");
	}
	say("done");
	return 0;
}

struct udp_job {
	struct sockaddr_storage ss;
	socklen_t len;
	int n, spacing, connected, bind_port;
};

static void *udp_send_all(void *arg)
{
	struct udp_job *j = arg;
	int fd = make_socket(&j->ss, SOCK_DGRAM);

	say("sender");
	if (j->bind_port) {
		struct sockaddr_storage b = { .ss_family = j->ss.ss_family };

		((struct sockaddr_in *)&b)->sin_port = htons(j->bind_port); /* same offset in v6 */
		if (bind(fd, (void *)&b, j->len))
			die("bind");
	}
	if (j->connected && connect(fd, (void *)&j->ss, j->len))
		die("connect");
	for (int i = 0; i < j->n; i++) {
		ssize_t r;

		if (i)
			sleep_ms(j->spacing);
		stamp();
		r = j->connected ? send(fd, payload, sizeof(payload) - 1, 0)
				 : sendto(fd, payload, sizeof(payload) - 1, 0, (void *)&j->ss, j->len);
		if (r < 0)
			die("send");
	}
	close(fd);
	return NULL;
}

static int udp_client(const char *addr, int port, int n, int spacing, const char *mode,
		      int bind_port)
{
	struct udp_job j = { .n = n, .spacing = spacing, .bind_port = bind_port };

	j.len = make_addr(addr, port, &j.ss);
	j.connected = strcmp(mode, "connected") == 0;
	say("ready");
	if (strcmp(mode, "thread") == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, udp_send_all, &j) || pthread_join(t, NULL))
			die("pthread");
	} else {
		udp_send_all(&j);
	}
	say("done");
	return 0;
}

static int udp_spray(const char *addr, int port, int nports, long n)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, port, &ss);
	int fd = make_socket(&ss, SOCK_DGRAM);

	say("ready");
	for (long i = 0; i < n; i++) {
		((struct sockaddr_in *)&ss)->sin_port = htons(port + i % nports); /* same offset in v6 */
		/* nobody listens: a refused earlier datagram does not fail an unconnected send */
		if (sendto(fd, payload, sizeof(payload) - 1, 0, (void *)&ss, len) < 0 &&
		    errno != ECONNREFUSED)
			die("sendto");
	}
	say("done");
	return 0;
}

static int tcp_loop(const char *addr, int port, long n)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, port, &ss);
	int l = make_socket(&ss, SOCK_STREAM);

	if (bind(l, (void *)&ss, len) || listen(l, 128))
		die("bind/listen");
	say("ready");
	for (long i = 0; i < n; i++) {
		int c = make_socket(&ss, SOCK_STREAM), a;
		struct linger lg = { 1, 0 }; /* RST on close: no TIME_WAIT pile-up */

		if (connect(c, (void *)&ss, len))
			die("connect");
		a = accept(l, NULL, NULL);
		if (a < 0)
			die("accept");
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(a);
		close(c);
	}
	say("done");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "tcp-server") == 0)
		return tcp_server(argv[2], atoi(argv[3]), atoi(argv[4]),
				  argc >= 6 && strcmp(argv[5], "read") == 0);
	if (argc >= 6 && strcmp(argv[1], "tcp-client") == 0)
		return tcp_client(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]),
				  argc >= 7 && strcmp(argv[6], "send") == 0);
	if (argc >= 5 && strcmp(argv[1], "udp-server") == 0)
		return udp_server(argv[2], atoi(argv[3]), atoi(argv[4]), argc >= 7 ? argv[5] : NULL,
				  argc >= 7 ? atoi(argv[6]) : 0);
	if (argc >= 7 && strcmp(argv[1], "udp-client") == 0)
		return udp_client(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), argv[6],
				  argc >= 8 ? atoi(argv[7]) : 0);
	if (argc >= 6 && strcmp(argv[1], "udp-spray") == 0)
		return udp_spray(argv[2], atoi(argv[3]), atoi(argv[4]), atol(argv[5]));
	if (argc >= 5 && strcmp(argv[1], "tcp-loop") == 0)
		return tcp_loop(argv[2], atoi(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: see the comment at the top of tests/workload.c\n");
	return 2;
}
