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
 * Could eBPFlow become user ([service] user; NULL: stay as started)? The
 * user exists, and switching to it is allowed.
 */
gboolean privileges_check(const char *user, GError **err);
/*
 * Set no_new_privs, and become user with its groups (NULL, or the user it
 * runs as: nothing more to do), keeping the capabilities it has until
 * privileges_drop. Before any thread is made: glibc changes the uid of
 * every thread, and aborts if one cannot follow; no_new_privs is each
 * thread's, inherited by the threads it makes.
 */
gboolean privileges_become(const char *user, GError **err);
/*
 * Drop every capability and the bounding set (it needs CAP_SETPCAP), but
 * CAP_BPF where reading map_fd without it fails, and make the process not
 * dumpable. Then check every thread of the process: FALSE,
 * with err set, if any holds more than that or runs as another user.
 */
gboolean privileges_drop(int map_fd, GError **err);

#endif
