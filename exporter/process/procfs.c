// SPDX-License-Identifier: GPL-2.0-only
/* Reading a process's identity from /proc (procfs.h says when and why). */
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void proc_ident_clear(struct proc_ident *id)
{
	g_free(id->exe);
	g_free(id->cmdline);
	g_free(id->parent);
	memset(id, 0, sizeof(*id));
}

char *proc_args_text(const char *buf, size_t n)
{
	char *s = g_malloc(n + 1);

	memcpy(s, buf, n);
	s[n] = '\0';
	while (n && s[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	s[n] = '\0';
	return s;
}

bool procfs_same_start(uint64_t start_ns, uint64_t start_ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0)
		hz = 100;
	return start_ns / (1000000000ull / (uint64_t)hz) == start_ticks;
}

/* Up to max bytes of a file; *len says how many. NULL when it cannot be read. */
static char *read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t got = 0;

	if (fd < 0)
		return NULL;
	buf = g_malloc(max + 1);
	while (got < max) {
		ssize_t r = read(fd, buf + got, max - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* The fields of /proc/PID/stat that matter here: the parent and the start. */
static bool parse_stat(const char *stat, uint32_t *ppid, uint64_t *ticks)
{
	/* the name may hold spaces and ')': the fields start after the last ')' */
	const char *p = strrchr(stat, ')');
	char *copy, *tok, *save = NULL;
	int field = 3;
	bool ok = false;

	if (!p)
		return false;
	copy = g_strdup(p + 1);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
		if (field == 4)
			*ppid = (uint32_t)strtoul(tok, NULL, 10);
		if (field == 22) {
			*ticks = strtoull(tok, NULL, 10);
			ok = true;
			break;
		}
	}
	g_free(copy);
	return ok;
}

static char *read_comm(const char *root, uint32_t pid)
{
	char path[PATH_MAX];
	size_t len;
	char *s;

	snprintf(path, sizeof(path), "%s/%u/comm", root, pid);
	s = read_file(path, 64, &len);
	if (!s)
		return g_strdup("");
	if (len && s[len - 1] == '\n')
		s[len - 1] = '\0';
	return s;
}

bool procfs_read(const char *root, uint32_t pid, size_t cmdline_bytes, uint64_t *start_ticks,
		 struct proc_ident *out)
{
	char path[PATH_MAX], exe[PATH_MAX];
	size_t len;
	char *stat, *args;
	ssize_t n;
	bool ok;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%u/stat", root, pid);
	stat = read_file(path, 1024, &len);
	if (!stat)
		return false;
	ok = parse_stat(stat, &out->ppid, start_ticks);
	g_free(stat);
	if (!ok)
		return false;
	snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	out->exe = g_strndup(exe, n > 0 ? (size_t)n : 0);
	out->cmdline = g_strdup("");
	if (cmdline_bytes) {
		snprintf(path, sizeof(path), "%s/%u/cmdline", root, pid);
		/* one byte more than kept tells a cut command line */
		args = read_file(path, cmdline_bytes + 1, &len);
		if (args) {
			out->cmdline_cut = len > cmdline_bytes;
			g_free(out->cmdline);
			out->cmdline = proc_args_text(args, len > cmdline_bytes ? cmdline_bytes : len);
			g_free(args);
		}
	}
	out->parent = out->ppid ? read_comm(root, out->ppid) : g_strdup("");
	return true;
}

unsigned int procfs_scan(const char *root, size_t cmdline_bytes, procfs_visit_fn fn, void *ctx)
{
	DIR *d = opendir(root);
	struct dirent *de;
	unsigned int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		struct proc_ident id;
		uint64_t ticks;

		if (*end || !pid || pid > UINT32_MAX)
			continue;
		/* gone in between: nothing to say of it */
		if (!procfs_read(root, (uint32_t)pid, cmdline_bytes, &ticks, &id))
			continue;
		fn((uint32_t)pid, ticks, &id, ctx);
		n++;
	}
	closedir(d);
	return n;
}
