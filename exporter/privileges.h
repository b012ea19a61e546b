/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Once the programs are attached, eBPFlow needs no capability (CAP_BPF alone
 * on kernels that want it for the maps it holds) and, where the features in
 * use allow it, not root either: it gives them up, in every thread.
 */
#ifndef EBPFLOW_PRIVILEGES_H
#define EBPFLOW_PRIVILEGES_H

#include <glib.h>

/*
 * Could eBPFlow become user ([service] user; NULL: stay as started) once
 * attached? The user exists, and switching to it is allowed.
 */
gboolean privileges_check(const char *user, GError **err);
/*
 * Drop every capability and the bounding set (it needs CAP_SETPCAP), but
 * CAP_BPF where reading map_fd without it fails; become user with its groups
 * (NULL: keep the uid); set no_new_privs. Then check every thread of the
 * process: FALSE, with err set, if any holds more than that.
 */
gboolean privileges_drop(int map_fd, const char *user, GError **err);

#endif
