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

#include "ebpflow.h"
#include "log.h"

struct job {
	uint64_t cgroup_id;
	char id[CONTAINER_ID_LEN + 1];
	const char *socket;
};

struct result {
	uint64_t cgroup_id;
	char name[256];
	char error[256]; /* "" on success */
	const char *socket;
	bool socket_fault; /* the runtime itself failed (not just this container) */
};

struct containers {
	struct containers_config cfg;
	int names_fd;
	GHashTable *cache; /* uint64 cgroup id -> struct container */
	GThreadPool *pool;
	GAsyncQueue *done;
	unsigned int in_flight;
	GHashTable *socket_down; /* socket path -> TRUE while failing (warned once) */
};

static void lookup(gpointer data, gpointer user);

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
	c->cache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	c->socket_down = g_hash_table_new(g_str_hash, g_str_equal);
	c->done = g_async_queue_new_full(g_free);
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
	g_hash_table_destroy(c->socket_down);
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

bool containers_parse_inspect(const char *body, size_t len, char *name, size_t name_len)
{
	JsonParser *p = json_parser_new();
	JsonObject *root, *config = NULL, *labels = NULL;
	const char *n = NULL, *pod, *ns, *cname;
	JsonNode *node;
	bool ok = false;

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
		ok = (size_t)snprintf(name, name_len, "%s/%s/%s", ns, pod, cname) < name_len;
		goto out;
	}
	node = json_object_get_member(root, "Name");
	if (node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		n = json_node_get_string(node);
	if (n && *n == '/')
		n++;
	if (n && *n)
		ok = (size_t)snprintf(name, name_len, "%s", n) < name_len;
out:
	g_object_unref(p);
	return ok;
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
		snprintf(r->error, sizeof(r->error), "reply larger than %u bytes", CONTAINERS_MAX_REPLY);
		r->socket_fault = true;
	} else if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
		r->socket_fault = true;
	} else if (status == 404) {
		snprintf(r->error, sizeof(r->error), "container %.12s unknown to the runtime", j->id);
	} else if (status != 200) {
		snprintf(r->error, sizeof(r->error), "HTTP status %ld", status);
		r->socket_fault = true;
	} else if (!containers_parse_inspect(b.buf->str, b.buf->len, r->name, sizeof(r->name))) {
		snprintf(r->error, sizeof(r->error), "a reply that is not a container description");
		r->socket_fault = true;
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

const struct container *containers_get(struct containers *c, uint64_t cgroup_id)
{
	struct container *k = g_hash_table_lookup(c->cache, &cgroup_id);
	struct cgroup_names names;
	const char *sock;
	uint64_t *key;

	if (k)
		return k;
	k = g_new0(struct container, 1);
	key = g_new(uint64_t, 1);
	*key = cgroup_id;
	/* no names (the kernel's LRU map dropped them) or no known layout: no container */
	if (c->names_fd >= 0 && bpf_map_lookup_elem(c->names_fd, &cgroup_id, &names) == 0) {
		names.leaf[sizeof(names.leaf) - 1] = names.parent[sizeof(names.parent) - 1] = '\0';
		cgroup_parse_names(names.parent, names.leaf, &k->info);
	}
	if (k->info.runtime == RT_SYSTEMD)
		snprintf(k->name, sizeof(k->name), "%s", k->info.unit);
	sock = socket_for(c, k->info.runtime);
	if (c->pool && sock && k->info.id[0]) {
		struct job *j = g_new0(struct job, 1);

		j->cgroup_id = cgroup_id;
		memcpy(j->id, k->info.id, sizeof(j->id));
		j->socket = sock;
		k->pending = true;
		c->in_flight++;
		g_thread_pool_push(c->pool, j, NULL);
	}
	g_hash_table_insert(c->cache, key, k);
	return k;
}

static void take(struct containers *c, struct result *r)
{
	struct container *k = g_hash_table_lookup(c->cache, &r->cgroup_id);
	gboolean down = g_hash_table_contains(c->socket_down, r->socket);

	c->in_flight--;
	if (k) {
		k->pending = false;
		if (!r->error[0])
			snprintf(k->name, sizeof(k->name), "%s", r->name);
	}
	if (r->error[0]) {
		if (r->socket_fault && !down) {
			pr_warn("container runtime at %s: %s; flows keep their container ids, without "
				"names, until it answers\n", r->socket, r->error);
			g_hash_table_add(c->socket_down, (gpointer)r->socket);
		} else if (!r->socket_fault) {
			pr_debug("container runtime at %s: %s\n", r->socket, r->error);
		}
	} else if (down) {
		pr_info("container runtime at %s answers again\n", r->socket);
		g_hash_table_remove(c->socket_down, r->socket);
	}
}

void containers_collect(struct containers *c)
{
	struct result *r;

	while ((r = g_async_queue_try_pop(c->done))) {
		take(c, r);
		g_free(r);
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
		g_free(r);
	}
}
