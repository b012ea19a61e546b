/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * systemd's readiness protocol (sd_notify(3)), without libsystemd: under a
 * Type=notify unit, tell the service manager when eBPFlow is ready (attached,
 * privileges dropped, signals handled), reloading, or stopping.
 */
#ifndef EBPFLOW_NOTIFY_H
#define EBPFLOW_NOTIFY_H

#include <stdbool.h>

/*
 * Send state ("READY=1", "STATUS=...", newline-separated assignments) to
 * $NOTIFY_SOCKET. False when there is none (not under systemd) or the send
 * failed (logged once).
 */
bool notify(const char *state);
/* "RELOADING=1" with the MONOTONIC_USEC that systemd wants with it */
bool notify_reloading(void);

#endif
