// SPDX-License-Identifier: GPL-2.0-only
/*
 * UDP sockets are connected to their collector so that the kernel reports
 * ICMP errors (collector down, host unreachable) on the next send, and are
 * non-blocking with a large send buffer: a send whose buffer is full waits
 * at most TRANSPORT_WAIT_MS (once) for room, then the message is counted as
 * lost, so a slow path holds the drain loop up by a bounded time per message
 * and never blocks it. libfixbuf's own UDP exporter reports a failed send as
 * success, hence this module.
 */
#include "transport.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define TRANSPORT_ERROR g_quark_from_static_string("ebpflow-transport")
#define TRANSPORT_SNDBUF (8 << 20)
/* how long a full send buffer may hold the loop up before a message is lost */
#define TRANSPORT_WAIT_MS 20

struct dest {
	char *name;
	int fd; /* UDP socket, or -1 */
	struct ipfix_file *file;           /* the IPFIX file, or NULL */
	struct ipfix_file_config file_cfg; /* kept to open it again */
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
	ipfix_file_close(d->file);
	g_free((char *)d->file_cfg.path);
	g_free((char *)d->file_cfg.group);
	g_free(d->name);
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
			g_set_error(err, TRANSPORT_ERROR, 1, "collector '%s': port '%s' is not a number",
				    spec, *port);
			goto fail;
		}
	}
	if (atoi(*port) < 1 || atoi(*port) > 65535) {
		g_set_error(err, TRANSPORT_ERROR, 1, "collector '%s': port %s is out of range (1-65535)",
			    spec, *port);
		goto fail;
	}
	return TRUE;
bad:
	g_set_error(err, TRANSPORT_ERROR, 1,
		    "collector '%s' is not HOST:PORT (an IPv6 address goes in brackets: [::1]:4739)",
		    spec);
	return FALSE;
fail:
	g_clear_pointer(host, g_free);
	g_clear_pointer(port, g_free);
	return FALSE;
}

gboolean transport_add_collector(struct transport *t, const char *spec, GError **err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL, *ai;
	char *host = NULL, *port = NULL;
	int rc, fd = -1, saved = 0;

	if (!transport_parse_hostport(spec, &host, &port, err))
		return FALSE;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
		/* AI_ADDRCONFIG hides ::1 on hosts without a global IPv6 address */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc) {
		g_set_error(err, TRANSPORT_ERROR, 1, "collector '%s': cannot resolve '%s': %s", spec,
			    host, gai_strerror(rc));
		goto out;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			/*
			 * A pass can end thousands of flows at once: room for the burst
			 * of messages while the network drains them (FORCE: above
			 * wmem_max, with CAP_NET_ADMIN, held at start).
			 */
			int bytes = TRANSPORT_SNDBUF;

			if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)))
				setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
			break;
		}
		saved = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (fd < 0) {
		g_set_error(err, TRANSPORT_ERROR, 1, "collector '%s': cannot reach it: %s", spec,
			    g_strerror(saved));
		goto out;
	} else {
		struct dest *d = g_new0(struct dest, 1);

		d->name = g_strdup_printf("collector %s", spec);
		d->fd = fd;
		g_ptr_array_add(t->dests, d);
	}
out:
	if (res)
		freeaddrinfo(res);
	g_free(host);
	g_free(port);
	return fd >= 0;
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
	d->failed++;
	d->failed_in_incident++;
	d->last_failure_ns = now;
	if (!d->failing) {
		pr_warn("%s: %s; messages are counted as lost until it recovers\n", d->name,
			g_strerror(err));
		d->failing = true;
		d->failed_in_incident = 1;
	}
}

void transport_send(const uint8_t *msg, size_t len, void *ctx)
{
	struct transport *t = ctx;

	for (guint i = 0; i < t->dests->len; i++) {
		struct dest *d = g_ptr_array_index(t->dests, i);

		if (d->file) {
			int e = ipfix_file_write(d->file, msg, len);

			account(d, !e, e);
		} else if (d->fd >= 0) {
			ssize_t n = send(d->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				/* the send buffer is full: wait a moment for room, once */
				struct pollfd p = { .fd = d->fd, .events = POLLOUT };

				if (poll(&p, 1, TRANSPORT_WAIT_MS) == 1)
					n = send(d->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			}
			if (n < 0 && errno == ECONNREFUSED) {
				/*
				 * The refusal is an earlier message's (the ICMP error of a send
				 * surfaces on the next one): that one was lost, this one was
				 * not sent. Send it again.
				 */
				account(d, false, ECONNREFUSED);
				n = send(d->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			}
			account(d, n == (ssize_t)len, n < 0 ? errno : EMSGSIZE);
		}
	}
}

struct transport_dest_stats transport_stats(const struct transport *t, unsigned int i)
{
	const struct dest *d = g_ptr_array_index(t->dests, i);
	struct transport_dest_stats s = { d->name, d->sent, d->failed, d->failing };

	return s;
}
