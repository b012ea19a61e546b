/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The running exporter: the probe, the drain, the flow table, the
 * enrichment and the outputs, driven by timers on the glib main loop. A
 * configuration takes effect in one place (apply, in runtime.c), at start
 * and on SIGHUP. main.c wires this to the command line and the signals.
 */
#ifndef EBPFLOW_RUNTIME_H
#define EBPFLOW_RUNTIME_H

#include <glib.h>

#include "options.h"

struct runtime;

/*
 * What starting with cfg would meet, checked without loading anything
 * (--check-config): what runtime_start checks first, and the collectors'
 * names resolved, where a start would go on without them and retry.
 */
gboolean runtime_check(const struct ebpflow_config *cfg, GError **err);
/*
 * Check cfg (taken over, cleared on return), load and attach the probe,
 * apply cfg, arm the timers, drop privileges (in every thread: the caller
 * makes no thread before this returns), then start the worker threads.
 * Returns 0, or the exit status with err set: EBPFLOW_EXIT_USAGE when the
 * configuration cannot run (then nothing was attached), 1 when the probe
 * cannot, or privileges could not be dropped.
 */
int runtime_start(struct runtime **out, struct ebpflow_config *cfg, GError **err);
/* SIGHUP: apply cfg (taken over); on error all stays as it was. */
gboolean runtime_reload(struct runtime *rt, struct ebpflow_config *cfg, GError **err);
/*
 * Stop counting, report every flow, print and log the final accounting.
 * Returns the exit status: 0, or 1 when an output lost records to a write
 * error (JSON on a full disk; a JSON reader that went away is a stop).
 */
int runtime_stop(struct runtime *rt);
void runtime_free(struct runtime *rt);

#endif
