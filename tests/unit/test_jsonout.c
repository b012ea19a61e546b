// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of -o json's writer: a file that fills up half-way through a
 * line (RLIMIT_FSIZE cuts a write short as a full disk does) keeps whole
 * lines only and goes on after them; a pipe whose reader is gone (EPIPE)
 * and a pipe that took part of a line: nothing more is written; every line
 * not written is counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonout.h"

#define LINE 100 /* bytes, its newline included */

static void add_records(struct json_out *j, int n, uint64_t calls)
{
	GString *l = g_string_new(NULL);

	for (int i = 0; i < n; i++) {
		g_string_truncate(l, 0);
		g_string_append_printf(l, "{\"n\":%d,\"pad\":\"", i);
		while (l->len < LINE - 3)
			g_string_append_c(l, 'x');
		g_string_append(l, "\"}");
		g_assert_cmpint(json_out_add(j, l, true, calls), ==, 0);
	}
	g_string_free(l, TRUE);
}

static void test_full_file_whole_lines(void)
{
	char *dir = g_dir_make_tmp("ebpflow-jsonout-XXXXXX", NULL);
	char *p = g_build_filename(dir, "out.json", NULL), *text = NULL;
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct json_out *j = json_out_new(fd);
	const struct json_out_stats *s = json_out_stats(j);
	struct rlimit old, lim;
	gchar **lines;
	gsize len;

	signal(SIGXFSZ, SIG_IGN);
	g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
	lim = old;
	lim.rlim_cur = 2 * LINE + LINE / 2; /* two lines and half of one */
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
	add_records(j, 5, 2);
	g_assert_cmpint(json_out_flush(j), ==, EFBIG);
	g_assert_cmpuint(s->records, ==, 2);
	g_assert_cmpuint(s->records_lost, ==, 3);
	g_assert_cmpuint(s->calls_lost, ==, 6);
	g_assert_cmpuint(s->lost_by_error, ==, 3);
	g_assert_false(s->gone);
	/* room again: the next line follows the last whole one, no hole before it */
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
	add_records(j, 1, 2);
	g_assert_cmpint(json_out_flush(j), ==, 0);
	g_assert_cmpuint(s->records, ==, 3);
	g_assert_true(g_file_get_contents(p, &text, &len, NULL));
	g_assert_cmpuint(len, ==, 3 * LINE);
	lines = g_strsplit(text, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 4);
	g_assert_true(g_str_has_prefix(lines[0], "{\"n\":0,"));
	g_assert_true(g_str_has_prefix(lines[1], "{\"n\":1,"));
	g_assert_true(g_str_has_prefix(lines[2], "{\"n\":0,"));
	g_assert_cmpstr(lines[3], ==, "");
	g_strfreev(lines);
	g_free(text);
	json_out_free(j);
	close(fd);
	g_unlink(p);
	g_rmdir(dir);
	g_free(p);
	g_free(dir);
}

static void test_reader_gone(void)
{
	struct json_out *j;
	const struct json_out_stats *s;
	GString *stats = g_string_new("{\"type\":\"stats\"}");
	int fds[2];

	signal(SIGPIPE, SIG_IGN); /* as main() does */
	g_assert_cmpint(pipe(fds), ==, 0);
	close(fds[0]);
	j = json_out_new(fds[1]);
	s = json_out_stats(j);
	add_records(j, 2, 3);
	g_assert_cmpint(json_out_flush(j), ==, EPIPE);
	g_assert_true(s->gone);
	g_assert_cmpint(json_out_add(j, stats, false, 0), ==, 0);
	g_assert_cmpint(json_out_flush(j), ==, EPIPE);
	g_assert_cmpuint(s->records, ==, 0);
	g_assert_cmpuint(s->records_lost, ==, 2);
	g_assert_cmpuint(s->calls_lost, ==, 6);
	g_assert_cmpuint(s->others_lost, ==, 1);
	g_assert_cmpuint(s->lost_by_error, ==, 0); /* a stop, not a failure */
	json_out_free(j);
	close(fds[1]);
	g_string_free(stats, TRUE);
}

/* A full non-blocking pipe took part of a line: it cannot be taken back, so nothing follows. */
static void test_cut_line_in_pipe_ends_output(void)
{
	struct json_out *j;
	const struct json_out_stats *s;
	char buf[65536];
	int fds[2], cap;
	ssize_t n;

	g_assert_cmpint(pipe2(fds, O_NONBLOCK), ==, 0);
	cap = fcntl(fds[1], F_SETPIPE_SZ, 4096);
	g_assert_cmpint(cap, ==, 4096);
	j = json_out_new(fds[1]);
	s = json_out_stats(j);
	add_records(j, 50, 1); /* 5000 bytes: 40 whole lines and a part fit */
	g_assert_cmpint(json_out_flush(j), ==, EAGAIN);
	g_assert_cmpuint(s->records, ==, 40);
	g_assert_cmpuint(s->records_lost, ==, 10);
	n = read(fds[0], buf, sizeof(buf));
	g_assert_cmpint(n, ==, 4096);
	/* room now, yet nothing more: it would continue the line cut short */
	add_records(j, 1, 1);
	g_assert_cmpint(json_out_flush(j), ==, EAGAIN);
	g_assert_cmpint(read(fds[0], buf, sizeof(buf)), ==, -1);
	g_assert_cmpint(errno, ==, EAGAIN);
	g_assert_cmpuint(s->records_lost, ==, 11);
	g_assert_cmpuint(s->lost_by_error, ==, 11);
	json_out_free(j);
	close(fds[0]);
	close(fds[1]);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/jsonout/full_file_whole_lines", test_full_file_whole_lines);
	g_test_add_func("/jsonout/reader_gone", test_reader_gone);
	g_test_add_func("/jsonout/cut_line_in_pipe_ends_output", test_cut_line_in_pipe_ends_output);
	return g_test_run();
}
