/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a cgroup's names say about the process in it: a container of which
 * runtime (and its id, its Kubernetes pod), or a systemd unit. Pure parsing,
 * no I/O: the kernel side hands over the path from the root (struct
 * cgroup_names). Only the layouts made from the root count, so that no name
 * a user makes in their own subtree passes for a system unit or a container.
 */
#ifndef EBPFLOW_CGROUP_H
#define EBPFLOW_CGROUP_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "ebpflow.h"

enum container_runtime {
	RT_NONE = 0,    /* a host process outside any container or unit we know */
	RT_DOCKER,      /* docker/<id>, docker-<id>.scope */
	RT_PODMAN,      /* libpod-<id>.scope, libpod_parent/libpod-<id> */
	RT_CONTAINERD,  /* cri-containerd-<id>.scope */
	RT_CRIO,        /* crio-<id>.scope */
	RT_KUBERNETES,  /* kubepods/.../pod<uid>/<id>: a CRI runtime the path does not name */
	RT_SYSTEMD,     /* a systemd service or scope: the unit (a user's: user@UID.service/...) */
};

#define CONTAINER_ID_LEN 64
#define POD_UID_LEN 36

struct cgroup_info {
	enum container_runtime runtime;
	char id[CONTAINER_ID_LEN + 1];  /* container id, "" if none */
	char pod_uid[POD_UID_LEN + 1];  /* Kubernetes pod uid, "" if none */
	/* for RT_SYSTEMD: the unit, or "user@UID.service" and the user's own unit below it */
	char unit[2 * EBPFLOW_CGROUP_NAME_LEN];
};

/* From what the kernel side noted. False: no layout known (or too deep to tell). */
bool cgroup_parse_names(const struct cgroup_names *n, struct cgroup_info *out);
/* From a cgroup path from the root ("/kubepods/besteffort/pod<uid>/<id>"). */
bool cgroup_parse_path(const char *path, struct cgroup_info *out);
/* From a line of /proc/PID/cgroup, v2 ("0::/docker/<id>") or v1 ("4:pids:/docker/<id>"). */
bool cgroup_parse_proc_line(const char *line, struct cgroup_info *out);

const char *container_runtime_name(enum container_runtime r);

#endif
