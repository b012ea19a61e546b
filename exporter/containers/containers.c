// SPDX-License-Identifier: GPL-2.0-only
/*
 * Container resolution. The cache and everything the drain loop sees belong
 * to the main thread; the worker threads only make HTTP requests (libcurl,
 * over the runtime's unix socket, bounded in time and size) and hand the
 * parsed name back through an async queue.
 */
#include "containers.h"

#include <bpf/bpf.h>
#include <curl/curl.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "clock.h"
#include "ebpflow.h"
#include "log.h"

struct job {
	uint64_t cgroup_id;
	char id[CONTAINER_ID_LEN + 1];
	const char *socket;
	bool probe; /* of a runtime that is down */
};

struct result {
	uint64_t cgroup_id;
	char *name;      /* on success */
	char error[256]; /* "" on success */
	const char *socket;
	/*
	 * The runtime itself failed (no connection, no answer, an HTTP error);
	 * else a failure is this container's alone (unknown to the runtime, or a
	 * reply that does not name it): its runtime answers.
	 */
	bool socket_fault;
	bool bad_reply; /* this container's reply is too big or does not name it */
	bool probe;
};

static void result_free(gpointer data)
{
	struct result *r = data;

	g_free(r->name);
	g_free(r);
}

/* A cache entry: what containers_get hands out, and when to ask again. */
struct entry {
	struct container pub; /* pub.name: "" or name */
	char *name;
	const char *socket; /* the runtime to ask, or NULL: nothing to ask */
	bool failed;        /* the last look-up failed: asked again from retry_at_ns */
	unsigned int failures;
	uint64_t retry_at_ns, used_ns; /* CLOCK_MONOTONIC */
};

/*
 * A runtime's socket. While it fails, one look-up at a time probes it
 * (with back-off): a runtime that is down is not asked once per container.
 */
struct runtime_sock {
	bool down;    /* warned once; names come back when it answers */
	bool probing; /* the one look-up in flight while down */
	unsigned int failures;
	uint64_t retry_at_ns;
};

struct containers {
	struct containers_config cfg;
	int names_fd;
	GHashTable *cache; /* uint64 cgroup id -> struct entry */
	GThreadPool *pool;
	GAsyncQueue *done;
	unsigned int in_flight;
	struct runtime_sock docker, podman;
};

static void lookup(gpointer data, gpointer user);

static void entry_free(gpointer data)
{
	struct entry *k = data;

	g_free(k->name);
	g_free(k);
}

static void entry_set_name(struct entry *k, char *name)
{
	g_free(k->name);
	k->name = name;
	k->pub.name = name ? name : "";
}

struct containers *containers_new(const struct containers_config *cfg)
{
	struct containers *c = g_new0(struct containers, 1);

	c->cfg = *cfg;
	if (!c->cfg.docker_socket)
		c->cfg.docker_socket = CONTAINERS_DOCKER_SOCKET;
	if (!c->cfg.podman_socket)
		c->cfg.podman_socket = CONTAINERS_PODMAN_SOCKET;
	if (!c->cfg.timeout_ms)
		c->cfg.timeout_ms = CONTAINERS_TIMEOUT_MS;
	c->names_fd = -1;
	c->cache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, entry_free);
	c->done = g_async_queue_new_full(result_free);
	return c;
}

void containers_start(struct containers *c)
{
	/*
	 * Not in containers_new: a thread has the capabilities of the thread
	 * that made it, and GLib may make the pool's threads (or, from 2.76, a
	 * thread that spawns them) as soon as the pool exists.
	 */
	if (c->cfg.resolve_names && !c->pool) {
		curl_global_init(CURL_GLOBAL_NOTHING);
		c->pool = g_thread_pool_new(lookup, c, 2, FALSE, NULL);
	}
}

void containers_free(struct containers *c)
{
	if (!c)
		return;
	if (c->pool) {
		/* requests in flight end by their own timeout */
		g_thread_pool_free(c->pool, TRUE, TRUE);
		curl_global_cleanup();
	}
	g_async_queue_unref(c->done);
	g_hash_table_destroy(c->cache);
	g_free(c);
}

void containers_set_names_fd(struct containers *c, int fd)
{
	c->names_fd = fd;
}

static const char *label(JsonObject *labels, const char *key)
{
	JsonNode *n = labels ? json_object_get_member(labels, key) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		       ? json_node_get_string(n)
		       : NULL;
}

char *containers_parse_inspect(const char *body, size_t len)
{
	JsonParser *p = json_parser_new();
	JsonObject *root, *config = NULL, *labels = NULL;
	const char *n = NULL, *pod, *ns, *cname;
	JsonNode *node;
	char *name = NULL;

	if (!body || !json_parser_load_from_data(p, body, (gssize)len, NULL))
		goto out;
	node = json_parser_get_root(p);
	if (!node || !JSON_NODE_HOLDS_OBJECT(node))
		goto out;
	root = json_node_get_object(node);
	node = json_object_get_member(root, "Config");
	if (node && JSON_NODE_HOLDS_OBJECT(node))
		config = json_node_get_object(node);
	node = config ? json_object_get_member(config, "Labels") : NULL;
	if (node && JSON_NODE_HOLDS_OBJECT(node))
		labels = json_node_get_object(node);
	pod = label(labels, "io.kubernetes.pod.name");
	ns = label(labels, "io.kubernetes.pod.namespace");
	cname = label(labels, "io.kubernetes.container.name");
	if (pod && ns && cname) {
		name = g_strdup_printf("%s/%s/%s", ns, pod, cname);
		goto out;
	}
	node = json_object_get_member(root, "Name");
	if (node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		n = json_node_get_string(node);
	if (n && *n == '/')
		n++;
	if (n && *n)
		name = g_strdup(n);
out:
	g_object_unref(p);
	if (name && strlen(name) > CONTAINERS_NAME_MAX)
		g_clear_pointer(&name, g_free);
	return name;
}

struct body {
	GString *buf;
	bool too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;

	if (b->buf->len + size * n > CONTAINERS_MAX_REPLY) {
		b->too_big = true;
		return 0; /* curl stops with a write error */
	}
	g_string_append_len(b->buf, data, (gssize)(size * n));
	return size * n;
}

/* Worker thread: one GET of /containers/<id>/json. */
static void lookup(gpointer data, gpointer user)
{
	struct containers *c = user;
	struct job *j = data;
	struct result *r = g_new0(struct result, 1);
	struct body b = { g_string_new(NULL), false };
	CURL *curl = curl_easy_init();
	char url[160];
	long status = 0;
	CURLcode rc;

	r->cgroup_id = j->cgroup_id;
	r->socket = j->socket;
	r->probe = j->probe;
	snprintf(url, sizeof(url), "http://localhost/v1.41/containers/%s/json", j->id);
	if (!curl) {
		snprintf(r->error, sizeof(r->error), "cannot start an HTTP request");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, j->socket);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)c->cfg.timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)c->cfg.timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (b.too_big) {
		/* about this container: another one's reply may be fine */
		snprintf(r->error, sizeof(r->error), "reply larger than %u bytes", CONTAINERS_MAX_REPLY);
		r->bad_reply = true;
	} else if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
		r->socket_fault = true;
	} else if (status == 404) {
		snprintf(r->error, sizeof(r->error), "container %.12s unknown to the runtime", j->id);
	} else if (status != 200) {
		snprintf(r->error, sizeof(r->error), "HTTP status %ld", status);
		r->socket_fault = true;
	} else if (!(r->name = containers_parse_inspect(b.buf->str, b.buf->len))) {
		snprintf(r->error, sizeof(r->error),
			 "a reply that is not a container description (or a name over %u bytes)",
			 CONTAINERS_NAME_MAX);
		r->bad_reply = true;
	}
	curl_easy_cleanup(curl);
out:
	g_string_free(b.buf, TRUE);
	g_free(j);
	g_async_queue_push(c->done, r);
}

static const char *socket_for(const struct containers *c, enum container_runtime rt)
{
	switch (rt) {
	case RT_DOCKER:
	case RT_KUBERNETES: /* Docker under Kubernetes (cri-dockerd) answers there */
		return c->cfg.docker_socket;
	case RT_PODMAN:
		return c->cfg.podman_socket;
	default:
		return NULL; /* containerd, CRI-O: no Docker-compatible API; id and pod only */
	}
}

static struct runtime_sock *sock_state(struct containers *c, const char *socket)
{
	return socket == c->cfg.podman_socket ? &c->podman : &c->docker;
}

static uint64_t backoff_ns(unsigned int failures)
{
	return clock_backoff_ns(failures, CONTAINERS_RETRY_MIN_MS, CONTAINERS_RETRY_MAX_MS);
}

static void ask(struct containers *c, struct entry *k, uint64_t cgroup_id, bool probe)
{
	struct job *j = g_new0(struct job, 1);

	j->probe = probe;
	j->cgroup_id = cgroup_id;
	memcpy(j->id, k->pub.info.id, sizeof(j->id));
	j->socket = k->socket;
	k->pub.pending = true;
	c->in_flight++;
	g_thread_pool_push(c->pool, j, NULL);
}

/* A failed look-up, asked again at its next use once its back-off is over (its runtime up). */
static void retry_if_due(struct containers *c, struct entry *k, uint64_t cgroup_id, uint64_t now)
{
	if (!k->failed || k->pub.pending || now < k->retry_at_ns || sock_state(c, k->socket)->down)
		return;
	ask(c, k, cgroup_id, false);
}

/* k failed with the runtime at socket and is not being asked again */
static bool failed_at(const struct entry *k, const char *socket)
{
	return k->failed && !k->pub.pending && k->socket == socket;
}

/*
 * A runtime that is down is probed with one look-up (of a container that
 * failed) each time its back-off is over, whether flows come or not: when it
 * answers, the names come back at once.
 */
static void probe(struct containers *c, struct runtime_sock *s, const char *socket, uint64_t now)
{
	GHashTableIter it;
	uint64_t *id;
	struct entry *k;

	if (!s->down || s->probing || now < s->retry_at_ns)
		return;
	g_hash_table_iter_init(&it, c->cache);
	while (g_hash_table_iter_next(&it, (gpointer *)&id, (gpointer *)&k)) {
		if (failed_at(k, socket)) {
			s->probing = true;
			ask(c, k, *id, true);
			return;
		}
	}
}

const struct container *containers_get(struct containers *c, uint64_t cgroup_id)
{
	struct entry *k = g_hash_table_lookup(c->cache, &cgroup_id);
	uint64_t now = clock_mono_ns();
	struct cgroup_names names;
	uint64_t *key;

	if (k) {
		k->used_ns = now;
		retry_if_due(c, k, cgroup_id, now);
		return &k->pub;
	}
	k = g_new0(struct entry, 1);
	k->used_ns = now;
	entry_set_name(k, NULL);
	key = g_new(uint64_t, 1);
	*key = cgroup_id;
	/* no names (the kernel's LRU map dropped them) or no known layout: no container */
	if (c->names_fd >= 0 && bpf_map_lookup_elem(c->names_fd, &cgroup_id, &names) == 0) {
		cgroup_parse_names(&names, &k->pub.info);
	}
	if (k->pub.info.runtime == RT_SYSTEMD)
		entry_set_name(k, g_strdup(k->pub.info.unit));
	g_hash_table_insert(c->cache, key, k);
	if (c->pool && k->pub.info.id[0])
		k->socket = socket_for(c, k->pub.info.runtime);
	if (k->socket) {
		/* the first look-up: as a retry due at once (or when the runtime is back) */
		k->failed = true;
		retry_if_due(c, k, cgroup_id, now);
	}
	return &k->pub;
}

static void take(struct containers *c, struct result *r)
{
	struct entry *k = g_hash_table_lookup(c->cache, &r->cgroup_id);
	struct runtime_sock *s = sock_state(c, r->socket);
	uint64_t now = clock_mono_ns();

	c->in_flight--;
	if (k) {
		k->pub.pending = false;
		k->failed = r->error[0] != '\0';
		k->failures = k->failed ? k->failures + 1 : 0;
		k->retry_at_ns = now + backoff_ns(k->failures);
		if (!k->failed)
			entry_set_name(k, g_steal_pointer(&r->name));
		else if (r->bad_reply && k->failures == 1)
			/* once per container: its runtime answers, only this one stays unnamed */
			pr_warn("container runtime at %s: container %.12s: %s; it stays without a "
				"name (asked again with back-off), other containers are named\n",
				r->socket, k->pub.info.id, r->error);
	}
	if (r->socket_fault) {
		/* the back-off grows with the probes, not with the look-ups in flight when it fell */
		if (!s->down) {
			pr_warn("container runtime at %s: %s; flows keep their container ids, without "
				"names, until it answers (asked again with back-off)\n",
				r->socket, r->error);
			s->down = true;
			s->failures = 1;
			s->retry_at_ns = now + backoff_ns(s->failures);
		} else if (r->probe) {
			s->probing = false;
			s->failures++;
			s->retry_at_ns = now + backoff_ns(s->failures);
		}
		return;
	}
	if (r->error[0])
		pr_debug("container runtime at %s: %s\n", r->socket, r->error);
	if (s->down) {
		GHashTableIter it;
		uint64_t *id;
		struct entry *e;

		pr_info("container runtime at %s answers again\n", r->socket);
		*s = (struct runtime_sock){ 0 };
		/* what failed while it was down is asked again now */
		g_hash_table_iter_init(&it, c->cache);
		while (g_hash_table_iter_next(&it, (gpointer *)&id, (gpointer *)&e))
			if (failed_at(e, r->socket))
				ask(c, e, *id, false);
	}
}

void containers_collect(struct containers *c)
{
	uint64_t now = clock_mono_ns();
	struct result *r;

	while ((r = g_async_queue_try_pop(c->done))) {
		take(c, r);
		result_free(r);
	}
	if (c->pool) {
		probe(c, &c->docker, c->cfg.docker_socket, now);
		probe(c, &c->podman, c->cfg.podman_socket, now);
	}
}

void containers_wait(struct containers *c, unsigned int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (c->in_flight) {
		gint64 left = end - g_get_monotonic_time();
		struct result *r;

		if (left <= 0)
			break;
		r = g_async_queue_timeout_pop(c->done, (guint64)left);
		if (!r)
			break;
		take(c, r);
		result_free(r);
	}
}

void containers_touch(struct containers *c, uint64_t cgroup_id, uint64_t now_ns)
{
	struct entry *k = g_hash_table_lookup(c->cache, &cgroup_id);

	if (k)
		k->used_ns = now_ns;
}

static gboolean unused(gpointer key, gpointer value, gpointer cutoff)
{
	const struct entry *k = value;

	return !k->pub.pending && k->used_ns < *(const uint64_t *)cutoff;
}

void containers_forget_unused(struct containers *c, uint64_t cutoff_ns)
{
	g_hash_table_foreach_remove(c->cache, unused, &cutoff_ns);
}

unsigned int containers_cached(const struct containers *c)
{
	return g_hash_table_size(c->cache);
}
