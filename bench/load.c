// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-bench-load: the workloads the benchmarks time. Each prints
 * "name: value" lines: wall and CPU (user + system, which includes the BPF
 * programs that run in this process) per operation.
 *
 *   ebpflow-bench-load udp N        N unconnected sendto + recvfrom over loopback
 *   ebpflow-bench-load tcp N        N connect + accept + close over loopback
 *   ebpflow-bench-load tcpio N      N round trips of one byte each way on one TCP
 *                                   connection over loopback (4 calls each)
 *   ebpflow-bench-load getppid N    N getppid system calls (an unrelated call)
 *   ebpflow-bench-load flows N      N sendto to N distinct 127.0.0.0/8 address:port
 *                                   pairs (N distinct flows), nobody listening
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "ebpflow-bench-load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void udp(long n)
{
	struct sockaddr_in a = loopback(0), from;
	socklen_t len = sizeof(a);
	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[64] = "eBPFlow benchmark datagram";

	if (rx < 0 || tx < 0 || bind(rx, (void *)&a, sizeof(a)) || getsockname(rx, (void *)&a, &len))
		die("udp socket");
	for (long i = 0; i < n; i++) {
		socklen_t fl = sizeof(from);

		if (sendto(tx, buf, 32, 0, (void *)&a, sizeof(a)) != 32)
			die("sendto");
		if (recvfrom(rx, buf, sizeof(buf), 0, (void *)&from, &fl) != 32)
			die("recvfrom");
	}
}

static void tcp(long n)
{
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 128) ||
	    getsockname(l, (void *)&a, &len))
		die("tcp listen");
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;
		struct linger lg = { 1, 0 }; /* RST on close: no TIME_WAIT pile-up */

		if (c < 0 || connect(c, (void *)&a, sizeof(a)))
			die("connect");
		s = accept(l, NULL, NULL);
		if (s < 0)
			die("accept");
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(s);
		close(c);
	}
}

static void tcpio(long n)
{
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s, one = 1;
	char b = 'x';

	if (l < 0 || c < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len) || connect(c, (void *)&a, sizeof(a)))
		die("tcpio connect");
	s = accept(l, NULL, NULL);
	if (s < 0 || setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("tcpio accept");
	for (long i = 0; i < n; i++) {
		if (send(c, &b, 1, 0) != 1 || recv(s, &b, 1, 0) != 1 || send(s, &b, 1, 0) != 1 ||
		    recv(c, &b, 1, 0) != 1)
			die("tcpio round trip");
	}
	close(s);
	close(c);
	close(l);
}

static void getppid_loop(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void flows(long n)
{
	int tx = socket(AF_INET, SOCK_DGRAM, 0);

	if (tx < 0)
		die("socket");
	for (long i = 0; i < n; i++) {
		/* 127.1.0.0 upwards, 1000 ports each: distinct (address, port) */
		struct sockaddr_in a = loopback(20000 + i % 1000);

		a.sin_addr.s_addr = htonl(0x7f010000u + (uint32_t)(i / 1000));
		if (sendto(tx, "x", 1, 0, (void *)&a, sizeof(a)) < 0 && errno != ECONNREFUSED)
			die("sendto");
	}
}

int main(int argc, char **argv)
{
	double w0, c0, w, c;
	long n;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: ebpflow-bench-load udp|tcp|tcpio|getppid|flows N\n");
		return 2;
	}
	w0 = now_s();
	c0 = cpu_s();
	if (!strcmp(argv[1], "udp"))
		udp(n);
	else if (!strcmp(argv[1], "tcp"))
		tcp(n);
	else if (!strcmp(argv[1], "tcpio"))
		tcpio(n);
	else if (!strcmp(argv[1], "getppid"))
		getppid_loop(n);
	else if (!strcmp(argv[1], "flows"))
		flows(n);
	else
		return 2;
	w = now_s() - w0;
	c = cpu_s() - c0;
	printf("ops: %ld\nwall_s: %.6f\ncpu_s: %.6f\nwall_ns_per_op: %.1f\ncpu_ns_per_op: %.1f\n", n,
	       w, c, w / n * 1e9, c / n * 1e9);
	return 0;
}
