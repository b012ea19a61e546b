/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The runtimes' resolvers, called by the cache's worker threads
 * (containers.c): one look-up of one container's name, bounded in time and
 * size, by the Engine API (docker.c) or by the OCI spec a CRI runtime keeps
 * on the node (oci.c). Internal to exporter/containers/.
 */
#ifndef EBPFLOW_RESOLVERS_H
#define EBPFLOW_RESOLVERS_H

#include <stdbool.h>

/* What one look-up found. */
struct lookup {
	char *name;      /* on success; g_free() */
	char error[512]; /* "" on success */
	/*
	 * The runtime failed (no connection, no answer, an HTTP error, its state
	 * directory missing or unreadable): not this container's fault. Else a
	 * failure is this container's alone (unknown to the runtime, or a
	 * description that does not name it): its runtime answers.
	 */
	bool runtime_fault;
	bool bad_reply; /* this container's description is too big or does not name it */
	bool absent;    /* containerd keeps no Kubernetes containers here (with may_be_absent) */
};

/* GET /containers/<id>/json of the Engine API at socket. */
void docker_lookup(const char *socket, unsigned int timeout_ms, const char *id, struct lookup *out);
/*
 * The task bundle's spec under containerd's state directory. may_be_absent:
 * a state without the CRI plugin's namespace sets `absent` (the cgroup did
 * not say which runtime; another one may know the container).
 */
void containerd_lookup(const char *state, const char *id, const char *pod_uid, bool may_be_absent,
		       struct lookup *out);
/* The container's userdata spec under CRI-O's run root, else its root. */
void crio_lookup(const char *runroot, const char *root, const char *id, const char *pod_uid,
		 struct lookup *out);

#endif
