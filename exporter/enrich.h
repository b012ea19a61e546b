/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who made a flow, in words: user names and containers (containers.c),
 * both cached, both looked up off the drain loop, both forgotten once
 * nothing refers to them.
 */
#ifndef EBPFLOW_ENRICH_H
#define EBPFLOW_ENRICH_H

#include <glib.h>

#include "containers.h"
#include "flow.h"
#include "proctable.h"

/*
 * The drain loop waits for user names at most this long per pass in all
 * (a directory service that answers at once is never seen as slow); a
 * record whose user name is still asked waits up to ENRICH_USER_MAX_WAIT_MS,
 * then carries the uid in decimal.
 */
#define ENRICH_USER_BUDGET_MS 50
#define ENRICH_USER_MAX_WAIT_MS 3000
/* a user name or container that nothing used for this long is forgotten */
#define ENRICH_FORGET_AFTER_S 30

/*
 * uid -> user name, as getpwuid_r gives it, or NULL when it has none. Runs
 * in a worker thread, so it may take its time.
 */
typedef char *(*enrich_user_fn)(uint32_t uid);

struct enrich;

/* containers may be NULL: no container resolution. Not owned. */
struct enrich *enrich_new(struct containers *containers);
/* The same with the user look-up of one's own (the tests: a slow directory). */
struct enrich *enrich_new_with(struct containers *containers, enrich_user_fn lookup);
void enrich_free(struct enrich *e);
/* Records also carry who their process is (exe, command line, parent); not owned. */
void enrich_set_procs(struct enrich *e, struct proctable *procs);
struct dns_names;
/*
 * ... and their peer's name (peer_name) from the DNS answers of the flow's
 * network namespace; not owned.
 */
void enrich_set_dns(struct enrich *e, struct dns_names *names);
/*
 * The name of a flow's peer in netns, or NULL: the responder of an outbound
 * flow, the initiator of an inbound one (an overflow flow has none).
 */
const char *enrich_peer_name(struct enrich *e, const struct flow_key *key, uint32_t netns);
/*
 * Start the worker threads that ask for user names: once privileges are
 * dropped, so that no thread ever holds more than the caller. Nothing may
 * ask for a user name before.
 */
void enrich_start(struct enrich *e);
/*
 * The user name of uid as ps shows it, or the uid in decimal while it is
 * asked (or when it has none). Never waits more than what is left of this
 * pass's ENRICH_USER_BUDGET_MS.
 */
const char *enrich_user(struct enrich *e, uint32_t uid);
/* False while the user name of uid is being asked (for at most ENRICH_USER_MAX_WAIT_MS). */
bool enrich_user_ready(struct enrich *e, uint32_t uid);
/* Each pass: take the user names found, give the pass its budget again. */
void enrich_collect(struct enrich *e);
/* At shutdown: wait up to ms for the user names asked. */
void enrich_wait(struct enrich *e, unsigned int ms);
/* The container of a cgroup id: name and id ("" when none). */
void enrich_container(struct enrich *e, uint64_t cgroup_id, const char **name, const char **id);
/* False while the container name of cgroup_id is being asked of its runtime. */
bool enrich_ready(struct enrich *e, uint64_t cgroup_id);
/*
 * [filter] containers, the one filter list applied in user space (names are
 * known here, not in the kernel): true when want is empty or names the
 * container of cgroup_id, or the start of its id.
 */
bool enrich_container_wanted(struct enrich *e, const GPtrArray *want, uint64_t cgroup_id);
/* flow_enrich_fn: ctx is the struct enrich */
void enrich_record(struct flow_record *rec, void *ctx);
/* A flow still refers to uid and cgroup_id: keep what is known of them. */
void enrich_touch(struct enrich *e, uint32_t uid, uint64_t cgroup_id, uint64_t now_ns);
/*
 * Forget the user names and containers not used (nor touched) in the
 * ENRICH_FORGET_AFTER_S before now_ns (CLOCK_MONOTONIC); those being asked stay.
 */
void enrich_forget_unused(struct enrich *e, uint64_t now_ns);
/* How many user names are cached. */
unsigned int enrich_users_cached(const struct enrich *e);

#endif
