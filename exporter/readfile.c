// SPDX-License-Identifier: GPL-2.0-only
/* A whole file, bounded in size (readfile.h). */
#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sys/stat.h>
#include <unistd.h>

static bool failed(struct read_failure *why, enum read_fail kind, int err, size_t bytes)
{
	why->kind = kind;
	why->err = err;
	why->bytes = bytes;
	return false;
}

bool read_whole(const char *path, size_t max, unsigned int flags, char **data, size_t *len,
		struct read_failure *why)
{
	bool regular_only = flags & READ_REGULAR_ONLY;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
				    (regular_only ? O_NOFOLLOW | O_NONBLOCK : 0));
	GString *buf;
	struct stat st;
	char chunk[65536];
	ssize_t n;

	if (fd < 0)
		return failed(why, READ_FAIL_ERRNO, errno, 0);
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return failed(why, READ_FAIL_ERRNO, e, 0);
	}
	if (regular_only && !S_ISREG(st.st_mode)) {
		close(fd);
		return failed(why, READ_FAIL_NOT_FILE, 0, 0);
	}
	if (S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		close(fd);
		return failed(why, READ_FAIL_TOO_BIG, 0, (size_t)st.st_size);
	}
	buf = g_string_sized_new(S_ISREG(st.st_mode) ? (size_t)st.st_size : 0);
	/* the size is read, not trusted: the file may grow while it is read */
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			g_string_free(buf, TRUE);
			return failed(why, READ_FAIL_ERRNO, e, 0);
		}
		g_string_append_len(buf, chunk, n);
		if (buf->len > max) {
			size_t bytes = buf->len;

			close(fd);
			g_string_free(buf, TRUE);
			return failed(why, READ_FAIL_TOO_BIG, 0, bytes);
		}
	}
	close(fd);
	*len = buf->len;
	*data = g_string_free(buf, FALSE);
	return true;
}
