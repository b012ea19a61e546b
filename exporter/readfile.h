/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A whole file read into memory, bounded in size: for the files eBPFlow
 * reads whole, its configuration (conffile.c) and the runtimes' container
 * specs (containers/oci.c). Each caller words its own errors.
 */
#ifndef EBPFLOW_READFILE_H
#define EBPFLOW_READFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Only a regular file, not through a symbolic link, never waiting on a FIFO. */
#define READ_REGULAR_ONLY 1u

enum read_fail {
	READ_FAIL_ERRNO = 1, /* open, fstat or read failed: errno in err */
	READ_FAIL_TOO_BIG,   /* more than max bytes: its size, or what was read, in bytes */
	READ_FAIL_NOT_FILE,  /* not a regular file (READ_REGULAR_ONLY) */
};

struct read_failure {
	enum read_fail kind;
	int err;
	size_t bytes;
};

/*
 * The file at path into *data (NUL-terminated, g_free()) and *len, or false
 * with why set. A regular file over max bytes is refused before it is read;
 * the bound holds while reading too (a file that grows, a pipe).
 */
bool read_whole(const char *path, size_t max, unsigned int flags, char **data, size_t *len,
		struct read_failure *why);

#endif
