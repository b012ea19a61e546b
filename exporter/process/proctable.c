// SPDX-License-Identifier: GPL-2.0-only
/* The identity of each record's process (proctable.h says from where, and how long it is kept). */
#include "proctable.h"

#include <bpf/bpf.h>
#include <string.h>

/*
 * An exited process's entry goes once no record can want it any more: its
 * flows are reported at the pass that reads its exit and at the next (calls in
 * flight), a record may wait for a user or container name (3 s at most).
 */
#define EXITED_KEEP_PASSES 2
#define EXITED_KEEP_NS (5ull * 1000000000ull)
/* a live process's entry nothing asked for this long is forgotten (asked again if needed) */
#define UNUSED_KEEP_NS (30ull * 1000000000ull)

struct proc_entry {
	struct proc_ident id;
	uint64_t seen_ns;      /* the kernel's note it came from (0: from /proc) */
	uint64_t checked_pass; /* the pass it was last checked against the kernel */
	uint64_t used_pass;
	uint64_t used_ns;
	bool exited;
};

/* a process running when eBPFlow started, told apart from a reused pid by its start */
struct started {
	uint64_t ticks;
	struct proc_ident id;
};

struct proctable {
	int fd;
	char *root;
	uint32_t cmdline_bytes;
	GHashTable *procs;   /* struct proc_key -> struct proc_entry */
	GHashTable *started; /* GUINT_TO_POINTER(pid) -> struct started */
	struct proc_entry spare; /* an answer the full cache could not keep */
	uint64_t pass;
	uint64_t now_ns;
	struct proctable_stats stats;
};

static void entry_free(gpointer p)
{
	struct proc_entry *e = p;

	proc_ident_clear(&e->id);
	g_free(e);
}

static void started_free(gpointer p)
{
	struct started *s = p;

	proc_ident_clear(&s->id);
	g_free(s);
}

struct proctable *proctable_new(const char *root, uint32_t cmdline_bytes)
{
	struct proctable *pt = g_new0(struct proctable, 1);

	pt->fd = -1;
	pt->root = g_strdup(root);
	pt->cmdline_bytes = cmdline_bytes;
	pt->procs = g_hash_table_new_full(proc_key_hash, proc_key_equal, g_free, entry_free);
	pt->started = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, started_free);
	pt->pass = 1;
	return pt;
}

void proctable_free(struct proctable *pt)
{
	if (!pt)
		return;
	g_hash_table_destroy(pt->procs);
	g_hash_table_destroy(pt->started);
	proc_ident_clear(&pt->spare.id);
	g_free(pt->root);
	g_free(pt);
}

void proctable_set_fd(struct proctable *pt, int procs_fd)
{
	pt->fd = procs_fd;
}

static void take_started(uint32_t pid, uint64_t ticks, struct proc_ident *id, void *ctx)
{
	struct proctable *pt = ctx;
	struct started *s;

	if (g_hash_table_size(pt->started) >= PROCTABLE_MAX) {
		proc_ident_clear(id);
		pt->stats.full++;
		return;
	}
	s = g_new0(struct started, 1);
	s->ticks = ticks;
	s->id = *id;
	g_hash_table_replace(pt->started, GUINT_TO_POINTER(pid), s);
}

unsigned int proctable_scan(struct proctable *pt)
{
	return procfs_scan(pt->root, pt->cmdline_bytes, take_started, pt);
}

static gboolean done_with(gpointer key, gpointer value, gpointer ctx)
{
	const struct proc_entry *e = value;
	const struct proctable *pt = ctx;
	uint64_t last_ns = e->used_ns;

	if (!e->exited)
		return pt->now_ns - last_ns >= UNUSED_KEEP_NS;
	return pt->pass - e->used_pass >= EXITED_KEEP_PASSES &&
	       pt->now_ns - last_ns >= EXITED_KEEP_NS;
}

void proctable_begin_pass(struct proctable *pt, uint64_t now_ns)
{
	pt->pass++;
	pt->now_ns = now_ns;
	g_hash_table_foreach_remove(pt->procs, done_with, pt);
}

/* The kernel's note in words: the strings are bounded and NUL-terminated here. */
static void ident_from_kernel(struct proc_ident *id, const struct proc_info *v)
{
	proc_ident_clear(id);
	id->exe = g_strndup(v->exe, sizeof(v->exe));
	id->cmdline = proc_args_text(v->cmdline, v->cmdline_len < sizeof(v->cmdline) ?
							 v->cmdline_len : sizeof(v->cmdline));
	id->cmdline_cut = v->flags & EBPFLOW_PROC_CMDLINE_CUT;
	id->ppid = v->ppid;
	id->parent = g_strndup(v->parent, sizeof(v->parent));
}

/* The cache's entry for k, made when there is room; else the spare one. */
static struct proc_entry *entry_for(struct proctable *pt, const struct proc_key *k)
{
	struct proc_entry *e = g_hash_table_lookup(pt->procs, k);

	if (e)
		return e;
	if (g_hash_table_size(pt->procs) >= PROCTABLE_MAX) {
		pt->stats.full++;
		proc_ident_clear(&pt->spare.id);
		memset(&pt->spare, 0, sizeof(pt->spare));
		return &pt->spare;
	}
	e = g_new0(struct proc_entry, 1);
	g_hash_table_insert(pt->procs, g_memdup2(k, sizeof(*k)), e);
	return e;
}

/* What /proc said of k's pid at start, if it is the same process. */
static bool from_started(struct proctable *pt, const struct proc_key *k, struct proc_ident *out)
{
	struct started *s = g_hash_table_lookup(pt->started, GUINT_TO_POINTER(k->pid));

	if (!s || !procfs_same_start(k->start_ns, s->ticks))
		return false;
	*out = s->id;
	memset(&s->id, 0, sizeof(s->id));
	g_hash_table_remove(pt->started, GUINT_TO_POINTER(k->pid));
	return true;
}

void proctable_exited(struct proctable *pt, GHashTable *procs)
{
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, procs);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		const struct proc_key *k = key;
		struct proc_entry *e = g_hash_table_lookup(pt->procs, k);
		struct proc_info v;
		struct proc_ident id = { 0 };
		bool at_start = from_started(pt, k, &id);

		/* out of the kernel's map, which then holds live processes only */
		if (pt->fd >= 0 && bpf_map_lookup_elem(pt->fd, k, &v) == 0) {
			bpf_map_delete_elem(pt->fd, k);
			e = entry_for(pt, k);
			ident_from_kernel(&e->id, &v);
			e->seen_ns = v.seen_ns;
		} else if (!e && at_start) {
			e = entry_for(pt, k);
			proc_ident_clear(&e->id);
			e->id = id;
			memset(&id, 0, sizeof(id));
		}
		proc_ident_clear(&id);
		if (!e || e == &pt->spare)
			continue;
		e->exited = true;
		e->used_pass = pt->pass;
		e->used_ns = pt->now_ns;
	}
}

/* k's entry, checked against the kernel once per pass; NULL when nobody knows k. */
static struct proc_entry *lookup(struct proctable *pt, const struct proc_key *k, bool *kernel)
{
	struct proc_entry *e = g_hash_table_lookup(pt->procs, k);
	struct proc_ident id;
	struct proc_info v;
	uint64_t ticks;

	*kernel = e && e->seen_ns;
	if (e && (e->exited || e->checked_pass == pt->pass))
		return e;
	if (pt->fd >= 0 && bpf_map_lookup_elem(pt->fd, k, &v) == 0) {
		e = entry_for(pt, k);
		if (e->seen_ns != v.seen_ns || !e->id.exe) {
			ident_from_kernel(&e->id, &v);
			e->seen_ns = v.seen_ns;
		}
		e->checked_pass = pt->pass;
		*kernel = true;
		return e;
	}
	if (e) {
		e->checked_pass = pt->pass;
		return e;
	}
	*kernel = false;
	if (from_started(pt, k, &id)) {
		e = entry_for(pt, k);
	} else if (procfs_read(pt->root, k->pid, pt->cmdline_bytes, &ticks, &id)) {
		if (!procfs_same_start(k->start_ns, ticks)) {
			/* the pid is another process's now: what it says is not about k */
			proc_ident_clear(&id);
			return NULL;
		}
		e = entry_for(pt, k);
	} else {
		return NULL;
	}
	proc_ident_clear(&e->id);
	e->id = id;
	e->checked_pass = pt->pass;
	return e;
}

void proctable_fill(struct proctable *pt, struct flow_record *rec)
{
	struct proc_key k = { .pid = rec->key.pid, .start_ns = rec->key.start_ns };
	struct proc_entry *e;
	bool kernel;

	/* an overflow flow stands for many processes */
	if (!k.pid || (rec->key.flags & EBPFLOW_KEY_OVERFLOW))
		return;
	e = lookup(pt, &k, &kernel);
	if (!e) {
		pt->stats.unknown++;
		return;
	}
	if (kernel)
		pt->stats.kernel++;
	else
		pt->stats.procfs++;
	e->used_pass = pt->pass;
	e->used_ns = pt->now_ns;
	rec->exe = e->id.exe ? e->id.exe : "";
	rec->cmdline = e->id.cmdline ? e->id.cmdline : "";
	rec->cmdline_cut = e->id.cmdline_cut;
	rec->ppid = e->id.ppid;
	rec->parent = e->id.parent ? e->id.parent : "";
}

unsigned int proctable_size(const struct proctable *pt)
{
	return g_hash_table_size(pt->procs) + g_hash_table_size(pt->started);
}

const struct proctable_stats *proctable_stats(const struct proctable *pt)
{
	return &pt->stats;
}
