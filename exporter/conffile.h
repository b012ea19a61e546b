/* SPDX-License-Identifier: GPL-2.0-only */
/* ebpflow.conf: an INI file (GKeyFile) validated key by key, line by line. */
#ifndef EBPFLOW_CONFFILE_H
#define EBPFLOW_CONFFILE_H

#include "options.h"

/*
 * Apply the file at path on top of c. Every error names the file, the line,
 * the section and key, and what is allowed; on error c may be half applied
 * (load into a scratch config). A file writable by group or others is
 * refused: whoever can write it decides what eBPFlow runs with.
 */
gboolean conffile_load(const char *path, struct ebpflow_config *c, GError **err);

#endif
