// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of who a record's process is, from a /proc made up in a
 * temporary folder (no kernel map): command lines in words (NULs as spaces,
 * zero length, cut), a name with ") " in it, an executable deleted since its
 * exec (" (deleted)", as the kernel says), a pid reused by another process
 * (its start time differs: no answer), a process read at start and gone
 * since, an exited process kept until its records went out, then forgotten.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proctable.h"

#define S 1000000000ull

static char *root;

static void put(uint32_t pid, const char *name, const char *data, size_t len)
{
	char *dir = g_strdup_printf("%s/%u", root, pid);
	char *path = g_strdup_printf("%s/%s", dir, name);

	g_mkdir_with_parents(dir, 0755);
	g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
	g_free(path);
	g_free(dir);
}

/* A process under root: stat with its parent and start (in ticks), exe, cmdline, comm. */
static void make_proc(uint32_t pid, const char *comm, uint32_t ppid, uint64_t ticks,
		      const char *exe, const char *args, size_t args_len)
{
	char *stat = g_strdup_printf("%u (%s) S %u 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 "
				     "%llu 1000 100 18446744073709551615",
				     pid, comm, ppid, (unsigned long long)ticks);
	char *c = g_strdup_printf("%s\n", comm);
	char *link = g_strdup_printf("%s/%u/exe", root, pid);

	put(pid, "stat", stat, strlen(stat));
	put(pid, "cmdline", args, args_len);
	put(pid, "comm", c, strlen(c));
	if (*exe) /* none: a kernel thread's */
		g_assert_cmpint(symlink(exe, link), ==, 0);
	g_free(link);
	g_free(c);
	g_free(stat);
}

static void remove_proc(uint32_t pid)
{
	char *cmd = g_strdup_printf("rm -rf %s/%u", root, pid);

	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
}

static uint64_t tick_ns(void)
{
	return S / (uint64_t)sysconf(_SC_CLK_TCK);
}

/* A record of pid, started start_ns after boot, with nothing known of its process. */
static struct flow_record record(uint32_t pid, uint64_t start_ns)
{
	struct flow_record r = { 0 };

	r.key.pid = pid;
	r.key.start_ns = start_ns;
	r.exe = r.cmdline = r.parent = "";
	return r;
}

static void test_args_text(void)
{
	char *s;

	s = proc_args_text("curl\0-s\0http://x y\0", 20);
	g_assert_cmpstr(s, ==, "curl -s http://x y");
	g_free(s);
	s = proc_args_text("", 0); /* a kernel thread, or nothing kept */
	g_assert_cmpstr(s, ==, "");
	g_free(s);
	s = proc_args_text("\0", 1); /* exec with an empty argv */
	g_assert_cmpstr(s, ==, "");
	g_free(s);
	s = proc_args_text("prog\0--to", 9); /* cut inside an argument */
	g_assert_cmpstr(s, ==, "prog --to");
	g_free(s);
}

static void test_procfs(void)
{
	struct proctable *pt = proctable_new(root, 6);
	uint64_t start = 12345 * tick_ns() + 3; /* /proc rounds down to ticks */
	struct flow_record r = record(100, start);

	make_proc(1, "init", 0, 1, "/sbin/init", "init\0", 5);
	make_proc(100, "we ird) x", 1, 12345, "/usr/bin/x (deleted)", "prog\0--secret\0", 14);
	make_proc(101, "kworker/0:1", 1, 50, "", "", 0);
	proctable_begin_pass(pt, 10 * S);
	proctable_fill(pt, &r);
	g_assert_cmpstr(r.exe, ==, "/usr/bin/x (deleted)");
	g_assert_cmpstr(r.cmdline, ==, "prog -");
	g_assert_true(r.cmdline_cut);
	g_assert_cmpuint(r.ppid, ==, 1);
	g_assert_cmpstr(r.parent, ==, "init");
	/* a zero-length command line, an executable nobody can read */
	r = record(101, 50 * tick_ns());
	proctable_fill(pt, &r);
	g_assert_cmpstr(r.cmdline, ==, "");
	g_assert_false(r.cmdline_cut);
	g_assert_cmpstr(r.exe, ==, "");
	g_assert_cmpstr(r.parent, ==, "init");
	/* pid 100 reused: the earlier process (another start) is not this one */
	r = record(100, start - 5 * S);
	proctable_fill(pt, &r);
	g_assert_cmpstr(r.exe, ==, "");
	g_assert_cmpuint(r.ppid, ==, 0);
	/* an overflow flow stands for many processes */
	r = record(100, start);
	r.key.flags = EBPFLOW_KEY_OVERFLOW;
	proctable_fill(pt, &r);
	g_assert_cmpstr(r.exe, ==, "");
	g_assert_cmpuint(proctable_stats(pt)->procfs, ==, 2);
	g_assert_cmpuint(proctable_stats(pt)->unknown, ==, 1);
	proctable_free(pt);
	remove_proc(1);
	remove_proc(100);
	remove_proc(101);
}

static void test_started_then_exited(void)
{
	struct proctable *pt = proctable_new(root, 256);
	GHashTable *exited = g_hash_table_new_full(proc_key_hash, proc_key_equal, g_free, NULL);
	struct proc_key k = { .pid = 201, .start_ns = 70 * tick_ns() };
	struct flow_record r;

	make_proc(1, "init", 0, 1, "/sbin/init", "init\0", 5);
	make_proc(200, "nginx", 1, 60, "/usr/sbin/nginx", "nginx: master\0", 14);
	make_proc(201, "nginx", 200, 70, "/usr/sbin/nginx", "nginx: worker\0", 14);
	g_assert_cmpuint(proctable_scan(pt), ==, 3);
	/* gone since the start: what /proc said then still names it */
	remove_proc(200);
	proctable_begin_pass(pt, 10 * S);
	r = record(200, 60 * tick_ns());
	proctable_fill(pt, &r);
	g_assert_cmpstr(r.cmdline, ==, "nginx: master");
	g_assert_cmpstr(r.parent, ==, "init");
	/* an exit handled: kept for its last records, forgotten after */
	remove_proc(201);
	g_hash_table_add(exited, g_memdup2(&k, sizeof(k)));
	proctable_begin_pass(pt, 11 * S);
	proctable_exited(pt, exited);
	r = record(201, k.start_ns);
	proctable_fill(pt, &r);
	g_assert_cmpstr(r.cmdline, ==, "nginx: worker");
	g_assert_cmpuint(r.ppid, ==, 200);
	g_assert_cmpstr(r.parent, ==, "nginx");
	proctable_begin_pass(pt, 12 * S);
	proctable_fill(pt, &(struct flow_record){ 0 }); /* pid 0: nothing, counted nowhere */
	proctable_begin_pass(pt, 20 * S);
	proctable_begin_pass(pt, 21 * S);
	r = record(201, k.start_ns);
	proctable_fill(pt, &r);
	g_assert_cmpstr(r.cmdline, ==, "");
	g_assert_cmpuint(proctable_stats(pt)->unknown, ==, 1);
	g_hash_table_destroy(exited);
	proctable_free(pt);
	remove_proc(1);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	root = g_dir_make_tmp("ebpflow-proc-XXXXXX", NULL);
	g_assert_nonnull(root);
	g_test_add_func("/proctable/args_text", test_args_text);
	g_test_add_func("/proctable/procfs", test_procfs);
	g_test_add_func("/proctable/started_then_exited", test_started_then_exited);
	ret = g_test_run();
	g_rmdir(root);
	g_free(root);
	return ret;
}
