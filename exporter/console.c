// SPDX-License-Identifier: GPL-2.0-only
/*
 * The console view keeps whole-flow totals while the flow table reports
 * parts and forgets flows: a row is the sum of the records that went out for
 * its flow (kept here) plus the part of the flow the table holds that no
 * record carried yet. Each call is thus counted once, whether the flow is
 * live, ended or forgotten.
 */
#include "console.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

struct console {
	FILE *out;
	struct enrich *en;
	flow_wanted_fn wanted;
	void *wanted_ctx;
	GHashTable *reported; /* flow_key -> struct console_row: sums of records */
	bool terminal;
	unsigned int rows, cols;
	enum console_sort sort;
	bool names; /* --names */
	GPtrArray *view; /* struct console_row *: the rows last printed */
	unsigned int max_ended; /* rows of ended flows kept at most */
	unsigned int ended;     /* rows of ended flows kept, as of the last print */
	char *title;
	bool mid_line; /* the status line has no newline (a full screen must not scroll) */
};

struct console *console_new(FILE *out, struct enrich *en, flow_wanted_fn wanted, void *ctx)
{
	struct console *c = g_new0(struct console, 1);

	c->out = out;
	c->en = en;
	c->wanted = wanted;
	c->wanted_ctx = ctx;
	c->reported = g_hash_table_new_full(flow_key_hash, flow_key_equal, NULL, g_free);
	c->view = g_ptr_array_new_with_free_func(g_free);
	c->max_ended = CONSOLE_MAX_ENDED;
	return c;
}

void console_free(struct console *c)
{
	if (!c)
		return;
	g_hash_table_destroy(c->reported);
	g_ptr_array_free(c->view, TRUE);
	g_free(c->title);
	g_free(c);
}

void console_set_terminal(struct console *c, bool terminal, unsigned int rows, unsigned int cols)
{
	if (c->mid_line && !terminal) {
		/* what follows goes below the terminal view */
		fputc('\n', c->out);
		fflush(c->out);
		c->mid_line = false;
	}
	c->terminal = terminal;
	c->rows = rows;
	c->cols = cols;
}

void console_set_sort(struct console *c, enum console_sort sort)
{
	if (sort < CONSOLE_SORT__MAX)
		c->sort = sort;
}

void console_set_names(struct console *c, bool names)
{
	c->names = names;
}

bool console_key(struct console *c, int key)
{
	static const char keys[CONSOLE_SORT__MAX] = { 'c', 'p', 'n', 'm' };

	for (int i = 0; i < CONSOLE_SORT__MAX; i++) {
		if (g_ascii_tolower(key) == keys[i]) {
			c->sort = i;
			return true;
		}
	}
	return false;
}

const char *console_sort_name(enum console_sort sort)
{
	static const char *const names[CONSOLE_SORT__MAX] = { "COUNT", "PID", "COMM", "MTBS" };

	return sort < CONSOLE_SORT__MAX ? names[sort] : "?";
}

static struct console_row *row_add(GHashTable *rows, const struct flow_key *k, uint64_t count,
				   uint64_t first, uint64_t last, uint32_t uid, const char *comm,
				   uint64_t cgroup_id)
{
	struct console_row *r = g_hash_table_lookup(rows, k);

	if (!r) {
		r = g_new0(struct console_row, 1);
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
	return r;
}

void console_record(struct console *c, const struct flow_record *rec)
{
	struct console_row *r = row_add(c->reported, &rec->key, rec->count, rec->flow_first_ns,
					rec->last_ns, rec->uid, rec->comm, rec->cgroup_id);

	/* a name once seen stays: a later record may come after its answer expired */
	if (rec->peer_name && *rec->peer_name)
		g_strlcpy(r->peer_name, rec->peer_name, sizeof(r->peer_name));
}

struct build {
	struct console *c;
	GHashTable *rows;
	GHashTable *live; /* keys of the flows the table holds, when rows may be dropped */
};

static void add_live(const struct flow_key *k, const struct flow_totals *t, uint64_t unreported,
		     void *ctx)
{
	struct build *b = ctx;

	if (b->live)
		g_hash_table_add(b->live, (gpointer)k);

	if (b->c->wanted && !b->c->wanted(t->cgroup_id, b->c->wanted_ctx))
		return;
	if (!unreported && !g_hash_table_contains(b->rows, k))
		return; /* all of it went in records the filter left out before a reload */
	row_add(b->rows, k, unreported, t->first_ns, t->last_ns, t->uid, t->comm, t->cgroup_id);
}

static int cmp_key(const struct console_row *x, const struct console_row *y)
{
	if (x->key.pid != y->key.pid)
		return x->key.pid < y->key.pid ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static gint by_count(gconstpointer a, gconstpointer b)
{
	const struct console_row *x = *(struct console_row *const *)a;
	const struct console_row *y = *(struct console_row *const *)b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_key(x, y);
}

static gint by_pid(gconstpointer a, gconstpointer b)
{
	return cmp_key(*(struct console_row *const *)a, *(struct console_row *const *)b);
}

static gint by_comm(gconstpointer a, gconstpointer b)
{
	const struct console_row *x = *(struct console_row *const *)a;
	const struct console_row *y = *(struct console_row *const *)b;
	int d = strcmp(x->comm, y->comm);

	return d ? d : cmp_key(x, y);
}

static gint by_mtbs(gconstpointer a, gconstpointer b)
{
	const struct console_row *x = *(struct console_row *const *)a;
	const struct console_row *y = *(struct console_row *const *)b;
	double mx = flow_mtbs_s(x->count, x->first_ns, x->last_ns);
	double my = flow_mtbs_s(y->count, y->first_ns, y->last_ns);

	if ((mx < 0) != (my < 0))
		return mx < 0 ? 1 : -1; /* a single call has no MTBS: last */
	if (mx != my)
		return mx < my ? -1 : 1;
	return cmp_key(x, y);
}

void console_sort_rows(GPtrArray *rows, enum console_sort sort)
{
	static const GCompareFunc cmp[CONSOLE_SORT__MAX] = { by_count, by_pid, by_comm, by_mtbs };

	g_ptr_array_sort(rows, cmp[sort < CONSOLE_SORT__MAX ? sort : CONSOLE_SORT_COUNT]);
}

/* Lines besides rows: title and blank, per table heading, columns and blank, status line. */
#define FIXED_LINES(title) ((title) ? 2u : 0u) + 3u + 3u + 1u

void console_fit(unsigned int lines, bool title, unsigned int n_out, unsigned int n_in,
		 unsigned int *show_out, unsigned int *show_in)
{
	long avail = (long)lines - (long)(FIXED_LINES(title));
	long out;

	if (!lines || (long)n_out + n_in <= avail) {
		*show_out = n_out;
		*show_in = n_in;
		return;
	}
	if (avail < 0)
		avail = 0;
	/* half each; what one table leaves, the other takes */
	out = MAX(avail / 2, avail - (long)n_in);
	*show_out = (unsigned int)MIN((long)n_out, out);
	*show_in = (unsigned int)MIN((long)n_in, avail - (long)*show_out);
}

const char *console_escape(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 <= len; p++) {
		if (*p == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\\\");
		else if (*p < 0x20 || *p >= 0x7f)
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", *p);
		else
			buf[n++] = (char)*p;
	}
	buf[n] = '\0';
	return buf;
}

/* What a row shows, as text a terminal cannot take for a command. */
struct cells {
	char comm[4 * EBPFLOW_COMM_LEN + 3 + 4 * 256];
	char user[4 * 64 + 1];
	/* an address, or with --names the peer's DNS name, escaped */
	char saddr[4 * DNS_NAME_MAX + 1], daddr[4 * DNS_NAME_MAX + 1];
	char mtbs[32];
};

/* The seed's COMM column: "process @ container" when it ran in one. */
static void fill_cells(struct console *c, const struct console_row *r, struct cells *x)
{
	char comm[4 * EBPFLOW_COMM_LEN + 1], name[4 * 256 + 1];
	const char *cname, *id;
	double m;

	console_escape(r->comm, comm, sizeof(comm));
	enrich_container(c->en, r->cgroup_id, &cname, &id);
	if (*cname)
		snprintf(x->comm, sizeof(x->comm), "%s @ %s", comm,
			 console_escape(cname, name, sizeof(name)));
	else if (*id)
		snprintf(x->comm, sizeof(x->comm), "%s @ %.12s", comm,
			 console_escape(id, name, sizeof(name)));
	else
		snprintf(x->comm, sizeof(x->comm), "%s", comm);
	console_escape(enrich_user(c->en, r->uid), x->user, sizeof(x->user));
	flow_addr_str(&r->key, r->key.saddr, x->saddr, sizeof(x->saddr));
	flow_addr_str(&r->key, r->key.daddr, x->daddr, sizeof(x->daddr));
	/* the peer: the responder outbound, the initiator inbound */
	if (c->names && *r->peer_name)
		console_escape(r->peer_name,
			       r->key.direction == EBPFLOW_DIR_OUTBOUND ? x->daddr : x->saddr,
			       sizeof(x->daddr));
	m = flow_mtbs_s(r->count, r->first_ns, r->last_ns);
	if (m < 0)
		snprintf(x->mtbs, sizeof(x->mtbs), "-");
	else
		snprintf(x->mtbs, sizeof(x->mtbs), "%.6f", m);
}

/* One line; on a terminal cut to its width and cleared to its end. */
static void line(struct console *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(struct console *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (c->terminal && c->cols && strlen(s) > c->cols)
		s[c->cols] = '\0';
	fputs(s, c->out);
	fputs(c->terminal ? "\033[K\n" : "\n", c->out);
	g_free(s);
}

static void print_table(struct console *c, GPtrArray *rows, unsigned int shown, uint8_t dir)
{
	bool out = dir == EBPFLOW_DIR_OUTBOUND;
	/* never silently: the heading says the column may hold names */
	const char *sh = c->names && !out ? "SADDR/NAME" : "SADDR";
	const char *dh = c->names && out ? "DADDR/NAME" : "DADDR";
	int wcomm = 4, wuser = 4, wsaddr = (int)strlen(sh), wdaddr = (int)strlen(dh);
	struct cells *cells = g_new(struct cells, shown ? shown : 1);

	for (unsigned int i = 0; i < shown; i++) {
		fill_cells(c, g_ptr_array_index(rows, i), &cells[i]);
		wcomm = MAX(wcomm, (int)strlen(cells[i].comm));
		wuser = MAX(wuser, (int)strlen(cells[i].user));
		wsaddr = MAX(wsaddr, (int)strlen(cells[i].saddr));
		wdaddr = MAX(wdaddr, (int)strlen(cells[i].daddr));
	}
	line(c, "%s", dir == EBPFLOW_DIR_OUTBOUND ? "Outbound flows (TCP connect, UDP send)"
						  : "Inbound flows (TCP accept, UDP receive)");
	line(c, "%-7s %-*s %-*s %-2s %-5s %-*s %-*s %-5s %-7s %s", "PID", wcomm, "COMM", wuser,
	     "USER", "IP", "PROTO", wsaddr, sh, wdaddr, dh,
	     dir == EBPFLOW_DIR_OUTBOUND ? "RPORT" : "LPORT", "COUNT", "MTBS(s)");
	for (unsigned int i = 0; i < shown; i++) {
		const struct console_row *r = g_ptr_array_index(rows, i);

		line(c, "%-7u %-*s %-*s %-2u %-5s %-*s %-*s %-5u %-7" PRIu64 " %s", r->key.pid,
		     wcomm, cells[i].comm, wuser, cells[i].user, r->key.ip_version,
		     flow_proto_name(r->key.proto), wsaddr, cells[i].saddr, wdaddr, cells[i].daddr,
		     r->key.port, r->count, cells[i].mtbs);
	}
	g_free(cells);
}

/* The terminal's last line: what is not shown, the order, the keys. No newline: no scroll. */
static void status_line(struct console *c, unsigned int hidden_out, unsigned int hidden_in)
{
	GString *s = g_string_new(NULL);

	if (hidden_out + hidden_in)
		g_string_append_printf(s, "%u more flows not shown (%u out, %u in) | ",
				       hidden_out + hidden_in, hidden_out, hidden_in);
	g_string_append_printf(s, "sort: %s (keys c count, p pid, n comm, m MTBS; q quit)",
			       console_sort_name(c->sort));
	if (c->cols && s->len > c->cols)
		g_string_truncate(s, c->cols);
	fputs(s->str, c->out);
	fputs("\033[K\033[J", c->out);
	g_string_free(s, TRUE);
}

void console_redraw(struct console *c)
{
	GPtrArray *out = g_ptr_array_new(), *in = g_ptr_array_new();
	unsigned int show_out, show_in;

	for (guint i = 0; i < c->view->len; i++) {
		struct console_row *r = g_ptr_array_index(c->view, i);

		g_ptr_array_add(r->key.direction == EBPFLOW_DIR_OUTBOUND ? out : in, r);
	}
	console_sort_rows(out, c->sort);
	console_sort_rows(in, c->sort);
	console_fit(c->terminal ? c->rows : 0, c->title != NULL, out->len, in->len, &show_out,
		    &show_in);
	if (c->terminal)
		fputs("\033[H", c->out); /* in place: overwrite, no blank screen between */
	c->mid_line = c->terminal;
	if (c->title) {
		line(c, "%s", c->title);
		line(c, "%s", "");
	}
	print_table(c, out, show_out, EBPFLOW_DIR_OUTBOUND);
	line(c, "%s", "");
	print_table(c, in, show_in, EBPFLOW_DIR_INBOUND);
	line(c, "%s", "");
	if (c->terminal)
		status_line(c, out->len - show_out, in->len - show_in);
	fflush(c->out);
	g_ptr_array_free(out, TRUE);
	g_ptr_array_free(in, TRUE);
}

static gint by_last(gconstpointer a, gconstpointer b)
{
	const struct console_row *x = *(struct console_row *const *)a;
	const struct console_row *y = *(struct console_row *const *)b;

	return x->last_ns < y->last_ns ? -1 : x->last_ns > y->last_ns;
}

/*
 * The rows of flows the table no longer holds (ended, or forgotten when
 * idle) are kept up to max_ended; beyond, the oldest (by last call) go,
 * from what is kept and from this view.
 */
static void drop_ended(struct console *c, struct build *b)
{
	GPtrArray *ended = g_ptr_array_new();
	GHashTableIter it;
	struct console_row *r;

	g_hash_table_iter_init(&it, c->reported);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&r))
		if (!b->live || !g_hash_table_contains(b->live, &r->key))
			g_ptr_array_add(ended, r);
	c->ended = ended->len;
	if (ended->len > c->max_ended) {
		g_ptr_array_sort(ended, by_last);
		for (guint i = 0; i < ended->len - c->max_ended; i++) {
			r = g_ptr_array_index(ended, i);
			g_hash_table_remove(b->rows, &r->key);
			g_hash_table_remove(c->reported, &r->key); /* frees r */
		}
		c->ended = c->max_ended;
	}
	g_ptr_array_free(ended, TRUE);
}

void console_print(struct console *c, struct flowtable *ft, const char *title)
{
	struct build b = { c, g_hash_table_new_full(flow_key_hash, flow_key_equal, NULL, g_free),
			   NULL };
	GHashTableIter it;
	struct console_row *r;

	if (ft)
		b.live = g_hash_table_new(flow_key_hash, flow_key_equal);
	g_hash_table_iter_init(&it, c->reported);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&r))
		g_hash_table_insert(b.rows, &r->key, g_memdup2(r, sizeof(*r)));
	if (ft)
		flowtable_foreach(ft, add_live, &b);
	drop_ended(c, &b);
	g_ptr_array_set_size(c->view, 0);
	g_hash_table_iter_init(&it, b.rows);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&r))
		g_ptr_array_add(c->view, r);
	g_hash_table_steal_all(b.rows); /* the view owns the rows now */
	g_hash_table_destroy(b.rows);
	if (b.live)
		g_hash_table_destroy(b.live);
	g_free(c->title);
	c->title = g_strdup(title);
	console_redraw(c);
}

void console_set_max_ended(struct console *c, unsigned int rows)
{
	c->max_ended = rows;
}

unsigned int console_rows(const struct console *c, unsigned int *ended)
{
	*ended = c->ended;
	return c->view->len;
}
