// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IPFIX file's safety lies in a few system calls: O_NOFOLLOW|O_APPEND
 * at open (a symbolic link planted at PATH is refused, and a restart never
 * truncates), fchown/fchmod on the descriptor (no window in which the file
 * is readable by others), write() of each whole message and ftruncate()
 * back to the last whole message when a full disk cuts one short, and
 * renameat2(RENAME_NOREPLACE) to rotate (a rotated file is never
 * overwritten). No stdio: its buffer would split messages across writes.
 */
#include "ipfixfile.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define IPFIX_FILE_ERROR g_quark_from_static_string("ebpflow-ipfix-file")
/* a rotation that failed (or a new file that could not be made) is tried again after */
#define RETRY_AFTER_S 5

struct ipfix_file {
	char *path;
	char *group;
	gid_t gid; /* (gid_t)-1: no group */
	uint32_t rotate_s;
	uint64_t rotate_bytes;
	int fd;                /* -1: no file (a rotation could not make the new one) */
	dev_t dev;             /* of the file open, to rename only what we write */
	ino_t ino;
	uint64_t size;         /* bytes in the file: all of them whole messages */
	bool has_templates;    /* since it was opened: data before them cannot be decoded */
	time_t next_rotation;  /* 0: none by time */
	time_t retry_at;       /* after a failed rotation: not before */
	int last_err;          /* of the last failed write */
	bool group_warned;
};

bool ipfix_msg_has_templates(const uint8_t *msg, size_t len)
{
	/* after the 16-byte message header, sets: id (2 bytes), length (2 bytes) */
	for (size_t off = 16; off + 4 <= len;) {
		unsigned int id = (unsigned int)msg[off] << 8 | msg[off + 1];
		size_t set_len = (size_t)msg[off + 2] << 8 | msg[off + 3];

		if (id == 2 || id == 3)
			return true;
		if (set_len < 4)
			break;
		off += set_len;
	}
	return false;
}

/* A group name, or a gid in decimal. */
static gboolean resolve_group(const char *group, gid_t *gid, GError **err)
{
	struct group gr, *res = NULL;
	char buf[4096], *end;
	unsigned long n;

	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) == 0 && res) {
		*gid = res->gr_gid;
		return TRUE;
	}
	errno = 0;
	n = strtoul(group, &end, 10);
	if (*group && !*end && !errno && n < (gid_t)-1) {
		*gid = (gid_t)n;
		return TRUE;
	}
	g_set_error(err, IPFIX_FILE_ERROR, 1, "IPFIX file group '%s': no such group", group);
	return FALSE;
}

/* "user NAME (uid N)", or "uid N" when no user has it. */
static char *describe_uid(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		return g_strdup_printf("user %s (uid %u)", res->pw_name, (unsigned int)uid);
	return g_strdup_printf("uid %u", (unsigned int)uid);
}

/*
 * A file another user made at PATH beforehand (in a directory others can
 * write into, /tmp say) is refused, not taken over: fchown and fchmod would
 * not close a descriptor they opened before, and through it they would read
 * every process's flows. Not removed either: it is theirs.
 */
static gboolean owned_by(const char *path, uid_t owner, uid_t uid, GError **err)
{
	char *o, *u;

	if (owner == uid)
		return TRUE;
	o = describe_uid(owner);
	u = describe_uid(uid);
	g_set_error(err, IPFIX_FILE_ERROR, 1,
		    "IPFIX file '%s' belongs to %s, not to eBPFlow's %s: refused (whoever owns it "
		    "could read every flow written to it; remove it, or name another file)",
		    path, o, u);
	g_free(o);
	g_free(u);
	return FALSE;
}

/* The uid eBPFlow runs as when it opens the file: [service] user's, or its own. */
static gboolean writer_uid(const char *user, uid_t *uid, GError **err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (!user) {
		*uid = geteuid();
		return TRUE;
	}
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		g_set_error(err, IPFIX_FILE_ERROR, 1, "[service] user: no user '%s'", user);
		return FALSE;
	}
	*uid = res->pw_uid;
	return TRUE;
}

gboolean ipfix_file_check(const struct ipfix_file_config *cfg, GError **err)
{
	char *dir = g_path_get_dirname(cfg->path);
	struct stat st;
	gid_t gid;
	uid_t uid;
	int e;

	if ((cfg->group && !resolve_group(cfg->group, &gid, err)) ||
	    !writer_uid(cfg->user, &uid, err)) {
		g_free(dir);
		return FALSE;
	}
	if (lstat(cfg->path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			g_set_error(err, IPFIX_FILE_ERROR, 1,
				    "IPFIX file '%s' is a symbolic link: refused (name the file itself)",
				    cfg->path);
			g_free(dir);
			return FALSE;
		}
		if (S_ISREG(st.st_mode) && !owned_by(cfg->path, st.st_uid, uid, err)) {
			g_free(dir);
			return FALSE;
		}
		e = S_ISDIR(st.st_mode) ? EISDIR : access(cfg->path, W_OK) ? errno : 0;
	} else if (errno == ENOENT) {
		e = access(dir, W_OK) ? errno : 0;
	} else {
		e = errno;
	}
	g_free(dir);
	if (e)
		g_set_error(err, IPFIX_FILE_ERROR, 1, "IPFIX file '%s': %s", cfg->path, g_strerror(e));
	return !e;
}

/*
 * The group and the mode, on the descriptor. Giving a file to a group takes
 * CAP_CHOWN (held at start, not after) unless it has that group already,
 * as files made in a setgid directory of the group do: without the group
 * the file stays 0600, never more open than asked.
 */
static void set_owner_and_mode(struct ipfix_file *f, const struct stat *st)
{
	mode_t want = 0600;

	if (f->gid != (gid_t)-1) {
		if (st->st_gid == f->gid || fchown(f->fd, (uid_t)-1, f->gid) == 0) {
			want = 0640;
		} else if (!f->group_warned) {
			pr_warn("IPFIX file %s: cannot give it to group %s (%s): it stays 0600; files "
				"made after start get the group from a setgid directory of that group\n",
				f->path, f->group, g_strerror(errno));
			f->group_warned = true;
		}
	}
	if ((st->st_mode & 07777) != want && fchmod(f->fd, want) != 0)
		pr_warn("IPFIX file %s: cannot make it %04o: %s\n", f->path, (unsigned int)want,
			g_strerror(errno));
}

static time_t next_boundary(uint32_t every, time_t now)
{
	/* on the clock, as nfcapd -t: every 300 s is at :00, :05, :10 ... */
	return every ? (now / every + 1) * every : 0;
}

static gboolean open_path(struct ipfix_file *f, time_t now, GError **err)
{
	/* O_NONBLOCK: a FIFO put at PATH must not hold the open; refused below */
	int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		      0600);
	const char *why = NULL;
	struct stat st;

	if (fd < 0) {
		f->last_err = errno;
		if (errno == ELOOP)
			g_set_error(err, IPFIX_FILE_ERROR, 1,
				    "IPFIX file '%s' is a symbolic link: refused (name the file itself)",
				    f->path);
		else if (errno == ENXIO) /* a FIFO that nobody reads */
			g_set_error(err, IPFIX_FILE_ERROR, 1, "IPFIX file '%s': not a regular file",
				    f->path);
		else
			g_set_error(err, IPFIX_FILE_ERROR, 1, "IPFIX file '%s': %s", f->path,
				    g_strerror(errno));
		return FALSE;
	}
	if (fstat(fd, &st) != 0)
		why = g_strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	if (why)
		g_set_error(err, IPFIX_FILE_ERROR, 1, "IPFIX file '%s': %s", f->path, why);
	if (why || !owned_by(f->path, st.st_uid, geteuid(), err)) {
		f->last_err = why ? EINVAL : EPERM;
		close(fd);
		return FALSE;
	}
	fcntl(fd, F_SETFL, O_WRONLY | O_APPEND);
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = (uint64_t)st.st_size;
	f->has_templates = false;
	f->next_rotation = next_boundary(f->rotate_s, now);
	set_owner_and_mode(f, &st);
	return TRUE;
}

struct ipfix_file *ipfix_file_open(const struct ipfix_file_config *cfg, GError **err)
{
	struct ipfix_file *f = g_new0(struct ipfix_file, 1);

	f->path = g_strdup(cfg->path);
	f->group = g_strdup(cfg->group);
	f->gid = (gid_t)-1;
	f->rotate_s = cfg->rotate_s;
	f->rotate_bytes = cfg->rotate_bytes;
	f->fd = -1;
	if ((cfg->group && !resolve_group(cfg->group, &f->gid, err)) ||
	    !open_path(f, time(NULL), err)) {
		ipfix_file_close(f);
		return NULL;
	}
	return f;
}

void ipfix_file_close(struct ipfix_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	g_free(f->path);
	g_free(f->group);
	g_free(f);
}

int ipfix_file_write(struct ipfix_file *f, const uint8_t *msg, size_t len)
{
	bool templates = ipfix_msg_has_templates(msg, len);
	size_t done = 0;

	if (f->fd < 0)
		return f->last_err ? f->last_err : EBADF;
	if (!templates && !f->has_templates)
		return f->last_err ? f->last_err : ENODATA;
	while (done < len) {
		ssize_t n = write(f->fd, msg + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;

			/* no part of a message stays: what follows must start on a message */
			if (done && ftruncate(f->fd, (off_t)f->size) != 0) {
				pr_err("IPFIX file %s: cannot cut a partial message away (%s); closed\n",
				       f->path, g_strerror(errno));
				close(f->fd);
				f->fd = -1;
			}
			f->last_err = e;
			return e;
		}
		done += (size_t)n;
	}
	f->size += len;
	f->has_templates |= templates;
	return 0;
}

bool ipfix_file_rotation_due(const struct ipfix_file *f, time_t now)
{
	if (now < f->retry_at)
		return false;
	if (f->fd < 0)
		return true;
	return (f->rotate_bytes && f->size >= f->rotate_bytes) ||
	       (f->next_rotation && now >= f->next_rotation);
}

/* PATH.YYYYMMDDTHHMMSSZ, or with .1, .2 ... when that is taken; never over another file. */
static gboolean rename_away(struct ipfix_file *f, time_t now, GError **err)
{
	char stamp[32];
	struct tm tm;
	int e = 0;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned int i = 0; i < 1000; i++) {
		char *to = i ? g_strdup_printf("%s.%s.%u", f->path, stamp, i)
			     : g_strdup_printf("%s.%s", f->path, stamp);

		e = renameat2(AT_FDCWD, f->path, AT_FDCWD, to, RENAME_NOREPLACE) ? errno : 0;
		if (!e)
			pr_info("IPFIX file %s: rotated to %s\n", f->path, to);
		g_free(to);
		if (e != EEXIST)
			break;
	}
	if (e)
		g_set_error(err, IPFIX_FILE_ERROR, 1, "IPFIX file '%s': cannot rotate it: %s",
			    f->path, g_strerror(e));
	return !e;
}

gboolean ipfix_file_rotate(struct ipfix_file *f, time_t now, GError **err)
{
	/* by the clock: named by the boundary passed, as nfcapd names its files */
	time_t stamp = f->next_rotation && now >= f->next_rotation ? now / f->rotate_s * f->rotate_s
								   : now;
	struct stat st;

	f->retry_at = now + RETRY_AFTER_S; /* if this fails: not at every record */
	if (f->fd >= 0) {
		/* rename PATH only while it is the file we write (not one put in its place) */
		if (lstat(f->path, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino &&
		    !rename_away(f, stamp, err))
			return FALSE;
		close(f->fd);
		f->fd = -1;
	}
	if (!open_path(f, now, err))
		return FALSE;
	f->retry_at = 0;
	return TRUE;
}

const char *ipfix_file_path(const struct ipfix_file *f)
{
	return f->path;
}

uint64_t ipfix_file_size(const struct ipfix_file *f)
{
	return f->size;
}
