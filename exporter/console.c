// SPDX-License-Identifier: GPL-2.0-only
/*
 * The console view keeps whole-flow totals: the flow table reports deltas
 * and forgets idle flows, so the view adds the final records of forgotten
 * flows (kept here) to the live totals (read from the flow table at print).
 */
#include "console.h"

#include <arpa/inet.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>

struct row {
	struct flow_key key;
	uint64_t count;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t cgroup_id;
	uint32_t uid;
	char comm[EBPFLOW_COMM_LEN];
};

struct console {
	FILE *out;
	struct enrich *en;
	GHashTable *done; /* flow_key -> struct row: totals of forgotten flows */
};

struct console *console_new(FILE *out, struct enrich *en)
{
	struct console *c = g_new0(struct console, 1);

	c->out = out;
	c->en = en;
	c->done = g_hash_table_new_full(flow_key_hash, flow_key_equal, NULL, g_free);
	return c;
}

void console_free(struct console *c)
{
	if (!c)
		return;
	g_hash_table_destroy(c->done);
	g_free(c);
}

static void row_add(GHashTable *rows, const struct flow_key *k, uint64_t count, uint64_t first,
		    uint64_t last, uint32_t uid, const char *comm, uint64_t cgroup_id)
{
	struct row *r = g_hash_table_lookup(rows, k);

	if (!r) {
		r = g_new0(struct row, 1);
		r->key = *k;
		r->first_ns = first;
		g_hash_table_insert(rows, &r->key, r);
	}
	r->count += count;
	if (first < r->first_ns)
		r->first_ns = first;
	if (last >= r->last_ns) {
		r->last_ns = last;
		r->uid = uid;
		r->cgroup_id = cgroup_id;
		memcpy(r->comm, comm, sizeof(r->comm));
	}
}

void console_record(struct console *c, const struct flow_record *rec)
{
	if (rec->reason == FLOW_END_ACTIVE)
		return; /* the flow is still live: the flow table has its totals */
	/* a final record closes its flow: keep the whole flow's totals */
	row_add(c->done, &rec->key, rec->flow_count, rec->flow_first_ns, rec->last_ns, rec->uid,
		rec->comm, rec->cgroup_id);
}

static void add_live(const struct flow_key *k, const struct flow_totals *t, uint64_t unreported,
		     void *ctx)
{
	row_add(ctx, k, t->count, t->first_ns, t->last_ns, t->uid, t->comm, t->cgroup_id);
}

static gint row_cmp(gconstpointer a, gconstpointer b)
{
	const struct row *x = *(struct row *const *)a, *y = *(struct row *const *)b;

	if (x->key.pid != y->key.pid)
		return x->key.pid < y->key.pid ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

struct cols {
	int comm, user, saddr, daddr;
};

/* The seed's COMM column: "process @ container" when it ran in one. */
static const char *comm_cell(struct console *c, const struct row *r, char *buf, size_t len)
{
	const char *name, *id;

	enrich_container(c->en, r->cgroup_id, &name, &id);
	if (*name)
		snprintf(buf, len, "%s @ %s", r->comm, name);
	else if (*id)
		snprintf(buf, len, "%s @ %.12s", r->comm, id);
	else
		snprintf(buf, len, "%s", r->comm);
	return buf;
}

static void print_table(struct console *c, GPtrArray *rows, uint8_t dir)
{
	struct cols w = { 4, 4, 5, 5 };
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], mtbs[32], comm[300];

	for (guint i = 0; i < rows->len; i++) {
		const struct row *r = g_ptr_array_index(rows, i);

		if (r->key.direction != dir)
			continue;
		w.comm = MAX(w.comm, (int)strlen(comm_cell(c, r, comm, sizeof(comm))));
		w.user = MAX(w.user, (int)strlen(enrich_user(c->en, r->uid)));
		w.saddr = MAX(w.saddr, (int)strlen(flow_addr_str(&r->key, r->key.saddr, sa, sizeof(sa))));
		w.daddr = MAX(w.daddr, (int)strlen(flow_addr_str(&r->key, r->key.daddr, da, sizeof(da))));
	}
	fprintf(c->out, "%s\n", dir == EBPFLOW_DIR_OUTBOUND ? "Outbound flows (TCP connect, UDP send)"
							    : "Inbound flows (TCP accept, UDP receive)");
	fprintf(c->out, "%-7s %-*s %-*s %-2s %-5s %-*s %-*s %-5s %-7s %s\n", "PID", w.comm, "COMM",
		w.user, "USER", "IP", "PROTO", w.saddr, "SADDR", w.daddr, "DADDR",
		dir == EBPFLOW_DIR_OUTBOUND ? "RPORT" : "LPORT", "COUNT", "MTBS(s)");
	for (guint i = 0; i < rows->len; i++) {
		const struct row *r = g_ptr_array_index(rows, i);
		double m;

		if (r->key.direction != dir)
			continue;
		m = flow_mtbs_s(r->count, r->first_ns, r->last_ns);
		if (m < 0)
			snprintf(mtbs, sizeof(mtbs), "-");
		else
			snprintf(mtbs, sizeof(mtbs), "%.6f", m);
		fprintf(c->out, "%-7u %-*s %-*s %-2u %-5s %-*s %-*s %-5u %-7" PRIu64 " %s\n",
			r->key.pid, w.comm, comm_cell(c, r, comm, sizeof(comm)), w.user,
			enrich_user(c->en, r->uid),
			r->key.ip_version, flow_proto_name(r->key.proto), w.saddr,
			flow_addr_str(&r->key, r->key.saddr, sa, sizeof(sa)), w.daddr,
			flow_addr_str(&r->key, r->key.daddr, da, sizeof(da)), r->key.port, r->count,
			mtbs);
	}
}

void console_print(struct console *c, struct flowtable *ft, bool clear_screen, const char *title)
{
	GHashTable *rows = g_hash_table_new_full(flow_key_hash, flow_key_equal, NULL, g_free);
	GHashTableIter it;
	struct row *r;
	GPtrArray *sorted;

	g_hash_table_iter_init(&it, c->done);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&r))
		row_add(rows, &r->key, r->count, r->first_ns, r->last_ns, r->uid, r->comm,
			r->cgroup_id);
	flowtable_foreach(ft, add_live, rows);

	sorted = g_ptr_array_sized_new(g_hash_table_size(rows));
	g_hash_table_iter_init(&it, rows);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&r))
		g_ptr_array_add(sorted, r);
	g_ptr_array_sort(sorted, row_cmp);

	if (clear_screen)
		fputs("\033[H\033[2J", c->out);
	if (title)
		fprintf(c->out, "%s\n\n", title);
	print_table(c, sorted, EBPFLOW_DIR_OUTBOUND);
	fputc('\n', c->out);
	print_table(c, sorted, EBPFLOW_DIR_INBOUND);
	fputc('\n', c->out);
	fflush(c->out);
	g_ptr_array_free(sorted, TRUE);
	g_hash_table_destroy(rows);
}
