/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a cgroup's names say about the process in it: a container of which
 * runtime (and its id, its Kubernetes pod), or a systemd unit. Pure parsing,
 * no I/O: the kernel side hands over the names (struct cgroup_names).
 */
#ifndef EBPFLOW_CGROUP_H
#define EBPFLOW_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

enum container_runtime {
	RT_NONE = 0,    /* a host process outside any container or unit we know */
	RT_DOCKER,      /* docker/<id>, docker-<id>.scope */
	RT_PODMAN,      /* libpod-<id>.scope, libpod_parent/libpod-<id> */
	RT_CONTAINERD,  /* cri-containerd-<id>.scope */
	RT_CRIO,        /* crio-<id>.scope */
	RT_KUBERNETES,  /* kubepods/.../pod<uid>/<id>: a CRI runtime the path does not name */
	RT_SYSTEMD,     /* a systemd service or scope: the unit */
};

#define CONTAINER_ID_LEN 64
#define POD_UID_LEN 36

struct cgroup_info {
	enum container_runtime runtime;
	char id[CONTAINER_ID_LEN + 1];  /* container id, "" if none */
	char pod_uid[POD_UID_LEN + 1];  /* Kubernetes pod uid, "" if none */
	char unit[128];                 /* systemd unit, for RT_SYSTEMD */
};

/* From a cgroup's directory name and its parent's. False: no layout known. */
bool cgroup_parse_names(const char *parent, const char *leaf, struct cgroup_info *out);
/* From a cgroup path ("/kubepods/besteffort/pod<uid>/<id>"): its last two names. */
bool cgroup_parse_path(const char *path, struct cgroup_info *out);
/* From a line of /proc/PID/cgroup, v2 ("0::/docker/<id>") or v1 ("4:pids:/docker/<id>"). */
bool cgroup_parse_proc_line(const char *line, struct cgroup_info *out);

const char *container_runtime_name(enum container_runtime r);

#endif
