// SPDX-License-Identifier: GPL-2.0-only
/*
 * uid -> user name, looked up once per uid through NSS (what ps does) and
 * kept: a user renamed while eBPFlow runs keeps its old name until restart.
 */
#include "enrich.h"

#include <glib.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

struct enrich {
	GHashTable *users; /* GUINT_TO_POINTER(uid) -> char * */
	struct containers *containers;
};

struct enrich *enrich_new(struct containers *containers)
{
	struct enrich *e = g_new0(struct enrich, 1);

	e->containers = containers;
	e->users = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	return e;
}

void enrich_free(struct enrich *e)
{
	if (!e)
		return;
	g_hash_table_destroy(e->users);
	g_free(e);
}

const char *enrich_user(struct enrich *e, uint32_t uid)
{
	char *name = g_hash_table_lookup(e->users, GUINT_TO_POINTER(uid));
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (name)
		return name;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		name = g_strdup(res->pw_name);
	else
		name = g_strdup_printf("%u", uid);
	g_hash_table_insert(e->users, GUINT_TO_POINTER(uid), name);
	return name;
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

void enrich_record(struct flow_record *rec, void *ctx)
{
	rec->user = enrich_user(ctx, rec->uid);
	enrich_container(ctx, rec->cgroup_id, &rec->container, &rec->container_id);
}
