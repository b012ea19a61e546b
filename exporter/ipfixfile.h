/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IPFIX file: opened without following a symbolic link, 0600 (0640 with
 * a group), appended to (a restart or reload adds a new stream after what
 * is there), written a whole message at a time or not at all, and rotated
 * by time or size. A file is a sequence of IPFIX messages (RFC 5655), so
 * every message in it decodes, whatever failed around it.
 */
#ifndef EBPFLOW_IPFIXFILE_H
#define EBPFLOW_IPFIXFILE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* the smallest size rotation: room for the templates (about 1.5 KiB) many times over */
#define IPFIX_FILE_ROTATE_MIN_KIB 64

struct ipfix_file_config {
	const char *path;
	const char *group;      /* NULL: mode 0600; else 0640 and this group (name or gid) */
	const char *user;       /* eBPFlow's user ([service] user) for the check; NULL: as now */
	uint32_t rotate_s;      /* rotate at every multiple of this on the clock; 0: never */
	uint64_t rotate_bytes;  /* rotate once the file holds this much; 0: never */
};

struct ipfix_file;

/*
 * What opening would meet, creating nothing: the group exists, the path is
 * no symbolic link, no directory, no file of another user than cfg->user,
 * and it or its directory is writable.
 */
gboolean ipfix_file_check(const struct ipfix_file_config *cfg, GError **err);
/*
 * Open (create, or append to) cfg->path; cfg is copied. A file that is not
 * the effective uid's is refused (a rotation's new file too).
 */
struct ipfix_file *ipfix_file_open(const struct ipfix_file_config *cfg, GError **err);
void ipfix_file_close(struct ipfix_file *f);
/*
 * Append one message whole, or leave the file as it was (a message cut
 * short, by a full disk, is truncated away). A data message before the
 * file holds templates (they were lost) is refused too: it could not be
 * decoded. Returns 0 or the errno of the failure.
 */
int ipfix_file_write(struct ipfix_file *f, const uint8_t *msg, size_t len);
/* Should the file be rotated now (its size, the clock, or a new file still to make)? */
bool ipfix_file_rotation_due(const struct ipfix_file *f, time_t now);
/*
 * Rename the file to PATH.YYYYMMDDTHHMMSSZ (UTC: the boundary passed for a
 * rotation by time, else the time of the rotation; .1, .2 ... when taken)
 * and start a new, empty PATH, which then needs the templates. On error the
 * file stays or, when the new one cannot be made, writes fail until a later
 * call makes it.
 */
gboolean ipfix_file_rotate(struct ipfix_file *f, time_t now, GError **err);
const char *ipfix_file_path(const struct ipfix_file *f);
/* Bytes in the current file. */
uint64_t ipfix_file_size(const struct ipfix_file *f);

/* Does the message carry a template set (set id 2 or 3)? Exposed for the tests. */
bool ipfix_msg_has_templates(const uint8_t *msg, size_t len);

#endif
