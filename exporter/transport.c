// SPDX-License-Identifier: GPL-2.0-only
/*
 * UDP sockets are connected to their collector so that the kernel reports
 * ICMP errors (collector down, host unreachable) on the next send, and are
 * non-blocking with a large send buffer: a send whose buffer is full waits
 * at most TRANSPORT_WAIT_MS (once) for room, then the message is counted as
 * lost, so a slow path holds the drain loop up by a bounded time per message
 * and never blocks it. libfixbuf's own UDP exporter reports a failed send as
 * success, hence this module.
 *
 * A collector's socket is made when it is added, at start while eBPFlow
 * still holds CAP_NET_ADMIN (the only way past net.core.wmem_max), before
 * its name resolves: an IPv6 socket that also reaches IPv4 addresses (as
 * v4-mapped ones), so the address found later, of either family, fits it.
 * Names are resolved after start in a worker thread (resolve.c), never in
 * the drain loop.
 */
#include "transport.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "resolve.h"

#define TRANSPORT_ERROR g_quark_from_static_string("ebpflow-transport")
#define TRANSPORT_SNDBUF (8 << 20)
/* how long a full send buffer may hold the loop up before a message is lost */
#define TRANSPORT_WAIT_MS 20

struct dest {
	char *name;
	char *spec;             /* collectors: as configured */
	char *host, *port;
	int fd;                 /* UDP socket, or -1 */
	bool connected;
	struct resolve *lookup; /* in flight */
	uint64_t retry_at_ns;   /* CLOCK_MONOTONIC: the next look-up, when not connected */
	unsigned int retries;
	struct ipfix_file *file;             /* the IPFIX file, or NULL */
	struct ipfix_file_config file_cfg;   /* kept to open it again */
	uint64_t sent, failed, failed_in_incident;
	uint64_t last_failure_ns; /* CLOCK_MONOTONIC */
	bool failing;
};

struct transport {
	GPtrArray *dests;
};

static void dest_free(gpointer p)
{
	struct dest *d = p;

	if (d->fd >= 0)
		close(d->fd);
	resolve_free(d->lookup);
	ipfix_file_close(d->file);
	g_free((char *)d->file_cfg.path);
	g_free((char *)d->file_cfg.group);
	g_free(d->name);
	g_free(d->spec);
	g_free(d->host);
	g_free(d->port);
	g_free(d);
}

struct transport *transport_new(void)
{
	struct transport *t = g_new0(struct transport, 1);

	t->dests = g_ptr_array_new_with_free_func(dest_free);
	return t;
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
	g_ptr_array_free(t->dests, TRUE);
	g_free(t);
}

gboolean transport_parse_hostport(const char *spec, char **host, char **port, GError **err)
{
	char *shown = NULL, *shown_port = NULL;
	const char *colon;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end[1] != ':' || !end[2])
			goto bad;
		*host = g_strndup(spec + 1, end - spec - 1);
		*port = g_strdup(end + 2);
	} else {
		colon = strrchr(spec, ':');
		if (!colon || colon == spec || !colon[1] || strchr(spec, ':') != colon)
			goto bad;
		*host = g_strndup(spec, colon - spec);
		*port = g_strdup(colon + 1);
	}
	for (const char *p = *port; *p; p++) {
		if (*p < '0' || *p > '9') {
			shown = log_excerpt(spec);
			shown_port = log_excerpt(*port);
			g_set_error(err, TRANSPORT_ERROR, 1,
				    "collector '%s': port '%s' is not a number", shown, shown_port);
			goto fail;
		}
	}
	if (strlen(*port) > 5 || atoi(*port) < 1 || atoi(*port) > 65535) {
		shown = log_excerpt(spec);
		shown_port = log_excerpt(*port);
		g_set_error(err, TRANSPORT_ERROR, 1,
			    "collector '%s': port %s is out of range (1-65535)", shown, shown_port);
		goto fail;
	}
	return TRUE;
bad:
	shown = log_excerpt(spec);
	g_set_error(
	    err, TRANSPORT_ERROR, 1,
	    "collector '%s' is not HOST:PORT (an IPv6 address goes in brackets: [::1]:4739)",
	    shown);
	g_free(shown);
	return FALSE;
fail:
	g_free(shown);
	g_free(shown_port);
	g_clear_pointer(host, g_free);
	g_clear_pointer(port, g_free);
	return FALSE;
}

/* A UDP socket for either family, its send buffer as large as allowed. */
static int make_socket(const char *name)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int off = 0, bytes = TRANSPORT_SNDBUF, got = 0;
	socklen_t len = sizeof(got);

	if (fd >= 0)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	else /* a kernel without IPv6: IPv4 only */
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/*
	 * A pass can end thousands of flows at once: room for the burst of
	 * messages while the network drains them (FORCE: above wmem_max, with
	 * CAP_NET_ADMIN, held at start).
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
	/* the kernel reports twice what it grants */
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) == 0 && got / 2 < bytes)
		pr_info("%s: send buffer %d KiB, not %d KiB: net.core.wmem_max caps it without "
			"CAP_NET_ADMIN (a collector added by a reload)\n",
			name, got / 2 / 1024, bytes / 1024);
	return fd;
}

/* Connect d's socket to the first address that takes it (IPv4 as v4-mapped on IPv6). */
static int connect_to(struct dest *d, const struct addrinfo *res, char *addr, size_t addr_len)
{
	struct sockaddr_storage own;
	socklen_t own_len = sizeof(own);
	int e = EAFNOSUPPORT;

	if (getsockname(d->fd, (struct sockaddr *)&own, &own_len))
		return errno;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		struct sockaddr_in6 m = { .sin6_family = AF_INET6 };
		const struct sockaddr *sa = ai->ai_addr;
		socklen_t sa_len = ai->ai_addrlen;

		if (own.ss_family == AF_INET6 && ai->ai_family == AF_INET) {
			const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;

			m.sin6_port = v4->sin_port;
			m.sin6_addr.s6_addr[10] = m.sin6_addr.s6_addr[11] = 0xff;
			memcpy(&m.sin6_addr.s6_addr[12], &v4->sin_addr, 4);
			sa = (const struct sockaddr *)&m;
			sa_len = sizeof(m);
		} else if (own.ss_family != ai->ai_family) {
			continue;
		}
		if (connect(d->fd, sa, sa_len) == 0) {
			getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, addr_len, NULL, 0,
				    NI_NUMERICHOST);
			return 0;
		}
		e = errno;
	}
	return e;
}

/* One log line when an incident starts. */
static void incident(struct dest *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void incident(struct dest *d, const char *fmt, ...)
{
	va_list ap;
	char *why;

	if (d->failing)
		return;
	va_start(ap, fmt);
	why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	pr_warn("%s: %s\n", d->name, why);
	g_free(why);
	d->failing = true;
	d->failed_in_incident = 0;
}

static void retry_later(struct dest *d)
{
	d->retries++;
	d->retry_at_ns = clock_mono_ns() +
			 clock_backoff_ns(d->retries, TRANSPORT_RETRY_MIN_MS, TRANSPORT_RETRY_MAX_MS);
}

/* What a look-up found: connected, or an incident and a retry later. True when connected. */
static bool take_lookup(struct dest *d, int rc, const struct addrinfo *res)
{
	char addr[NI_MAXHOST] = "";
	int e;

	if (rc) {
		incident(d, "cannot resolve '%s': %s; tried again with back-off, its messages "
			    "counted as lost until then", d->host, gai_strerror(rc));
		retry_later(d);
		return false;
	}
	e = connect_to(d, res, addr, sizeof(addr));
	if (e) {
		incident(d, "cannot reach it: %s; tried again with back-off, its messages "
			    "counted as lost until then", g_strerror(e));
		retry_later(d);
		return false;
	}
	if (d->failing || d->failed)
		pr_info("%s: resolved to %s; sending (%llu messages were lost before)\n", d->name,
			addr, (unsigned long long)d->failed);
	d->connected = true;
	d->failing = false;
	d->retries = 0;
	return true;
}

gboolean transport_check_collector(const char *spec, GError **err)
{
	struct addrinfo *res = NULL;
	char *host = NULL, *port = NULL;
	gboolean ok = FALSE;
	int rc;

	if (!transport_parse_hostport(spec, &host, &port, err))
		return FALSE;
	rc = resolve_now(host, port, &res);
	if (rc)
		g_set_error(err, TRANSPORT_ERROR, 1, "collector '%s': cannot resolve '%s': %s", spec,
			    host, gai_strerror(rc));
	else
		ok = TRUE;
	if (res)
		freeaddrinfo(res);
	g_free(host);
	g_free(port);
	return ok;
}

static void start_lookup(struct dest *d)
{
	d->lookup = resolve_start(d->host, d->port);
	if (!d->lookup)
		retry_later(d);
}

gboolean transport_add_collector(struct transport *t, const char *spec, bool defer, GError **err)
{
	struct addrinfo *res = NULL;
	struct dest *d;
	char *host, *port;

	if (!transport_parse_hostport(spec, &host, &port, err))
		return FALSE;
	d = g_new0(struct dest, 1);
	d->name = g_strdup_printf("collector %s", spec);
	d->spec = g_strdup(spec);
	d->host = host;
	d->port = port;
	d->fd = make_socket(d->name);
	g_ptr_array_add(t->dests, d);
	if (d->fd < 0) {
		incident(d, "cannot make a socket: %s", g_strerror(errno));
		retry_later(d);
	} else if (resolve_numeric(host, port, &res)) {
		take_lookup(d, 0, res);
		freeaddrinfo(res);
	} else if (!defer) {
		start_lookup(d);
	} /* else the next transport_poll starts the look-up (its retry is due) */
	return TRUE;
}

bool transport_adopt_collector(struct transport *t, struct transport *from, const char *spec)
{
	for (guint i = 0; from && i < from->dests->len; i++) {
		struct dest *d = g_ptr_array_index(from->dests, i);

		if (d->spec && !strcmp(d->spec, spec)) {
			g_ptr_array_add(t->dests, g_ptr_array_steal_index(from->dests, i));
			return true;
		}
	}
	return false;
}

bool transport_poll(struct transport *t)
{
	uint64_t now = clock_mono_ns();
	const struct addrinfo *res;
	bool ready = false;
	int rc;

	for (guint i = 0; i < t->dests->len; i++) {
		struct dest *d = g_ptr_array_index(t->dests, i);

		if (!d->spec || d->connected)
			continue;
		if (d->lookup && resolve_done(d->lookup, &rc, &res)) {
			ready |= take_lookup(d, rc, res);
			g_clear_pointer(&d->lookup, resolve_free);
		} else if (!d->lookup && now >= d->retry_at_ns) {
			if (d->fd < 0)
				d->fd = make_socket(d->name);
			if (d->fd >= 0)
				start_lookup(d);
			else
				retry_later(d);
		}
	}
	return ready;
}

bool transport_resolving(const struct transport *t)
{
	for (guint i = 0; i < t->dests->len; i++)
		if (((struct dest *)g_ptr_array_index(t->dests, i))->lookup)
			return true;
	return false;
}

static struct dest *file_dest(const struct transport *t)
{
	for (guint i = 0; i < t->dests->len; i++) {
		struct dest *d = g_ptr_array_index(t->dests, i);

		if (d->file_cfg.path)
			return d;
	}
	return NULL;
}

gboolean transport_add_file(struct transport *t, const struct ipfix_file_config *cfg,
			    GError **err)
{
	struct ipfix_file *f = ipfix_file_open(cfg, err);
	struct dest *d;

	if (!f)
		return FALSE;
	d = g_new0(struct dest, 1);
	d->name = g_strdup_printf("IPFIX file %s", cfg->path);
	d->fd = -1;
	d->file = f;
	d->file_cfg = *cfg;
	d->file_cfg.path = g_strdup(cfg->path);
	d->file_cfg.group = g_strdup(cfg->group);
	d->file_cfg.user = NULL; /* not kept: an open checks against the uid it runs as */
	g_ptr_array_add(t->dests, d);
	return TRUE;
}

void transport_close_file(struct transport *t)
{
	struct dest *d = file_dest(t);

	if (d)
		g_clear_pointer(&d->file, ipfix_file_close);
}

gboolean transport_reopen_file(struct transport *t, GError **err)
{
	struct dest *d = file_dest(t);

	if (!d || d->file)
		return TRUE;
	d->file = ipfix_file_open(&d->file_cfg, err);
	return d->file != NULL;
}

bool transport_file_rotation_due(struct transport *t, time_t now)
{
	struct dest *d = file_dest(t);

	return d && d->file && ipfix_file_rotation_due(d->file, now);
}

gboolean transport_rotate_file(struct transport *t, time_t now, GError **err)
{
	struct dest *d = file_dest(t);

	return !d || !d->file || ipfix_file_rotate(d->file, now, err);
}

unsigned int transport_count(const struct transport *t)
{
	return t->dests->len;
}

/*
 * One log line when an incident starts, one when it ends. A collector that is
 * down makes only some UDP sends fail (the ICMP error of one send is reported
 * by the next, and routers rate-limit ICMP), and a nearly full disk takes a
 * small message after refusing a large one, so an incident ends only after
 * a message goes out with no failure for RECOVERED_AFTER_NS.
 */
#define RECOVERED_AFTER_NS (30ull * 1000000000ull)

static void account(struct dest *d, bool ok, int err)
{
	uint64_t now = clock_mono_ns();

	if (ok) {
		d->sent++;
		if (d->failing && now - d->last_failure_ns >= RECOVERED_AFTER_NS) {
			pr_info("%s: sending again (%llu messages were lost)\n", d->name,
				(unsigned long long)d->failed_in_incident);
			d->failing = false;
		}
		return;
	}
	incident(d, "%s; messages are counted as lost until it recovers", g_strerror(err));
	d->failed++;
	d->failed_in_incident++;
	d->last_failure_ns = now;
}

static void send_udp(struct dest *d, const uint8_t *msg, size_t len)
{
	ssize_t n;

	if (!d->connected) {
		/* not resolved yet: lost, said when the look-up failed or when it succeeds */
		d->failed++;
		d->failed_in_incident++;
		return;
	}
	n = send(d->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		/* the send buffer is full: wait a moment for room, once */
		struct pollfd p = { .fd = d->fd, .events = POLLOUT };

		if (poll(&p, 1, TRANSPORT_WAIT_MS) == 1)
			n = send(d->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	if (n < 0 && errno == ECONNREFUSED) {
		/*
		 * The refusal is an earlier message's (the ICMP error of a send
		 * surfaces on the next one), already counted as sent: it moves
		 * from sent to lost, and this one, which did not leave, is sent
		 * again. So sent + lost = messages made, each counted once; the
		 * last message's refusal, if any, never surfaces: it stays sent.
		 */
		if (d->sent) {
			d->sent--;
			account(d, false, ECONNREFUSED);
		}
		n = send(d->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	account(d, n == (ssize_t)len, n < 0 ? errno : EMSGSIZE);
}

void transport_send(const uint8_t *msg, size_t len, void *ctx)
{
	struct transport *t = ctx;

	for (guint i = 0; i < t->dests->len; i++) {
		struct dest *d = g_ptr_array_index(t->dests, i);

		if (d->file) {
			int e = ipfix_file_write(d->file, msg, len);

			account(d, !e, e);
		} else if (d->spec) {
			send_udp(d, msg, len);
		}
	}
}

struct transport_dest_stats transport_stats(const struct transport *t, unsigned int i)
{
	const struct dest *d = g_ptr_array_index(t->dests, i);
	struct transport_dest_stats s = { d->name, d->sent, d->failed, d->failing };

	return s;
}
