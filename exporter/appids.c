// SPDX-License-Identifier: GPL-2.0-only
/*
 * Application ids: the id of a process and the table of processes named to
 * the collector. nfdump keeps the names in one table for every exporter of
 * an nfcapd and per file, so the table goes out whole with every template
 * refresh, and a process's entry before its first record.
 */
#include "appids.h"

#include <stdio.h>
#include <string.h>

struct entry {
	struct proc_key key;
	uint64_t used_ns; /* last record */
	struct ipfix_appid_rec rec;
};

struct appids {
	uint32_t pen, domain;
	unsigned int max;
	GHashTable *procs; /* struct proc_key * -> struct entry * (the key is in the entry) */
	uint64_t refused;
};

struct appids *appids_new(uint32_t pen, uint32_t domain, unsigned int max)
{
	struct appids *a = g_new0(struct appids, 1);

	a->pen = pen;
	a->domain = domain;
	a->max = max;
	a->procs = g_hash_table_new_full(proc_key_hash, proc_key_equal, NULL, g_free);
	return a;
}

void appids_free(struct appids *a)
{
	if (!a)
		return;
	g_hash_table_destroy(a->procs);
	g_free(a);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/*
 * Engine, PEN, then the selector: observation domain (two hosts feeding one
 * nfcapd share its table), the process start in ms modulo 65536 (a reused
 * pid is another id), and the pid last, so that nfdump's %nbid, which
 * prints the selector's last four bytes as a number, shows the pid.
 */
void appids_id(const struct appids *a, const struct flow_key *k, uint8_t out[APPID_LEN])
{
	uint16_t start = (uint16_t)(k->start_ns / 1000000u);

	out[0] = APPID_ENGINE_PEN;
	put32(out + 1, a->pen);
	put32(out + 5, a->domain);
	out[9] = start >> 8;
	out[10] = (uint8_t)start;
	put32(out + 11, k->pid);
}

void appids_describe(const struct flow_record *rec, char out[APPID_DESC_LEN])
{
	const char *c = NULL;
	int n = snprintf(out, APPID_DESC_LEN, "pid=%u user=%s", rec->key.pid,
			 rec->user ? rec->user : "");

	/* the name when known, else the id */
	if (rec->container && rec->container[0])
		c = rec->container;
	else if (rec->container_id && rec->container_id[0])
		c = rec->container_id;
	if (c && n > 0 && n < APPID_DESC_LEN)
		snprintf(out + n, APPID_DESC_LEN - n, " container=%s", c);
}

const struct ipfix_appid_rec *appids_note(struct appids *a, const struct flow_record *rec,
					  uint64_t now_ns, bool *fresh)
{
	struct proc_key k = { .start_ns = rec->key.start_ns, .pid = rec->key.pid };
	struct entry *e = g_hash_table_lookup(a->procs, &k);

	*fresh = false;
	if (!e) {
		if (g_hash_table_size(a->procs) >= a->max) {
			a->refused++;
			return NULL;
		}
		e = g_new0(struct entry, 1);
		e->key = k;
		e->rec.observationDomainId = a->domain;
		appids_id(a, &rec->key, e->rec.applicationId);
		/* the name and description are fixed-length: NUL-padded */
		memcpy(e->rec.applicationName, rec->comm, strnlen(rec->comm, APPID_NAME_LEN - 1));
		appids_describe(rec, e->rec.applicationDescription);
		g_hash_table_insert(a->procs, &e->key, e);
		*fresh = true;
	}
	e->used_ns = now_ns;
	return &e->rec;
}

static gboolean idle(gpointer key, gpointer value, gpointer now)
{
	const struct entry *e = value;

	(void)key;
	return *(const uint64_t *)now - e->used_ns > APPIDS_IDLE_NS;
}

void appids_expire(struct appids *a, uint64_t now_ns)
{
	g_hash_table_foreach_remove(a->procs, idle, &now_ns);
}

gboolean appids_foreach(struct appids *a, appids_fn fn, void *ctx, GError **err)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, a->procs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const struct entry *e = v;

		if (!fn(&e->rec, ctx, err))
			return FALSE;
	}
	return TRUE;
}

unsigned int appids_size(const struct appids *a)
{
	return g_hash_table_size(a->procs);
}

uint64_t appids_refused(const struct appids *a)
{
	return a->refused;
}
