// SPDX-License-Identifier: GPL-2.0-only
/*
 * Container resolution: the cache and everything the drain loop sees belong
 * to the main thread; the worker threads only run one runtime's look-up
 * (resolvers.h: the Engine API, or a CRI runtime's spec file), bounded in
 * time and size, and hand the name back through an async queue.
 */
#include "containers.h"

#include <bpf/bpf.h>
#include <curl/curl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "ebpflow.h"
#include "log.h"
#include "oci.h"
#include "resolvers.h"

/* Who is asked: a runtime's socket or its state on the node. */
enum source { SRC_DOCKER, SRC_PODMAN, SRC_CONTAINERD, SRC_CRIO, SRC_COUNT, SRC_NONE = SRC_COUNT };

struct job {
	uint64_t cgroup_id;
	char id[CONTAINER_ID_LEN + 1];
	char pod_uid[POD_UID_LEN + 1];
	enum source src;
	bool fallback; /* containerd, else Docker (the cgroup did not say which) */
	bool probe;    /* of a runtime that is down */
};

struct result {
	uint64_t cgroup_id;
	struct lookup found;
	enum source asked, src; /* the one asked, the one that answered (or failed) */
	bool probe;
};

static void result_free(gpointer data)
{
	struct result *r = data;

	g_free(r->found.name);
	g_free(r);
}

/* A cache entry: what containers_get hands out, and when to ask again. */
struct entry {
	struct container pub; /* pub.name: "" or name */
	char *name;
	enum source src; /* who to ask, or SRC_NONE: nothing to ask */
	bool fallback;   /* as job.fallback, until a look-up says which runtime it is */
	bool failed;     /* the last look-up failed: asked again from retry_at_ns */
	unsigned int failures;
	uint64_t retry_at_ns, used_ns; /* CLOCK_MONOTONIC */
};

/*
 * A runtime. While it fails, one look-up at a time probes it (with
 * back-off): a runtime that is down is not asked once per container.
 */
struct runtime_state {
	const char *where; /* its socket or state directory, for the log */
	bool down;         /* warned once; names come back when it answers */
	bool probing;      /* the one look-up in flight while down */
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
	struct runtime_state src[SRC_COUNT];
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
	if (!c->cfg.containerd_state)
		c->cfg.containerd_state = CONTAINERS_CONTAINERD_STATE;
	if (!c->cfg.crio_root)
		c->cfg.crio_root = CONTAINERS_CRIO_ROOT;
	if (!c->cfg.crio_runroot)
		c->cfg.crio_runroot = CONTAINERS_CRIO_RUNROOT;
	if (!c->cfg.timeout_ms)
		c->cfg.timeout_ms = CONTAINERS_TIMEOUT_MS;
	c->src[SRC_DOCKER].where = c->cfg.docker_socket;
	c->src[SRC_PODMAN].where = c->cfg.podman_socket;
	c->src[SRC_CONTAINERD].where = c->cfg.containerd_state;
	c->src[SRC_CRIO].where = c->cfg.crio_runroot;
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

/* Worker thread: one look-up. */
static void lookup(gpointer data, gpointer user)
{
	struct containers *c = user;
	struct job *j = data;
	struct result *r = g_new0(struct result, 1);

	r->cgroup_id = j->cgroup_id;
	r->asked = r->src = j->src;
	r->probe = j->probe;
	switch (j->src) {
	case SRC_CONTAINERD:
		containerd_lookup(c->cfg.containerd_state, j->id, j->pod_uid, j->fallback,
				  &r->found);
		if (!r->found.absent)
			break;
		/* no Kubernetes containers in containerd here: Docker's (cri-dockerd) */
		r->found = (struct lookup){ 0 };
		r->src = SRC_DOCKER;
		/* fall through */
	case SRC_DOCKER:
	case SRC_PODMAN:
		docker_lookup(c->src[r->src].where, c->cfg.timeout_ms, j->id, &r->found);
		if (r->src != r->asked && r->found.runtime_fault) {
			size_t n = strlen(r->found.error);

			/* the node may well be containerd's, its state not where it was looked for */
			snprintf(r->found.error + n, sizeof(r->found.error) - n,
				 " (and containerd has no %s namespace under %s)",
				 OCI_CONTAINERD_NAMESPACE, c->cfg.containerd_state);
		}
		break;
	case SRC_CRIO:
		crio_lookup(c->cfg.crio_runroot, c->cfg.crio_root, j->id, j->pod_uid, &r->found);
		break;
	default:
		break;
	}
	g_free(j);
	g_async_queue_push(c->done, r);
}

static enum source source_for(enum container_runtime rt, bool *fallback)
{
	*fallback = false;
	switch (rt) {
	case RT_DOCKER:
		return SRC_DOCKER;
	case RT_PODMAN:
		return SRC_PODMAN;
	case RT_CONTAINERD:
		return SRC_CONTAINERD;
	case RT_CRIO:
		return SRC_CRIO;
	case RT_KUBERNETES:
		/* cgroupfs names no runtime: containerd's CRI, else Docker's (cri-dockerd) */
		*fallback = true;
		return SRC_CONTAINERD;
	default:
		return SRC_NONE;
	}
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
	memcpy(j->pod_uid, k->pub.info.pod_uid, sizeof(j->pod_uid));
	j->src = k->src;
	j->fallback = k->fallback;
	k->pub.pending = true;
	c->in_flight++;
	g_thread_pool_push(c->pool, j, NULL);
}

/* A failed look-up, asked again at its next use once its back-off is over (its runtime up). */
static void retry_if_due(struct containers *c, struct entry *k, uint64_t cgroup_id, uint64_t now)
{
	if (!k->failed || k->pub.pending || now < k->retry_at_ns || c->src[k->src].down)
		return;
	ask(c, k, cgroup_id, false);
}

/* k failed with the runtime src and is not being asked again */
static bool failed_at(const struct entry *k, enum source src)
{
	return k->failed && !k->pub.pending && k->src == src;
}

/*
 * A runtime that is down is probed with one look-up (of a container that
 * failed) each time its back-off is over, whether flows come or not: when it
 * answers, the names come back at once.
 */
static void probe(struct containers *c, enum source src, uint64_t now)
{
	struct runtime_state *s = &c->src[src];
	GHashTableIter it;
	uint64_t *id;
	struct entry *k;

	if (!s->down || s->probing || now < s->retry_at_ns)
		return;
	g_hash_table_iter_init(&it, c->cache);
	while (g_hash_table_iter_next(&it, (gpointer *)&id, (gpointer *)&k)) {
		if (failed_at(k, src)) {
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
	k->src = SRC_NONE;
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
		k->src = source_for(k->pub.info.runtime, &k->fallback);
	if (k->src != SRC_NONE) {
		/* the first look-up: as a retry due at once (or when the runtime is back) */
		k->failed = true;
		retry_if_due(c, k, cgroup_id, now);
	}
	return &k->pub;
}

static void take(struct containers *c, struct result *r)
{
	struct entry *k = g_hash_table_lookup(c->cache, &r->cgroup_id);
	struct runtime_state *s = &c->src[r->src];
	struct lookup *f = &r->found;
	uint64_t now = clock_mono_ns();

	c->in_flight--;
	/* a probe of containerd that Docker answered (containerd's namespace is gone) */
	if (r->probe && r->asked != r->src)
		c->src[r->asked].probing = false;
	if (k) {
		k->pub.pending = false;
		/* the runtime that answered for a cgroup that named none is its runtime */
		k->src = r->src;
		k->fallback = k->fallback && r->src == SRC_CONTAINERD;
		k->failed = f->error[0] != '\0';
		k->failures = k->failed ? k->failures + 1 : 0;
		k->retry_at_ns = now + backoff_ns(k->failures);
		if (!k->failed)
			entry_set_name(k, g_steal_pointer(&f->name));
		else if (f->bad_reply && k->failures == 1)
			/* once per container: its runtime answers, only this one stays unnamed */
			pr_warn("container runtime at %s: container %.12s: %s; it stays without a "
				"name (asked again with back-off), other containers are named\n",
				s->where, k->pub.info.id, f->error);
	}
	if (f->runtime_fault) {
		/* the back-off grows with the probes, not with the look-ups in flight when it fell
		 */
		if (!s->down) {
			pr_warn(
			    "container runtime at %s: %s; flows keep their container ids, without "
			    "names, until it answers (asked again with back-off)\n",
			    s->where, f->error);
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
	if (f->error[0])
		pr_debug("container runtime at %s: %s\n", s->where, f->error);
	if (s->down) {
		GHashTableIter it;
		uint64_t *id;
		struct entry *e;

		pr_info("container runtime at %s answers again\n", s->where);
		s->down = s->probing = false;
		s->failures = 0;
		s->retry_at_ns = 0;
		/* what failed while it was down is asked again now */
		g_hash_table_iter_init(&it, c->cache);
		while (g_hash_table_iter_next(&it, (gpointer *)&id, (gpointer *)&e))
			if (failed_at(e, r->src))
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
	if (c->pool)
		for (enum source src = 0; src < SRC_COUNT; src++)
			probe(c, src, now);
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
