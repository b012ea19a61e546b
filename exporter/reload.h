/* SPDX-License-Identifier: GPL-2.0-only */
/* What a reload changes of the configuration in force (reload.c). */
#ifndef EBPFLOW_RELOAD_H
#define EBPFLOW_RELOAD_H

#include <stdbool.h>

#include "options.h"

/* Does n change any option flagged flag (OPT_IPFIX, OPT_ZMQ) of o? */
bool options_changed(const struct ebpflow_config *o, const struct ebpflow_config *n,
		     unsigned int flag);
/*
 * Options flagged OPT_RESTART that n changes keep their running value in n
 * (swapped with o's, so each still owns what it frees), said once each.
 */
void options_keep_restart_values(struct ebpflow_config *o, struct ebpflow_config *n);

#endif
