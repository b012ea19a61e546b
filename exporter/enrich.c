// SPDX-License-Identifier: GPL-2.0-only
/*
 * uid -> user name through NSS (what ps does), asked of worker threads: a
 * directory service (LDAP, sssd) that hangs would otherwise stall every
 * drain. The drain loop hands the uid over and waits a few milliseconds at
 * most (a local passwd answers in microseconds, so names are there at once
 * as before); a slower answer is taken at a later pass. Names are cached,
 * and forgotten when unused, so a user renamed or removed is asked again.
 * The cache belongs to the main thread; the workers only call the look-up.
 */
#include "enrich.h"

#include <glib.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "dns.h"

#define MS 1000000ull

struct user {
	char *name;        /* the name, or the uid in decimal while asked or when none */
	bool pending;      /* asked of a worker */
	uint64_t asked_ns; /* CLOCK_MONOTONIC */
	uint64_t used_ns;
};

/* A worker's answer; the job holds its own reference to the queue. */
struct answer {
	uint32_t uid;
	char *name; /* NULL: no such user */
};

struct job {
	uint32_t uid;
	enrich_user_fn lookup;
	GAsyncQueue *done;
};

struct enrich {
	GHashTable *users; /* GUINT_TO_POINTER(uid) -> struct user */
	GThreadPool *pool;
	GAsyncQueue *done; /* struct answer */
	enrich_user_fn lookup;
	unsigned int pending;
	uint64_t budget_ns; /* what this pass may still wait for names */
	struct containers *containers;
	struct proctable *procs; /* NULL: records carry no exe, command line, parent */
	struct dns_names *dns;   /* NULL: records carry no peer_name */
};

static char *getpw_name(uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		return g_strdup(res->pw_name);
	return NULL;
}

static void user_free(gpointer p)
{
	struct user *u = p;

	g_free(u->name);
	g_free(u);
}

static void answer_free(gpointer p)
{
	struct answer *a = p;

	g_free(a->name);
	g_free(a);
}

/* Worker thread: the look-up may take as long as the directory takes. */
static void ask(gpointer data, gpointer unused)
{
	struct job *j = data;
	struct answer *a = g_new0(struct answer, 1);

	a->uid = j->uid;
	a->name = j->lookup(j->uid);
	g_async_queue_push(j->done, a);
	g_async_queue_unref(j->done);
	g_free(j);
}

struct enrich *enrich_new_with(struct containers *containers, enrich_user_fn lookup)
{
	struct enrich *e = g_new0(struct enrich, 1);

	e->containers = containers;
	e->lookup = lookup ? lookup : getpw_name;
	e->users = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, user_free);
	e->done = g_async_queue_new_full(answer_free);
	e->budget_ns = ENRICH_USER_BUDGET_MS * MS;
	return e;
}

struct enrich *enrich_new(struct containers *containers)
{
	return enrich_new_with(containers, NULL);
}

void enrich_set_procs(struct enrich *e, struct proctable *procs)
{
	e->procs = procs;
}

void enrich_start(struct enrich *e)
{
	/*
	 * Not in enrich_new: a thread has the capabilities of the thread that
	 * made it, and from GLib 2.76 the first shared pool starts a thread
	 * (pool-spawner) as soon as it exists, which would keep root's.
	 * No user data: a job still running after enrich_free touches nothing of e.
	 */
	if (!e->pool)
		e->pool = g_thread_pool_new(ask, NULL, 2, FALSE, NULL);
}

void enrich_free(struct enrich *e)
{
	if (!e)
		return;
	/* a look-up still hanging in the directory ends by itself, later */
	if (e->pool)
		g_thread_pool_free(e->pool, FALSE, FALSE);
	g_async_queue_unref(e->done);
	g_hash_table_destroy(e->users);
	g_free(e);
}

static void take(struct enrich *e, struct answer *a)
{
	struct user *u = g_hash_table_lookup(e->users, GUINT_TO_POINTER(a->uid));

	if (u && u->pending) {
		u->pending = false;
		e->pending--;
		if (a->name) {
			g_free(u->name);
			u->name = g_steal_pointer(&a->name);
		}
	}
	answer_free(a);
}

void enrich_collect(struct enrich *e)
{
	struct answer *a;

	while ((a = g_async_queue_try_pop(e->done)))
		take(e, a);
	e->budget_ns = ENRICH_USER_BUDGET_MS * MS;
}

/* Wait for u's answer while the pass's budget lasts (other answers are taken on the way). */
static void wait_for(struct enrich *e, struct user *u)
{
	while (u->pending && e->budget_ns) {
		uint64_t t0 = clock_mono_ns(), spent;
		struct answer *a = g_async_queue_timeout_pop(e->done, e->budget_ns / 1000);

		spent = clock_mono_ns() - t0;
		e->budget_ns = spent < e->budget_ns ? e->budget_ns - spent : 0;
		if (a)
			take(e, a);
	}
}

static struct user *user_of(struct enrich *e, uint32_t uid)
{
	struct user *u = g_hash_table_lookup(e->users, GUINT_TO_POINTER(uid));
	struct job *j;

	if (u) {
		u->used_ns = clock_mono_ns();
		return u;
	}
	u = g_new0(struct user, 1);
	u->name = g_strdup_printf("%u", uid);
	u->pending = true;
	u->asked_ns = u->used_ns = clock_mono_ns();
	g_hash_table_insert(e->users, GUINT_TO_POINTER(uid), u);
	e->pending++;
	j = g_new0(struct job, 1);
	j->uid = uid;
	j->lookup = e->lookup;
	j->done = g_async_queue_ref(e->done);
	g_thread_pool_push(e->pool, j, NULL);
	wait_for(e, u);
	return u;
}

const char *enrich_user(struct enrich *e, uint32_t uid)
{
	return user_of(e, uid)->name;
}

bool enrich_user_ready(struct enrich *e, uint32_t uid)
{
	struct user *u = user_of(e, uid);

	return !u->pending || clock_mono_ns() - u->asked_ns >= ENRICH_USER_MAX_WAIT_MS * MS;
}

void enrich_wait(struct enrich *e, unsigned int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (e->pending) {
		gint64 left = end - g_get_monotonic_time();
		struct answer *a;

		if (left <= 0)
			break;
		a = g_async_queue_timeout_pop(e->done, (guint64)left);
		if (!a)
			break;
		take(e, a);
	}
}

void enrich_container(struct enrich *e, uint64_t cgroup_id, const char **name, const char **id)
{
	const struct container *k = e->containers ? containers_get(e->containers, cgroup_id) : NULL;

	*name = k ? k->name : "";
	*id = k ? k->info.id : "";
}

bool enrich_ready(struct enrich *e, uint64_t cgroup_id)
{
	return !e->containers || !containers_get(e->containers, cgroup_id)->pending;
}

bool enrich_container_wanted(struct enrich *e, const GPtrArray *want, uint64_t cgroup_id)
{
	const char *name, *id;

	if (!want->len)
		return true;
	enrich_container(e, cgroup_id, &name, &id);
	for (guint i = 0; i < want->len; i++) {
		const char *w = g_ptr_array_index(want, i);

		if (!strcmp(w, name) || (*id && !strncmp(w, id, strlen(w))))
			return true;
	}
	return false;
}

const char *enrich_peer_name(struct enrich *e, const struct flow_key *k, uint32_t netns)
{
	struct dns_names *names = e->dns;

	if (!names || (k->flags & EBPFLOW_KEY_OVERFLOW) || (k->ip_version != 4 && k->ip_version != 6))
		return NULL;
	return dns_names_lookup(names, netns, k->ip_version == 4 ? AF_INET : AF_INET6,
				k->direction == EBPFLOW_DIR_OUTBOUND ? k->daddr : k->saddr,
				clock_mono_ns() / 1000000000ull);
}

void enrich_record(struct flow_record *rec, void *ctx)
{
	rec->user = enrich_user(ctx, rec->uid);
	enrich_container(ctx, rec->cgroup_id, &rec->container, &rec->container_id);
	if (((struct enrich *)ctx)->procs)
		proctable_fill(((struct enrich *)ctx)->procs, rec);
}

void enrich_set_dns(struct enrich *e, struct dns_names *names)
{
	e->dns = names;
}

void enrich_touch(struct enrich *e, uint32_t uid, uint64_t cgroup_id, uint64_t now_ns)
{
	struct user *u = g_hash_table_lookup(e->users, GUINT_TO_POINTER(uid));

	if (u)
		u->used_ns = now_ns;
	if (e->containers)
		containers_touch(e->containers, cgroup_id, now_ns);
}

static gboolean unused(gpointer key, gpointer value, gpointer cutoff)
{
	const struct user *u = value;

	return !u->pending && u->used_ns < *(const uint64_t *)cutoff;
}

void enrich_forget_unused(struct enrich *e, uint64_t now)
{
	uint64_t cutoff = 0;

	if (now > ENRICH_FORGET_AFTER_S * 1000 * MS)
		cutoff = now - ENRICH_FORGET_AFTER_S * 1000 * MS;
	g_hash_table_foreach_remove(e->users, unused, &cutoff);
	if (e->containers)
		containers_forget_unused(e->containers, cutoff);
}

unsigned int enrich_users_cached(const struct enrich *e)
{
	return g_hash_table_size(e->users);
}
