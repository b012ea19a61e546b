// SPDX-License-Identifier: GPL-2.0-only
/*
 * A look-up in flight is shared by its thread and its collector, each
 * holding a reference: a collector dropped by a reload (or at exit) while
 * the name server still thinks leaves the thread to free it.
 */
#include "resolve.h"

#include <glib.h>

struct resolve {
	gint ref;
	gint done;
	char *host, *port;
	int rc;
	struct addrinfo *res;
};

int resolve_now(const char *host, const char *port, struct addrinfo **res)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_ADDRCONFIG };
	int rc = getaddrinfo(host, port, &hints, res);

	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
		/* AI_ADDRCONFIG hides ::1 on hosts without a global IPv6 address */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, port, &hints, res);
	}
	return rc;
}

bool resolve_numeric(const char *host, const char *port, struct addrinfo **res)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };

	return getaddrinfo(host, port, &hints, res) == 0;
}

void resolve_free(struct resolve *r)
{
	if (!r || !g_atomic_int_dec_and_test(&r->ref))
		return;
	if (r->res)
		freeaddrinfo(r->res);
	g_free(r->host);
	g_free(r->port);
	g_free(r);
}

static gpointer run(gpointer data)
{
	struct resolve *r = data;

	r->rc = resolve_now(r->host, r->port, &r->res);
	g_atomic_int_set(&r->done, 1);
	resolve_free(r);
	return NULL;
}

struct resolve *resolve_start(const char *host, const char *port)
{
	struct resolve *r = g_new0(struct resolve, 1);
	GThread *th;

	r->ref = 2; /* the caller's and the thread's */
	r->host = g_strdup(host);
	r->port = g_strdup(port);
	th = g_thread_try_new("ebpflow-resolve", run, r, NULL);
	if (!th) {
		r->ref = 1;
		resolve_free(r);
		return NULL;
	}
	g_thread_unref(th); /* detached: it ends by itself */
	return r;
}

bool resolve_done(const struct resolve *r, int *rc, const struct addrinfo **res)
{
	if (!g_atomic_int_get(&r->done))
		return false;
	*rc = r->rc;
	*res = r->res;
	return true;
}
