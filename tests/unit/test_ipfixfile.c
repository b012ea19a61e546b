// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the IPFIX file: modes (0600, 0640 with a group, an existing
 * 0644 file tightened), appended to and never truncated, symbolic links,
 * FIFOs, directories and files of another user refused, whole messages
 * only (RLIMIT_FSIZE cuts a write short as a full disk does: the part
 * written is cut away, and writing resumes when the limit is raised), no
 * data before templates, and rotation by size and by the clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipfixfile.h"

static char *dir;

/* An IPFIX message of len bytes: a template set (id 2) or a data set (id 256). */
static uint8_t *message(size_t len, bool templates, uint8_t fill)
{
	uint8_t *m = g_malloc(len);

	memset(m, fill, len);
	m[0] = 0;
	m[1] = 10;
	m[2] = (uint8_t)(len >> 8);
	m[3] = (uint8_t)len;
	m[16] = templates ? 0 : 1;
	m[17] = templates ? 2 : 0;
	m[18] = (uint8_t)((len - 16) >> 8);
	m[19] = (uint8_t)(len - 16);
	return m;
}

static char *path_of(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

/* Remove the files whose names start with prefix; how many. */
static int remove_all(const char *prefix)
{
	GDir *listing = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	while ((name = g_dir_read_name(listing))) {
		char *full = path_of(name);

		if (g_str_has_prefix(name, prefix) && g_unlink(full) == 0)
			n++;
		g_free(full);
	}
	g_dir_close(listing);
	return n;
}

static struct ipfix_file *open_ok(const char *path, const char *group)
{
	struct ipfix_file_config cfg = { .path = path, .group = group };
	GError *err = NULL;
	struct ipfix_file *f = ipfix_file_open(&cfg, &err);

	g_assert_no_error(err);
	g_assert_nonnull(f);
	return f;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	g_assert_cmpint(stat(path, &st), ==, 0);
	return st.st_mode & 07777;
}

static off_t size_of(const char *path)
{
	struct stat st;

	g_assert_cmpint(stat(path, &st), ==, 0);
	return st.st_size;
}

static void test_templates_in_message(void)
{
	uint8_t *t = message(40, true, 0), *d = message(40, false, 0);

	g_assert_true(ipfix_msg_has_templates(t, 40));
	g_assert_false(ipfix_msg_has_templates(d, 40));
	g_assert_false(ipfix_msg_has_templates(d, 16)); /* a header alone */
	g_free(t);
	g_free(d);
}

static void test_modes(void)
{
	char *p = path_of("modes.ipfix"), *gid = g_strdup_printf("%u", (unsigned int)getgid());
	struct ipfix_file *f;

	umask(022); /* what left the old files 0644 */
	f = open_ok(p, NULL);
	g_assert_cmpuint(mode_of(p), ==, 0600);
	ipfix_file_close(f);
	/* a group of ours: 0640 and that group */
	f = open_ok(p, gid);
	g_assert_cmpuint(mode_of(p), ==, 0640);
	ipfix_file_close(f);
	/* a file of an older eBPFlow, readable by everyone: tightened */
	g_assert_cmpint(chmod(p, 0644), ==, 0);
	f = open_ok(p, NULL);
	g_assert_cmpuint(mode_of(p), ==, 0600);
	ipfix_file_close(f);
	g_unlink(p);
	g_free(gid);
	g_free(p);
}

static void test_appends(void)
{
	char *p = path_of("append.ipfix");
	uint8_t *t = message(100, true, 1), *d = message(200, false, 2);
	struct ipfix_file *f = open_ok(p, NULL);

	g_assert_cmpint(ipfix_file_write(f, t, 100), ==, 0);
	g_assert_cmpint(ipfix_file_write(f, d, 200), ==, 0);
	ipfix_file_close(f);
	/* a restart: a new stream after the old one */
	f = open_ok(p, NULL);
	g_assert_cmpuint(ipfix_file_size(f), ==, 300);
	/* data before this stream's templates could not be decoded: refused */
	g_assert_cmpint(ipfix_file_write(f, d, 200), ==, ENODATA);
	g_assert_cmpint(ipfix_file_write(f, t, 100), ==, 0);
	g_assert_cmpint(ipfix_file_write(f, d, 200), ==, 0);
	ipfix_file_close(f);
	g_assert_cmpint(size_of(p), ==, 600);
	g_unlink(p);
	g_free(t);
	g_free(d);
	g_free(p);
}

static void refused(const char *path, const char *want)
{
	struct ipfix_file_config cfg = { .path = path };
	GError *err = NULL;

	g_assert_null(ipfix_file_open(&cfg, &err));
	g_assert_nonnull(err);
	if (!strstr(err->message, want))
		g_error("'%s' does not say '%s'", err->message, want);
	g_clear_error(&err);
}

static void test_refused(void)
{
	char *target = path_of("target.ipfix"), *link = path_of("link.ipfix");
	char *fifo = path_of("fifo.ipfix"), *want;
	struct ipfix_file_config cfg = { .path = link };
	GError *err = NULL;

	g_assert_true(g_file_set_contents(target, "", 0, NULL));
	g_assert_cmpint(symlink(target, link), ==, 0);
	want = g_strdup_printf("IPFIX file '%s' is a symbolic link: refused", link);
	refused(link, want);
	/* --check-config says the same, before anything is opened */
	g_assert_false(ipfix_file_check(&cfg, &err));
	g_assert_nonnull(strstr(err->message, want));
	g_clear_error(&err);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	refused(fifo, "not a regular file");
	refused(dir, "Is a directory");
	cfg.path = target;
	cfg.group = "no-such-group-of-ebpflow";
	g_assert_false(ipfix_file_check(&cfg, &err));
	g_assert_cmpstr(err->message, ==,
			"IPFIX file group 'no-such-group-of-ebpflow': no such group");
	g_clear_error(&err);
	g_unlink(link);
	g_unlink(target);
	g_unlink(fifo);
	g_free(want);
	g_free(target);
	g_free(link);
	g_free(fifo);
}

#define OTHER_UID 65534 /* nobody: a file made beforehand by another user */

/* A file at p that another user made (root only: chown). */
static void foreign_file(const char *p)
{
	g_assert_true(g_file_set_contents(p, "theirs", 6, NULL));
	g_assert_cmpint(chown(p, OTHER_UID, OTHER_UID), ==, 0);
	g_assert_cmpint(chmod(p, 0666), ==, 0);
}

static void assert_untouched(const char *p)
{
	struct stat st;

	g_assert_cmpint(stat(p, &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, OTHER_UID);
	g_assert_cmpuint(st.st_mode & 07777, ==, 0666);
	g_assert_cmpint(st.st_size, ==, 6);
}

/*
 * A file another user made at PATH (a directory others can write into) is
 * refused, at the check, at open and when a rotation meets it: it would
 * stay theirs, and they could read every flow through it.
 */
static void test_other_owner_refused(void)
{
	char *p = path_of("theirs.ipfix"), *want;
	struct ipfix_file_config cfg = { .path = p };
	uint8_t *t = message(100, true, 1);
	struct ipfix_file *f;
	struct passwd *pw;
	GError *err = NULL;

	if (geteuid() != 0) {
		g_test_skip("needs root to make a file of another user");
		g_free(p);
		g_free(t);
		return;
	}
	foreign_file(p);
	pw = getpwuid(OTHER_UID);
	want = pw ? g_strdup_printf("IPFIX file '%s' belongs to user %s (uid %u), not to eBPFlow's "
				    "user root (uid 0): refused", p, pw->pw_name, OTHER_UID)
		  : g_strdup_printf("IPFIX file '%s' belongs to uid %u, not to eBPFlow's user root "
				    "(uid 0): refused", p, OTHER_UID);
	g_assert_false(ipfix_file_check(&cfg, &err));
	if (!strstr(err->message, want))
		g_error("'%s' does not say '%s'", err->message, want);
	g_clear_error(&err);
	refused(p, want);
	assert_untouched(p);
	/* the rotation's new file: someone put theirs at PATH meanwhile */
	g_unlink(p);
	f = open_ok(p, NULL);
	g_assert_cmpint(ipfix_file_write(f, t, 100), ==, 0);
	g_unlink(p);
	foreign_file(p);
	g_assert_false(ipfix_file_rotate(f, time(NULL), &err));
	if (!strstr(err->message, want))
		g_error("'%s' does not say '%s'", err->message, want);
	g_clear_error(&err);
	assert_untouched(p);
	g_assert_cmpint(ipfix_file_write(f, t, 100), !=, 0);
	ipfix_file_close(f);
	assert_untouched(p);
	g_unlink(p);
	g_free(want);
	g_free(t);
	g_free(p);
}

/*
 * RLIMIT_FSIZE stops a write at the limit with a short count, then EFBIG,
 * as a full disk does with ENOSPC: the file keeps whole messages only.
 */
static void test_whole_messages_only(void)
{
	char *p = path_of("full.ipfix");
	uint8_t *t = message(100, true, 1), *d = message(1000, false, 2);
	struct ipfix_file *f = open_ok(p, NULL);
	struct rlimit old, lim;
	int written = 0, e;

	signal(SIGXFSZ, SIG_IGN);
	g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
	lim = old;
	lim.rlim_cur = 100 + 3 * 1000 + 500; /* three messages and half of one */
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
	g_assert_cmpint(ipfix_file_write(f, t, 100), ==, 0);
	while ((e = ipfix_file_write(f, d, 1000)) == 0)
		written++;
	g_assert_cmpint(e, ==, EFBIG);
	g_assert_cmpint(written, ==, 3);
	g_assert_cmpint(size_of(p), ==, 100 + 3 * 1000);
	/* still full: nothing more, nothing partial */
	g_assert_cmpint(ipfix_file_write(f, d, 1000), ==, EFBIG);
	g_assert_cmpint(size_of(p), ==, 100 + 3 * 1000);
	/* room again: writing resumes after the last whole message */
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
	g_assert_cmpint(ipfix_file_write(f, d, 1000), ==, 0);
	g_assert_cmpint(size_of(p), ==, 100 + 4 * 1000);
	ipfix_file_close(f);
	g_unlink(p);
	g_free(t);
	g_free(d);
	g_free(p);
}

static void test_rotation_by_size(void)
{
	char *p = path_of("rot.ipfix"), *base;
	struct ipfix_file_config cfg = { .path = p, .rotate_bytes = 2000 };
	uint8_t *t = message(100, true, 1), *d = message(1000, false, 2);
	struct ipfix_file *f = ipfix_file_open(&cfg, NULL);
	time_t now = 1795658400; /* 2026-11-26 02:00:00 UTC */
	GError *err = NULL;

	g_assert_nonnull(f);
	ipfix_file_write(f, t, 100);
	ipfix_file_write(f, d, 1000);
	g_assert_false(ipfix_file_rotation_due(f, now));
	ipfix_file_write(f, d, 1000);
	g_assert_true(ipfix_file_rotation_due(f, now));
	g_assert_true(ipfix_file_rotate(f, now, &err));
	g_assert_no_error(err);
	/* a new, empty file: data waits for its templates */
	g_assert_cmpint(size_of(p), ==, 0);
	g_assert_cmpint(ipfix_file_write(f, d, 1000), ==, ENODATA);
	g_assert_cmpint(ipfix_file_write(f, t, 100), ==, 0);
	g_assert_false(ipfix_file_rotation_due(f, now));
	/* a second rotation in the same second: a name of its own */
	g_assert_true(ipfix_file_rotate(f, now, &err));
	base = g_strdup_printf("%s.20261126T020000Z", p);
	g_assert_cmpint(size_of(base), ==, 2100);
	g_free(base);
	base = g_strdup_printf("%s.20261126T020000Z.1", p);
	g_assert_cmpint(size_of(base), ==, 100);
	g_unlink(base);
	g_free(base);
	ipfix_file_close(f);
	g_assert_cmpint(remove_all("rot.ipfix"), ==, 2); /* the file and the one rotated */
	g_free(t);
	g_free(d);
	g_free(p);
}

static void test_rotation_by_time(void)
{
	char *p = path_of("clock.ipfix");
	struct ipfix_file_config cfg = { .path = p, .rotate_s = 300 };
	struct ipfix_file *f = ipfix_file_open(&cfg, NULL);
	time_t now = time(NULL), boundary = (now / 300 + 1) * 300;

	g_assert_nonnull(f);
	/* on the clock, as nfcapd -t: at the next multiple of 300 s, not 300 s after start */
	g_assert_false(ipfix_file_rotation_due(f, boundary - 1));
	g_assert_true(ipfix_file_rotation_due(f, boundary));
	g_assert_true(ipfix_file_rotate(f, boundary, NULL));
	g_assert_false(ipfix_file_rotation_due(f, boundary + 299));
	g_assert_true(ipfix_file_rotation_due(f, boundary + 300));
	ipfix_file_close(f);
	remove_all("clock.ipfix");
	g_free(p);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	dir = g_dir_make_tmp("ebpflow-file-XXXXXX", NULL);
	g_assert_nonnull(dir);
	g_test_add_func("/ipfixfile/templates_in_message", test_templates_in_message);
	g_test_add_func("/ipfixfile/modes", test_modes);
	g_test_add_func("/ipfixfile/appends", test_appends);
	g_test_add_func("/ipfixfile/refused", test_refused);
	g_test_add_func("/ipfixfile/other_owner_refused", test_other_owner_refused);
	g_test_add_func("/ipfixfile/whole_messages_only", test_whole_messages_only);
	g_test_add_func("/ipfixfile/rotation_by_size", test_rotation_by_size);
	g_test_add_func("/ipfixfile/rotation_by_time", test_rotation_by_time);
	rc = g_test_run();
	g_rmdir(dir);
	g_free(dir);
	return rc;
}
