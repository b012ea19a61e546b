// SPDX-License-Identifier: GPL-2.0-only
/*
 * The JSON lines' writer (jsonout.h). Lines are queued with where each ends
 * and what it carries, so that whatever a write leaves undone is counted
 * line by line: a full disk, an I/O error, a reader that went away.
 */
#include "jsonout.h"

#include <errno.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

/* how long a non-blocking stdout that is full may hold a flush up, per wait */
#define JSON_OUT_WAIT_MS 1000

struct line {
	size_t end; /* in buf, past its newline */
	uint64_t calls;
	bool record;
};

struct json_out {
	int fd;
	GString *buf;
	GArray *lines; /* struct line */
	int stop_err;  /* nothing more is written: EPIPE, or a line that stayed cut */
	struct json_out_stats stats;
};

struct json_out *json_out_new(int fd)
{
	struct json_out *j = g_new0(struct json_out, 1);

	j->fd = fd;
	j->buf = g_string_sized_new(JSON_OUT_BATCH + 4096);
	j->lines = g_array_new(FALSE, FALSE, sizeof(struct line));
	return j;
}

void json_out_free(struct json_out *j)
{
	if (!j)
		return;
	g_string_free(j->buf, TRUE);
	g_array_free(j->lines, TRUE);
	g_free(j);
}

int json_out_add(struct json_out *j, const GString *line, bool record, uint64_t calls)
{
	struct line l = { .calls = calls, .record = record };

	g_string_append_len(j->buf, line->str, (gssize)line->len);
	g_string_append_c(j->buf, '\n');
	l.end = j->buf->len;
	g_array_append_val(j->lines, l);
	return j->buf->len >= JSON_OUT_BATCH ? json_out_flush(j) : 0;
}

/* Write buf from *done on; 0, or the errno that stopped it (*done: bytes written). */
static int write_all(struct json_out *j, size_t *done)
{
	while (*done < j->buf->len) {
		ssize_t n = write(j->fd, j->buf->str + *done, j->buf->len - *done);

		if (n > 0) {
			*done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* a stdout left non-blocking by whoever started us */
			struct pollfd p = { .fd = j->fd, .events = POLLOUT };

			if (poll(&p, 1, JSON_OUT_WAIT_MS) == 1)
				continue;
			return EAGAIN;
		}
		return n < 0 ? errno : ENOSPC;
	}
	return 0;
}

/*
 * A line cut short by a full disk is cut away again, so the next line
 * starts where it did; where that cannot be done (not a regular file)
 * nothing more is written: a reader would take the two as one line.
 */
static bool cut_back(struct json_out *j, size_t partial)
{
	struct stat st;
	off_t at;

	if (fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	at = lseek(j->fd, 0, SEEK_CUR);
	if (at < (off_t)partial)
		return false;
	at -= (off_t)partial;
	/* and the offset back too: a write past the end would leave a hole of zeros */
	return ftruncate(j->fd, at) == 0 && lseek(j->fd, at, SEEK_SET) == at;
}

int json_out_flush(struct json_out *j)
{
	size_t done = 0, whole = 0;
	int e;

	if (!j->lines->len)
		return j->stop_err;
	e = j->stop_err ? j->stop_err : write_all(j, &done);
	for (guint i = 0; i < j->lines->len; i++) {
		const struct line *l = &g_array_index(j->lines, struct line, i);

		if (l->end <= done) {
			whole = l->end;
			j->stats.records += l->record;
			continue;
		}
		if (l->record) {
			j->stats.records_lost++;
			j->stats.calls_lost += l->calls;
		} else {
			j->stats.others_lost++;
		}
		if (e != EPIPE)
			j->stats.lost_by_error++;
	}
	if (e == EPIPE) {
		j->stats.gone = true;
		j->stop_err = EPIPE;
	} else if (e && done > whole && !cut_back(j, done - whole)) {
		j->stop_err = e;
	}
	g_string_truncate(j->buf, 0);
	g_array_set_size(j->lines, 0);
	return e;
}

const struct json_out_stats *json_out_stats(const struct json_out *j)
{
	return &j->stats;
}
