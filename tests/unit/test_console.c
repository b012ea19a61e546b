// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the console view: every call counted once (reported +
 * live, across refreshes and after the process exits), [filter] containers,
 * names escaped, the sort keys, and the rows that fit a (fake) terminal.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"

#define S 1000000000ull

static struct flow_key key(uint8_t dir, uint32_t pid, int v, uint8_t proto, const char *s,
			   const char *d, uint16_t port)
{
	struct flow_key k = { .direction = dir, .pid = pid, .ip_version = v, .proto = proto,
			      .port = port };

	inet_pton(v == 4 ? AF_INET : AF_INET6, s, k.saddr);
	inet_pton(v == 4 ? AF_INET : AF_INET6, d, k.daddr);
	return k;
}

static struct flow_totals totals(uint64_t count, uint64_t first, uint64_t last, const char *comm)
{
	struct flow_totals t = { .count = count, .first_ns = first, .last_ns = last };

	snprintf(t.comm, sizeof(t.comm), "%s", comm);
	return t;
}

/* The console as eBPFlow wires it: the flow table's records go to it. */
struct rig {
	struct flowtable *ft;
	struct enrich *en;
	struct console *c;
	char *text;
	size_t len;
	FILE *mem;
	uint64_t wanted_cgroup; /* 0: every flow */
};

static void to_console(const struct flow_record *rec, void *ctx)
{
	console_record(((struct rig *)ctx)->c, rec);
}

static bool wanted(uint64_t cgroup_id, void *ctx)
{
	struct rig *r = ctx;

	return !r->wanted_cgroup || cgroup_id == r->wanted_cgroup;
}

static void rig_init(struct rig *r, uint64_t wanted_cgroup)
{
	struct flowtable_timeouts t = { .idle_ns = 30 * S, .active_ns = 120 * S };
	struct flowtable_ops ops = { .report = to_console, .wanted = wanted, .ctx = r };

	memset(r, 0, sizeof(*r));
	r->wanted_cgroup = wanted_cgroup;
	r->ft = flowtable_new(&t, &ops);
	r->en = enrich_new(NULL);
	enrich_start(r->en);
	r->mem = open_memstream(&r->text, &r->len);
	r->c = console_new(r->mem, r->en, wanted, r);
}

/* What the console printed since the last call. */
static char *rig_take(struct rig *r)
{
	char *s;

	fflush(r->mem);
	s = g_strndup(r->text, r->len);
	fseek(r->mem, 0, SEEK_SET);
	r->text[0] = '\0';
	return s;
}

static void rig_free(struct rig *r)
{
	console_free(r->c);
	fclose(r->mem);
	free(r->text);
	enrich_free(r->en);
	flowtable_free(r->ft);
}

/* The COUNT column of the row of pid in a plain table, or -1. */
static long count_of(const char *text, uint32_t pid)
{
	char **lines = g_strsplit(text, "\n", -1);
	char prefix[16];
	long count = -1;

	snprintf(prefix, sizeof(prefix), "%-7u ", pid);
	for (int i = 0; lines[i]; i++) {
		if (g_str_has_prefix(lines[i], prefix)) {
			char **cols = g_strsplit_set(lines[i], " ", -1);
			int n = 0;
			char *words[16];

			for (int j = 0; cols[j] && n < 16; j++)
				if (*cols[j])
					words[n++] = cols[j];
			g_assert_cmpint(count, ==, -1); /* one row per flow */
			count = strtol(words[n - 2], NULL, 10);
			g_strfreev(cols);
		}
	}
	g_strfreev(lines);
	return count;
}

static void test_tables(void)
{
	struct rig r;
	struct flow_key out = key(0, 23087, 4, 6, "172.17.0.4", "172.17.0.3", 5201);
	struct flow_key in = key(1, 22975, 6, 17, "fd42::1", "fd42::2", 53);
	struct flow_totals a = totals(2, 1 * S, 1 * S + 116000, "iperf3");
	struct flow_totals b = totals(1, 5 * S, 5 * S, "dnsd");
	struct flow_record gone = { 0 };
	char *text;

	rig_init(&r, 0);
	flowtable_update(r.ft, &out, &a);
	flowtable_update(r.ft, &in, &b);
	/* the same inbound flow had 3 calls earlier, forgotten since (idle) */
	gone.key = in;
	gone.count = gone.flow_count = 3;
	gone.first_ns = gone.flow_first_ns = 3 * S;
	gone.last_ns = 4 * S;
	strcpy(gone.comm, "dnsd");
	gone.reason = FLOW_END_IDLE;
	console_record(r.c, &gone);

	console_print(r.c, r.ft, NULL);
	text = rig_take(&r);
	g_assert_cmpstr(text, ==,
			"Outbound flows (TCP connect, UDP send)\n"
			"PID     COMM   USER IP PROTO SADDR      DADDR      RPORT COUNT   MTBS(s)\n"
			"23087   iperf3 root 4  TCP   172.17.0.4 172.17.0.3 5201  2       0.000116\n"
			"\n"
			"Inbound flows (TCP accept, UDP receive)\n"
			"PID     COMM USER IP PROTO SADDR   DADDR   LPORT COUNT   MTBS(s)\n"
			"22975   dnsd root 6  UDP   fd42::1 fd42::2 53    4       0.666667\n"
			"\n");
	g_free(text);
	rig_free(&r);
}

/*
 * A process makes 3 connects and exits: its flow is reported as ended and
 * stays in the table one more pass, then leaves it. COUNT is 3 throughout.
 */
static void test_exited_flow_counted_once(void)
{
	struct flow_key k = key(0, 4242, 4, 6, "10.0.0.1", "10.0.0.2", 80);
	struct flow_totals t = totals(3, 1 * S, 2 * S, "curl");
	GHashTable *exited = g_hash_table_new_full(proc_key_hash, proc_key_equal, g_free, NULL);
	struct proc_key p = { .pid = 4242 };
	struct rig r;
	char *text;

	rig_init(&r, 0);
	for (int pass = 0; pass < 4; pass++) {
		flowtable_begin_pass(r.ft);
		if (pass < 2) /* the kernel has it until the table forgets it */
			flowtable_update(r.ft, &k, &t);
		if (pass == 0) {
			g_hash_table_add(exited, g_memdup2(&p, sizeof(p)));
			flowtable_end_processes(r.ft, exited);
		}
		flowtable_expire(r.ft, 3 * S);
		console_print(r.c, r.ft, "title");
		text = rig_take(&r);
		g_assert_cmpint(count_of(text, 4242), ==, 3);
		g_free(text);
	}
	g_assert_cmpuint(flowtable_size(r.ft), ==, 0);
	g_hash_table_destroy(exited);
	rig_free(&r);
}

/* Active reports carry parts: COUNT = their sum + what is not reported yet. */
static void test_reported_parts_and_live_rest(void)
{
	struct flow_key k = key(0, 77, 4, 17, "10.0.0.1", "10.0.0.2", 53);
	struct flow_totals t = totals(5, 1 * S, 100 * S, "dig");
	struct rig r;
	char *text;

	rig_init(&r, 0);
	flowtable_update(r.ft, &k, &t);
	flowtable_expire(r.ft, 121 * S); /* active: a record of 5 */
	t = totals(7, 1 * S, 122 * S, "dig");
	flowtable_update(r.ft, &k, &t);
	console_print(r.c, r.ft, NULL);
	text = rig_take(&r);
	g_assert_cmpint(count_of(text, 77), ==, 7);
	g_free(text);
	flowtable_flush(r.ft); /* forced: the last 2 */
	console_print(r.c, r.ft, NULL);
	text = rig_take(&r);
	g_assert_cmpint(count_of(text, 77), ==, 7);
	g_free(text);
	rig_free(&r);
}

/* [filter] containers: a flow it leaves out is neither live nor reported on the console. */
static void test_filtered_flows_not_shown(void)
{
	struct flow_key mine = key(0, 10, 4, 6, "10.0.0.1", "10.0.0.2", 80);
	struct flow_key other = key(0, 11, 4, 6, "10.0.0.1", "10.0.0.2", 80);
	struct flow_totals a = totals(2, 1 * S, 2 * S, "web");
	struct flow_totals b = totals(4, 1 * S, 2 * S, "db");
	struct rig r;
	char *text;

	rig_init(&r, 7);
	a.cgroup_id = 7;
	b.cgroup_id = 8;
	flowtable_update(r.ft, &mine, &a);
	flowtable_update(r.ft, &other, &b);
	console_print(r.c, r.ft, NULL);
	text = rig_take(&r);
	g_assert_cmpint(count_of(text, 10), ==, 2);
	g_assert_cmpint(count_of(text, 11), ==, -1);
	g_free(text);
	flowtable_flush(r.ft);
	g_assert_cmpuint(flowtable_stats(r.ft)->filtered, ==, 4);
	g_assert_cmpuint(flowtable_stats(r.ft)->calls, ==, 2);
	console_print(r.c, r.ft, NULL);
	text = rig_take(&r);
	g_assert_cmpint(count_of(text, 10), ==, 2);
	g_assert_cmpint(count_of(text, 11), ==, -1);
	g_free(text);
	rig_free(&r);
}

static void test_escape(void)
{
	char buf[128];

	g_assert_cmpstr(console_escape("curl", buf, sizeof(buf)), ==, "curl");
	g_assert_cmpstr(console_escape("\x1b[2Jx", buf, sizeof(buf)), ==, "\\x1b[2Jx");
	g_assert_cmpstr(console_escape("a\nb\rc\td", buf, sizeof(buf)), ==, "a\\x0ab\\x0dc\\x09d");
	g_assert_cmpstr(console_escape("caf\xc3\xa9\x7f", buf, sizeof(buf)), ==,
			"caf\\xc3\\xa9\\x7f");
	/* a backslash is doubled, so no name can pass for an escaped one */
	g_assert_cmpstr(console_escape("\\x41", buf, sizeof(buf)), ==, "\\\\x41");
	/* 4 bytes per byte at most: a short buffer truncates, never overflows */
	g_assert_cmpstr(console_escape("\x01\x02\x03", buf, 9), ==, "\\x01\\x02");
}

/* A process name that would clear the screen and forge a row is printed as text. */
static void test_names_escaped_in_rows(void)
{
	struct flow_key k = key(0, 666, 4, 6, "10.0.0.1", "10.0.0.2", 80);
	struct flow_totals t = totals(1, 1 * S, 1 * S, "\x1b[2J\n1 root");
	struct rig r;
	char *text;

	rig_init(&r, 0);
	flowtable_update(r.ft, &k, &t);
	console_print(r.c, r.ft, "t");
	text = rig_take(&r);
	g_assert_nonnull(strstr(text, "666     \\x1b[2J\\x0a1 root "));
	for (const char *p = text; *p; p++)
		g_assert_true(*p == '\n' || (*p >= 0x20 && *p < 0x7f)); /* plain: no control byte */
	g_free(text);
	rig_free(&r);
}

/* a record of 1 call of flow k that went out, with the peer's name */
static struct flow_record named(struct flow_key k, const char *comm, const char *peer_name)
{
	struct flow_record rec = { 0 };

	rec.key = k;
	rec.count = rec.flow_count = 1;
	rec.first_ns = rec.flow_first_ns = rec.last_ns = 2 * S;
	g_strlcpy(rec.comm, comm, sizeof(rec.comm));
	rec.reason = FLOW_END_END;
	rec.peer_name = peer_name;
	return rec;
}

/*
 * --names (issue 22): the peer's DNS name in place of its address (DADDR
 * outbound, SADDR inbound), said in the heading, escaped; only when asked.
 */
static void test_peer_names(void)
{
	struct flow_key out = key(0, 700, 4, 6, "10.0.0.1", "10.0.0.2", 443);
	struct flow_key in = key(1, 701, 4, 6, "10.0.0.9", "10.0.0.1", 22);
	struct flow_key none = key(0, 702, 4, 17, "10.0.0.1", "10.0.0.3", 53);
	struct flow_record a = named(out, "curl", "api.payments.internal");
	struct flow_record b = named(in, "sshd", "x\x1b[2J.example");
	struct flow_record c = named(none, "dig", NULL);
	struct rig r;
	char *text;

	rig_init(&r, 0);
	console_record(r.c, &a);
	console_record(r.c, &b);
	console_record(r.c, &c);
	console_print(r.c, NULL, NULL);
	text = rig_take(&r);
	g_assert_null(strstr(text, "api.payments"));
	g_assert_nonnull(strstr(text, " 10.0.0.2 "));
	g_free(text);
	console_set_names(r.c, true);
	console_print(r.c, NULL, NULL);
	text = rig_take(&r);
	g_assert_cmpstr(text, ==,
			"Outbound flows (TCP connect, UDP send)\n"
			"PID     COMM USER IP PROTO SADDR    DADDR/NAME            RPORT COUNT   MTBS(s)\n"
			"700     curl root 4  TCP   10.0.0.1 api.payments.internal 443   1       -\n"
			"702     dig  root 4  UDP   10.0.0.1 10.0.0.3              53    1       -\n"
			"\n"
			"Inbound flows (TCP accept, UDP receive)\n"
			"PID     COMM USER IP PROTO SADDR/NAME       DADDR    LPORT COUNT   MTBS(s)\n"
			"701     sshd root 4  TCP   x\\x1b[2J.example 10.0.0.1 22    1       -\n"
			"\n");
	g_free(text);
	rig_free(&r);
}

/*
 * The console keeps at most max_ended rows of ended flows: the oldest (by
 * last call) go first; a live flow's row stays whatever its age.
 */
static void test_ended_rows_bounded(void)
{
	struct flow_key live = key(0, 100, 4, 17, "10.0.0.1", "10.0.0.2", 53);
	struct flow_totals t = totals(2, 1 * S, 1 * S, "old-but-live");
	unsigned int rows, ended;
	struct rig r;
	char *text;

	rig_init(&r, 0);
	console_set_max_ended(r.c, 3);
	flowtable_update(r.ft, &live, &t); /* the oldest of all, but live */
	for (uint32_t pid = 1; pid <= 5; pid++) {
		struct flow_record rec = { 0 };

		rec.key = key(0, pid, 4, 6, "10.0.0.1", "10.0.0.2", 80);
		rec.count = rec.flow_count = pid;
		rec.first_ns = rec.flow_first_ns = (10 + pid) * S;
		rec.last_ns = (20 + pid) * S;
		strcpy(rec.comm, "ended");
		rec.reason = FLOW_END_END;
		console_record(r.c, &rec);
	}
	console_print(r.c, r.ft, NULL);
	text = rig_take(&r);
	g_assert_cmpint(count_of(text, 100), ==, 2);
	g_assert_cmpint(count_of(text, 1), ==, -1); /* the two oldest ended flows are gone */
	g_assert_cmpint(count_of(text, 2), ==, -1);
	for (uint32_t pid = 3; pid <= 5; pid++)
		g_assert_cmpint(count_of(text, pid), ==, pid);
	rows = console_rows(r.c, &ended);
	g_assert_cmpuint(rows, ==, 4);
	g_assert_cmpuint(ended, ==, 3);
	g_free(text);
	/* and they stay gone */
	console_print(r.c, r.ft, NULL);
	text = rig_take(&r);
	g_assert_cmpint(count_of(text, 1), ==, -1);
	g_assert_cmpint(count_of(text, 5), ==, 5);
	g_free(text);
	rig_free(&r);
}

static void test_fit(void)
{
	unsigned int o, i;

	console_fit(0, true, 500, 300, &o, &i); /* not a terminal: everything */
	g_assert_cmpuint(o, ==, 500);
	g_assert_cmpuint(i, ==, 300);
	console_fit(40, true, 10, 5, &o, &i); /* all fit: 9 fixed lines + 15 */
	g_assert_cmpuint(o, ==, 10);
	g_assert_cmpuint(i, ==, 5);
	console_fit(19, true, 20, 3, &o, &i); /* 10 lines for rows: the inbound 3, outbound 7 */
	g_assert_cmpuint(o, ==, 7);
	g_assert_cmpuint(i, ==, 3);
	console_fit(19, true, 2, 30, &o, &i);
	g_assert_cmpuint(o, ==, 2);
	g_assert_cmpuint(i, ==, 8);
	console_fit(20, true, 50, 50, &o, &i); /* half each, the odd line to inbound */
	g_assert_cmpuint(o, ==, 5);
	g_assert_cmpuint(i, ==, 6);
	console_fit(17, false, 50, 50, &o, &i); /* no title: 7 fixed lines */
	g_assert_cmpuint(o + i, ==, 10);
	console_fit(5, true, 50, 50, &o, &i); /* too small for any row */
	g_assert_cmpuint(o + i, ==, 0);
}

static void test_sort(void)
{
	struct console_row rows[4] = {
		{ .key = { .pid = 30 }, .count = 5, .first_ns = 0, .last_ns = 4 * S, .comm = "b" },
		{ .key = { .pid = 10 }, .count = 1, .first_ns = 0, .last_ns = 0, .comm = "c" },
		{ .key = { .pid = 20 }, .count = 9, .first_ns = 0, .last_ns = 16 * S, .comm = "a" },
		{ .key = { .pid = 40 }, .count = 5, .first_ns = 0, .last_ns = 1 * S, .comm = "a" },
	};
	static const uint32_t want[CONSOLE_SORT__MAX][4] = {
		[CONSOLE_SORT_COUNT] = { 20, 30, 40, 10 }, /* ties by pid */
		[CONSOLE_SORT_PID] = { 10, 20, 30, 40 },
		[CONSOLE_SORT_COMM] = { 20, 40, 30, 10 },
		[CONSOLE_SORT_MTBS] = { 40, 30, 20, 10 }, /* 0.25, 1, 2 s; a single call last */
	};

	for (int s = 0; s < CONSOLE_SORT__MAX; s++) {
		GPtrArray *a = g_ptr_array_new();

		for (int i = 0; i < 4; i++)
			g_ptr_array_add(a, &rows[i]);
		console_sort_rows(a, s);
		for (int i = 0; i < 4; i++)
			g_assert_cmpuint(((struct console_row *)a->pdata[i])->key.pid, ==, want[s][i]);
		g_ptr_array_free(a, TRUE);
	}
}

/* A fake 20 x 60 terminal: in place, rows that fit, a status line saying how many more. */
static void test_terminal_view(void)
{
	struct rig r;
	char *text, **lines;
	int n;

	rig_init(&r, 0);
	for (uint32_t pid = 1; pid <= 30; pid++) {
		struct flow_key k = key(pid > 25, pid, 4, 6, "10.0.0.1", "10.0.0.2", 80);
		struct flow_totals t = totals(pid, 1 * S, 2 * S, "w");

		flowtable_update(r.ft, &k, &t);
	}
	console_set_terminal(r.c, true, 20, 60);
	console_print(r.c, r.ft, "eBPFlow");
	text = rig_take(&r);
	g_assert_true(g_str_has_prefix(text, "\033[H"));
	lines = g_strsplit(text, "\n", -1);
	n = (int)g_strv_length(lines);
	g_assert_cmpint(n, ==, 20); /* the screen, exactly: the last line has no newline */
	/* 11 lines for rows: the 5 inbound, 6 outbound of 25, most calls first */
	g_assert_true(g_str_has_prefix(lines[4], "25      "));
	g_assert_true(g_str_has_prefix(lines[9], "20      "));
	g_assert_true(g_str_has_prefix(lines[13], "30      "));
	g_assert_true(g_str_has_prefix(lines[17], "26      "));
	g_assert_true(g_str_has_prefix(lines[19], "19 more flows not shown (19 out, 0 in) | sort: COUNT"));
	for (int i = 0; i < n; i++)
		g_assert_cmpuint(strlen(lines[i]), <=, 60 + strlen("\033[K\033[J") + 3);
	g_strfreev(lines);
	g_free(text);

	/* a key changes the order; the view is drawn again from what it holds */
	g_assert_true(console_key(r.c, 'p'));
	g_assert_false(console_key(r.c, 'x'));
	console_redraw(r.c);
	text = rig_take(&r);
	lines = g_strsplit(text, "\n", -1);
	g_assert_true(g_str_has_prefix(lines[4], "1       "));
	g_assert_nonnull(strstr(lines[19], "sort: PID"));
	g_strfreev(lines);
	g_free(text);

	/* at exit, plain tables after it, on a line of their own, with every row */
	console_set_terminal(r.c, false, 0, 0);
	text = rig_take(&r);
	g_assert_cmpstr(text, ==, "\n"); /* below the view, which ends without one */
	g_free(text);
	console_print(r.c, r.ft, "at exit");
	text = rig_take(&r);
	g_assert_true(g_str_has_prefix(text, "at exit\n"));
	g_assert_null(strchr(text, '\033'));
	g_assert_cmpint(count_of(text, 1), ==, 1);
	g_assert_cmpint(count_of(text, 30), ==, 30);
	g_free(text);
	rig_free(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/console/tables", test_tables);
	g_test_add_func("/console/exited_flow_counted_once", test_exited_flow_counted_once);
	g_test_add_func("/console/reported_parts_and_live_rest", test_reported_parts_and_live_rest);
	g_test_add_func("/console/filtered_flows_not_shown", test_filtered_flows_not_shown);
	g_test_add_func("/console/escape", test_escape);
	g_test_add_func("/console/names_escaped_in_rows", test_names_escaped_in_rows);
	g_test_add_func("/console/ended_rows_bounded", test_ended_rows_bounded);
	g_test_add_func("/console/fit", test_fit);
	g_test_add_func("/console/sort", test_sort);
	g_test_add_func("/console/terminal_view", test_terminal_view);
	g_test_add_func("/console/peer_names", test_peer_names);
	return g_test_run();
}
