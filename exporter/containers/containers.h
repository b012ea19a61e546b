/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which container made a flow: cgroup id -> the cgroup's names (captured by
 * the kernel side) -> runtime and container id (cgroup.c) -> container name,
 * asked from a worker thread and cached: of Docker's Engine API (or
 * Podman's compatible one, docker.c), or read from the OCI spec containerd's
 * CRI plugin or CRI-O keep on the node (oci.c). The drain loop never waits
 * on a runtime. A failed look-up is asked again with back-off (names come
 * back when a runtime restarts); a cgroup nothing refers to any more is
 * forgotten.
 */
#ifndef EBPFLOW_CONTAINERS_H
#define EBPFLOW_CONTAINERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

struct containers_config {
	bool resolve_names;           /* ask the runtimes for names (--containers, -d) */
	const char *docker_socket;    /* Engine API of Docker */
	const char *podman_socket;    /* Podman's Docker-compatible API */
	const char *containerd_state; /* containerd's state directory (its tasks' bundles) */
	const char *crio_root;        /* CRI-O's storage root (containers/storage graphroot) */
	const char *crio_runroot;     /* and its run root */
	unsigned int timeout_ms;      /* per request, connect included */
};

#define CONTAINERS_DOCKER_SOCKET "/var/run/docker.sock"
#define CONTAINERS_PODMAN_SOCKET "/run/podman/podman.sock"
#define CONTAINERS_CONTAINERD_STATE "/run/containerd"
#define CONTAINERS_CRIO_ROOT "/var/lib/containers/storage"
#define CONTAINERS_CRIO_RUNROOT "/run/containers/storage"
#define CONTAINERS_TIMEOUT_MS 3000
/* the largest reply (or spec file) read from a runtime; more is refused */
#define CONTAINERS_MAX_REPLY (1u << 20)
/* a failed look-up (or a runtime that is down) is asked again after 1 s, 2 s ... 60 s */
#define CONTAINERS_RETRY_MIN_MS 1000u
#define CONTAINERS_RETRY_MAX_MS 60000u

/*
 * The longest container name kept (a longer one fails that container's
 * look-up): above Kubernetes' "<namespace>/<pod>/<container>", at most
 * 63 + 1 + 253 + 1 + 63 = 381 bytes (a DNS label, a DNS subdomain, a DNS
 * label). Docker's and Podman's name patterns set no length limit; the cap
 * is what an IPFIX record still fits in a UDP-sized message (test_ipfix).
 */
#define CONTAINERS_NAME_MAX 512u

struct container {
	struct cgroup_info info;
	const char *name; /* container name, or the systemd unit; "" if not known */
	bool pending;     /* a runtime lookup is in flight */
};

struct containers;

struct containers *containers_new(const struct containers_config *cfg);
void containers_free(struct containers *c);
/*
 * Start the worker threads that ask the runtimes (with resolve_names): once
 * privileges are dropped, so that no thread ever holds more than the caller.
 * Until then a new cgroup is not looked up.
 */
void containers_start(struct containers *c);
/* The kernel side's map of cgroup names; resolution reads it on demand. */
void containers_set_names_fd(struct containers *c, int fd);
/*
 * What a cgroup id is. The first call for an id reads its names and, with
 * name resolution on, starts a runtime lookup: `pending` is set until a
 * later containers_collect() sees it finish (or time out). A later call
 * asks again when the last look-up failed and its back-off is over.
 */
const struct container *containers_get(struct containers *c, uint64_t cgroup_id);
/* Take the results of finished lookups (main thread, each pass). */
void containers_collect(struct containers *c);
/* Wait up to ms for the lookups in flight (at shutdown), collecting them. */
void containers_wait(struct containers *c, unsigned int ms);
/* A flow still refers to cgroup_id: keep its entry. */
void containers_touch(struct containers *c, uint64_t cgroup_id, uint64_t now_ns);
/* Forget the entries not used (nor touched) since cutoff_ns (CLOCK_MONOTONIC). */
void containers_forget_unused(struct containers *c, uint64_t cutoff_ns);
unsigned int containers_cached(const struct containers *c);

/*
 * The name in an Engine API /containers/<id>/json reply: Kubernetes'
 * "<namespace>/<pod>/<container>" from the labels where they are, else the
 * container's name without its leading '/'; to be freed with g_free(). NULL
 * for anything else, or for a name longer than CONTAINERS_NAME_MAX bytes.
 */
char *containers_parse_inspect(const char *body, size_t len);

#endif
