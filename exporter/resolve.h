/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host names to addresses for the collectors: at once (an address, or at
 * start, when waiting is fine), or in a detached worker thread, since
 * getaddrinfo cannot be bounded in time and the drain loop must never wait
 * on a name server.
 */
#ifndef EBPFLOW_RESOLVE_H
#define EBPFLOW_RESOLVE_H

#include <netdb.h>
#include <stdbool.h>

/* getaddrinfo for a UDP destination; 0 or an EAI_* code (gai_strerror). */
int resolve_now(const char *host, const char *port, struct addrinfo **res);
/* host is an address: resolved without asking anyone. */
bool resolve_numeric(const char *host, const char *port, struct addrinfo **res);

struct resolve;

/* Start resolve_now in a thread of its own; NULL when no thread can be made. */
struct resolve *resolve_start(const char *host, const char *port);
/* Has it finished? Then rc and res (owned by r) say what it found. */
bool resolve_done(const struct resolve *r, int *rc, const struct addrinfo **res);
/* Drop it, finished or not (a thread still running frees it when done). */
void resolve_free(struct resolve *r);

#endif
