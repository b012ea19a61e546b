// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-wl: an exact workload for the kernel tests. It makes exactly the
 * calls it is told to, prints its pid (and the thread that made the calls),
 * and says "ready" once a server can take calls.
 *
 *   ebpflow-wl tcp-server ADDR PORT N [read | xfer IN OUT | fork]
 *       read: take one byte before closing; xfer: read IN bytes, write OUT bytes,
 *       then wait for the client's close before closing; fork: a child process
 *       reads one byte and closes the accepted socket
 *   ebpflow-wl tcp-client ADDR PORT N SPACING_MS [send | xfer OUT IN | refused]
 *       send: one byte after connecting; xfer: write OUT bytes, read IN bytes,
 *       close; refused: nobody listens, each connect must fail
 *   ebpflow-wl udp-server ADDR PORT N [PEER_ADDR PEER_PORT | nonblock | peek | recv]
 *       peer: connect, then recv; nonblock: poll, then recvfrom until EAGAIN;
 *       peek: recvfrom with MSG_PEEK (an empty buffer, then a full one) before
 *       each recvfrom; recv: recv() without
 *       an address on the unconnected socket
 *   ebpflow-wl udp-client ADDR PORT N SPACING_MS MODE [BIND_PORT]
 *       MODE: sendto|connected|thread|refused|corked
 *       corked: connected, each datagram made by two sends, the first with
 *       MSG_MORE (which makes no datagram: the second one sends both parts);
 *       refused: connected to a port where nobody listens: sends fail with
 *       ECONNREFUSED after the peer's ICMP, and that is counted, not fatal; the
 *       socket asks for its errors (IP_RECVERR) and reads each from its error
 *       queue (MSG_ERRQUEUE) after a failed send (errq= says how many it read)
 *       An IPv4-mapped ADDR (::ffff:a.b.c.d) sends IPv4 from an IPv6 socket.
 *   ebpflow-wl udp-spray ADDR PORT NPORTS N   (N sendto over PORT..PORT+NPORTS-1 in turn, as fast as it can)
 *   ebpflow-wl tcp-loop ADDR PORT N           (N connect + accept + close, both ends in this process)
 *
 * ADDR is IPv4 or IPv6; an IPv6 socket is used for IPv6 addresses. The
 * "done" line says how many calls succeeded (ok=) and failed (failed=).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char payload[] = "ebpflow-test-datagram"; /* 21 bytes */
#define CORKED 10 /* of them sent with MSG_MORE first, in corked mode */

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

/*
 * CLOCK_MONOTONIC (the kernel's bpf_ktime_get_ns) just before the first and
 * the last call, and just after each: the kernel stamps a call somewhere
 * between the two.
 */
static unsigned long long first_call_ns, last_call_ns, first_end_ns, last_end_ns;
/* calls that succeeded and failed (sends, receives, connects: whichever the mode makes) */
static long ok_calls, failed_calls;
/* messages read from a socket's error queue (MSG_ERRQUEUE) */
static long errqueue_reads;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* just before a call */
static void stamp(void)
{
	last_call_ns = now_ns();
	if (!first_call_ns)
		first_call_ns = last_call_ns;
}

/* just after it returned */
static void stamp_end(void)
{
	last_end_ns = now_ns();
	if (!first_end_ns)
		first_end_ns = last_end_ns;
}

static void say(const char *what)
{
	printf("%s pid=%d tid=%ld first_ns=%llu last_ns=%llu first_end_ns=%llu last_end_ns=%llu "
	       "ok=%ld failed=%ld errq=%ld\n",
	       what, getpid(), (long)syscall(SYS_gettid), first_call_ns, last_call_ns, first_end_ns,
	       last_end_ns, ok_calls, failed_calls, errqueue_reads);
	fflush(stdout);
}

/* Read exactly n bytes (or fail). */
static void read_n(int fd, long n)
{
	char buf[4096];

	while (n > 0) {
		ssize_t r = recv(fd, buf, n < (long)sizeof(buf) ? (size_t)n : sizeof(buf), 0);

		if (r <= 0)
			die("recv");
		n -= r;
	}
}

static void write_n(int fd, long n)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	while (n > 0) {
		ssize_t w = send(fd, buf, n < (long)sizeof(buf) ? (size_t)n : sizeof(buf), 0);

		if (w <= 0)
			die("send");
		n -= w;
	}
}

enum tcp_mode { TCP_PLAIN, TCP_READ, TCP_XFER, TCP_FORK, TCP_SEND, TCP_REFUSED };

static int tcp_server(const char *addr, int port, int n, enum tcp_mode mode, long in, long out)
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
		ok_calls++;
		if (mode == TCP_READ && recv(c, &(char){ 0 }, 1, 0) != 1)
			die("recv");
		if (mode == TCP_XFER) {
			read_n(c, in);
			write_n(c, out);
			/* the client closes first: its FIN, then ours */
			if (recv(c, &(char){ 0 }, 1, 0) != 0)
				die("recv (the client's close)");
		}
		if (mode == TCP_FORK) {
			pid_t child = fork();

			if (child < 0)
				die("fork");
			if (child == 0) {
				if (recv(c, &(char){ 0 }, 1, 0) != 1)
					die("recv");
				printf("worker pid=%d\n", getpid());
				fflush(stdout);
				_exit(0);
			}
			waitpid(child, NULL, 0);
		}
		close(c);
	}
	say("done");
	return 0;
}

static int tcp_client(const char *addr, int port, int n, int spacing, enum tcp_mode mode,
		      long out, long in)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, port, &ss);

	say("ready");
	for (int i = 0; i < n; i++) {
		int fd = make_socket(&ss, SOCK_STREAM), r;

		if (i)
			sleep_ms(spacing);
		stamp();
		r = connect(fd, (void *)&ss, len);
		stamp_end();
		if (r) {
			if (mode != TCP_REFUSED || errno != ECONNREFUSED)
				die("connect");
			failed_calls++;
			close(fd);
			continue;
		}
		if (mode == TCP_REFUSED) {
			fprintf(stderr, "ebpflow-wl: connect to a closed port succeeded\n");
			exit(1);
		}
		ok_calls++;
		if ((mode == TCP_SEND || mode == TCP_FORK) && send(fd, "x", 1, 0) != 1)
			die("send");
		if (mode == TCP_XFER) {
			write_n(fd, out);
			read_n(fd, in);
		}
		close(fd);
	}
	say("done");
	return 0;
}

enum udp_rmode { UDP_RECVFROM, UDP_CONNECTED, UDP_NONBLOCK, UDP_PEEK, UDP_RECV };

static int udp_server(const char *addr, int port, int n, enum udp_rmode mode, const char *peer,
		      int peer_port)
{
	struct sockaddr_storage ss, from;
	socklen_t len = make_addr(addr, port, &ss);
	int fd = make_socket(&ss, SOCK_DGRAM | (mode == UDP_NONBLOCK ? SOCK_NONBLOCK : 0));
	char buf[256];

	if (bind(fd, (void *)&ss, len))
		die("bind");
	if (mode == UDP_CONNECTED) {
		struct sockaddr_storage ps;
		socklen_t plen = make_addr(peer, peer_port, &ps);

		if (connect(fd, (void *)&ps, plen))
			die("connect");
	}
	say("ready");
	while (ok_calls < n) {
		socklen_t flen = sizeof(from);
		ssize_t r;

		if (mode == UDP_NONBLOCK) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			/* an event loop: wait, then drain until the socket says EAGAIN */
			if (poll(&p, 1, 10000) != 1)
				die("poll");
			while ((r = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &flen)) >= 0) {
				ok_calls++;
				flen = sizeof(from);
			}
			if (errno != EAGAIN)
				die("recvfrom");
			failed_calls++; /* the EAGAIN that ends each drain */
			continue;
		}
		/* the sender with an empty buffer (a common idiom), then the datagram */
		if (mode == UDP_PEEK &&
		    (recvfrom(fd, buf, 0, MSG_PEEK, (void *)&from, &flen) < 0 ||
		     recvfrom(fd, buf, sizeof(buf), MSG_PEEK, (void *)&from, &flen) < 0))
			die("recvfrom (peek)");
		flen = sizeof(from);
		if (mode == UDP_CONNECTED || mode == UDP_RECV)
			r = recv(fd, buf, sizeof(buf), 0);
		else
			r = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &flen);
		if (r < 0)
			die("recv");
		ok_calls++;
	}
	say("done");
	return 0;
}

/* Read every message waiting in the socket's error queue: none of them is a receive. */
static void read_error_queue(int fd)
{
	char data[256], control[512];
	struct iovec iov = { data, sizeof(data) };

	for (;;) {
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control, .msg_controllen = sizeof(control) };

		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				die("recvmsg (MSG_ERRQUEUE)");
			return;
		}
		errqueue_reads++;
	}
}

struct udp_job {
	struct sockaddr_storage ss;
	socklen_t len;
	int n, spacing, connected, refused, corked, bind_port;
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
	if (j->refused) {
		int one = 1;

		if (j->ss.ss_family == AF_INET6 ?
			    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)) :
			    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)))
			die("setsockopt (IP_RECVERR)");
	}
	if (j->connected && connect(fd, (void *)&j->ss, j->len))
		die("connect");
	for (int i = 0; i < j->n; i++) {
		ssize_t r;

		if (i)
			sleep_ms(j->spacing);
		stamp();
		if (j->corked) {
			r = send(fd, payload, CORKED, MSG_MORE);
			if (r >= 0) {
				ok_calls++;
				r = send(fd, payload + CORKED, sizeof(payload) - 1 - CORKED, 0);
			}
		} else if (j->connected) {
			r = send(fd, payload, sizeof(payload) - 1, 0);
		} else {
			r = sendto(fd, payload, sizeof(payload) - 1, 0, (void *)&j->ss, j->len);
		}
		stamp_end();
		if (r < 0 && !(j->refused && errno == ECONNREFUSED))
			die("send");
		if (r < 0) {
			failed_calls++;
			read_error_queue(fd);
		} else {
			ok_calls++;
		}
	}
	close(fd);
	return NULL;
}

static int udp_client(const char *addr, int port, int n, int spacing, const char *mode,
		      int bind_port)
{
	struct udp_job j = { .n = n, .spacing = spacing, .bind_port = bind_port };

	j.len = make_addr(addr, port, &j.ss);
	j.refused = strcmp(mode, "refused") == 0;
	j.corked = strcmp(mode, "corked") == 0;
	j.connected = strcmp(mode, "connected") == 0 || j.refused || j.corked;
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

static enum tcp_mode tcp_mode_of(int argc, char **argv, int at, long *a, long *b)
{
	const char *m = argc > at ? argv[at] : "";

	*a = argc > at + 1 ? atol(argv[at + 1]) : 0;
	*b = argc > at + 2 ? atol(argv[at + 2]) : 0;
	if (!strcmp(m, "read"))
		return TCP_READ;
	if (!strcmp(m, "send"))
		return TCP_SEND;
	if (!strcmp(m, "xfer"))
		return TCP_XFER;
	if (!strcmp(m, "fork"))
		return TCP_FORK;
	if (!strcmp(m, "refused"))
		return TCP_REFUSED;
	return TCP_PLAIN;
}

static enum udp_rmode udp_rmode_of(int argc, char **argv)
{
	if (argc < 6)
		return UDP_RECVFROM;
	if (!strcmp(argv[5], "nonblock"))
		return UDP_NONBLOCK;
	if (!strcmp(argv[5], "peek"))
		return UDP_PEEK;
	if (!strcmp(argv[5], "recv"))
		return UDP_RECV;
	return argc >= 7 ? UDP_CONNECTED : UDP_RECVFROM;
}

int main(int argc, char **argv)
{
	long a, b;

	if (argc >= 5 && strcmp(argv[1], "tcp-server") == 0) {
		enum tcp_mode m = tcp_mode_of(argc, argv, 5, &a, &b);

		return tcp_server(argv[2], atoi(argv[3]), atoi(argv[4]), m, a, b);
	}
	if (argc >= 6 && strcmp(argv[1], "tcp-client") == 0) {
		enum tcp_mode m = tcp_mode_of(argc, argv, 6, &a, &b);

		return tcp_client(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), m, a, b);
	}
	if (argc >= 5 && strcmp(argv[1], "udp-server") == 0)
		return udp_server(argv[2], atoi(argv[3]), atoi(argv[4]), udp_rmode_of(argc, argv),
				  argc >= 7 ? argv[5] : NULL, argc >= 7 ? atoi(argv[6]) : 0);
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
