// SPDX-License-Identifier: GPL-2.0-only
/*
 * From the kernel's ring of DNS answers to the name table: each answer is
 * parsed whole or ignored (a malformed one is counted, one the kernel cut
 * apart from those), and what it says is added under the network namespace
 * of the socket that received it.
 */
#include "capture.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <glib-unix.h>
#include <string.h>

#include "clock.h"
#include "ebpflow.h"

#define DNS_CAPTURE_ERROR g_quark_from_static_string("ebpflow-dns-capture")

struct dns_capture {
	struct ring_buffer *ring;
	struct dns_names *names;
	guint watch;	/* the ring's epoll fd in the main loop */
	uint64_t now_s; /* of the read under way */
	struct dns_capture_stats stats;
};

uint64_t dns_now_s(void)
{
	return clock_mono_ns() / 1000000000ull;
}

void dns_capture_event(struct dns_capture_stats *stats, struct dns_names *names, const void *data,
		       size_t size, uint64_t now_s)
{
	const struct dns_event *e = data;
	struct dns_answer answer;
	GError *err = NULL;

	if (size < sizeof(*e))
		return;
	stats->answers++;
	/* its end is missing: it would look malformed, but nobody broke it */
	if (e->size > e->len) {
		stats->cut++;
		return;
	}
	if (!dns_parse_answer(e->data, e->len < sizeof(e->data) ? e->len : sizeof(e->data), &answer,
			      &err)) {
		if (g_error_matches(err, DNS_PARSE_ERROR, DNS_PARSE_MALFORMED))
			stats->bad++;
		else
			stats->not_answers++;
		g_error_free(err);
		return;
	}
	dns_names_add(names, e->netns, &answer, now_s);
}

static int on_answer(void *ctx, void *data, size_t size)
{
	struct dns_capture *c = ctx;

	dns_capture_event(&c->stats, c->names, data, size, c->now_s);
	return 0;
}

static gboolean on_ring(gint fd, GIOCondition cond, gpointer data)
{
	struct dns_capture *c = data;

	c->now_s = dns_now_s();
	ring_buffer__consume(c->ring);
	return G_SOURCE_CONTINUE;
}

struct dns_capture *dns_capture_new(int ring_fd, unsigned int capacity, unsigned int grace_s,
				    GError **err)
{
	struct dns_capture *c = g_new0(struct dns_capture, 1);

	c->ring = ring_buffer__new(ring_fd, on_answer, c, NULL);
	if (!c->ring) {
		g_set_error(err, DNS_CAPTURE_ERROR, errno, "cannot read the DNS answers' ring: %s",
			    g_strerror(errno));
		g_free(c);
		return NULL;
	}
	c->names = dns_names_new(capacity, grace_s);
	c->watch = g_unix_fd_add(ring_buffer__epoll_fd(c->ring), G_IO_IN, on_ring, c);
	return c;
}

void dns_capture_free(struct dns_capture *c)
{
	if (!c)
		return;
	if (c->watch)
		g_source_remove(c->watch);
	ring_buffer__free(c->ring);
	dns_names_free(c->names);
	g_free(c);
}

void dns_capture_read(struct dns_capture *c)
{
	c->now_s = dns_now_s();
	ring_buffer__consume(c->ring);
	dns_names_expire(c->names, c->now_s);
}

struct dns_names *dns_capture_names(struct dns_capture *c)
{
	return c->names;
}

void dns_capture_get_stats(const struct dns_capture *c, struct dns_capture_stats *out)
{
	*out = c->stats;
	dns_names_get_stats(c->names, &out->names);
}
