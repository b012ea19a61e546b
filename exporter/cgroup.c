// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup layouts of the container runtimes and of systemd, as they appear
 * in the names of a process's cgroup and of its parent:
 *
 *   docker (cgroupfs)          docker / <id>
 *   docker (systemd)           system.slice / docker-<id>.scope
 *   podman (systemd)           machine.slice / libpod-<id>.scope
 *   podman (cgroupfs)          libpod_parent / libpod-<id>
 *   podman (split)             libpod-<id>.scope / container
 *   kubepods (cgroupfs)        pod<uid> / <id>
 *   kubepods (systemd)         kubepods-<qos>-pod<uid_with_underscores>.slice /
 *                              cri-containerd-<id>.scope | crio-<id>.scope | docker-<id>.scope
 *   systemd units              <parent> / <name>.service | <name>.scope
 */
#include "cgroup.h"

#include <stdio.h>
#include <string.h>

static bool is_hex_id(const char *s, size_t len)
{
	if (len != CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* "<prefix><64 hex><suffix>" -> the id; false if s is not that. */
static bool take_id(const char *s, const char *prefix, const char *suffix, char *id)
{
	size_t lp = strlen(prefix), ls = strlen(suffix), n = strlen(s);

	if (n < lp + ls || strncmp(s, prefix, lp) || strcmp(s + n - ls, suffix))
		return false;
	if (!is_hex_id(s + lp, n - lp - ls))
		return false;
	memcpy(id, s + lp, CONTAINER_ID_LEN);
	id[CONTAINER_ID_LEN] = '\0';
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), l = strlen(suffix);

	return n > l && strcmp(s + n - l, suffix) == 0;
}

/* The pod uid from "pod<uid>" or "kubepods[-<qos>]-pod<uid_underscored>.slice". */
static bool take_pod_uid(const char *s, char *uid)
{
	const char *p = NULL;
	size_t n;

	if (!strncmp(s, "pod", 3))
		p = s + 3;
	else if (!strncmp(s, "kubepods", 8) && (p = strstr(s, "-pod")))
		p += 4;
	if (!p)
		return false;
	n = strcspn(p, ".");
	if (n != POD_UID_LEN || (p[n] && strcmp(p + n, ".slice")))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i] == '_' ? '-' : p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
			return false;
		uid[i] = c;
	}
	uid[n] = '\0';
	return true;
}

bool cgroup_parse_names(const char *parent, const char *leaf, struct cgroup_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!leaf || !*leaf)
		return false;
	if (!parent)
		parent = "";

	take_pod_uid(parent, out->pod_uid);
	if (take_id(leaf, "docker-", ".scope", out->id) ||
	    (!strcmp(parent, "docker") && take_id(leaf, "", "", out->id))) {
		out->runtime = RT_DOCKER;
		return true;
	}
	if (take_id(leaf, "cri-containerd-", ".scope", out->id)) {
		out->runtime = RT_CONTAINERD;
		return true;
	}
	if (take_id(leaf, "crio-", ".scope", out->id)) {
		out->runtime = RT_CRIO;
		return true;
	}
	if (take_id(leaf, "libpod-", ".scope", out->id) || take_id(leaf, "libpod-", "", out->id) ||
	    (!strcmp(leaf, "container") && (take_id(parent, "libpod-", ".scope", out->id) ||
					     take_id(parent, "libpod-", "", out->id)))) {
		out->runtime = RT_PODMAN;
		return true;
	}
	if (out->pod_uid[0] && take_id(leaf, "", "", out->id)) {
		out->runtime = RT_KUBERNETES;
		return true;
	}
	out->pod_uid[0] = '\0';
	/* conmon and other helpers of a runtime are not the container */
	if ((ends_with(leaf, ".service") || ends_with(leaf, ".scope")) &&
	    strncmp(leaf, "libpod-conmon-", 14)) {
		out->runtime = RT_SYSTEMD;
		snprintf(out->unit, sizeof(out->unit), "%s", leaf);
		return true;
	}
	return false;
}

bool cgroup_parse_path(const char *path, struct cgroup_info *out)
{
	char buf[512], *leaf, *parent;

	memset(out, 0, sizeof(*out));
	if (!path || snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return false;
	for (size_t n = strlen(buf); n > 1 && buf[n - 1] == '/'; n--)
		buf[n - 1] = '\0';
	leaf = strrchr(buf, '/');
	if (!leaf)
		return false;
	*leaf++ = '\0';
	parent = strrchr(buf, '/');
	parent = parent ? parent + 1 : buf;
	return cgroup_parse_names(parent, leaf, out);
}

bool cgroup_parse_proc_line(const char *line, struct cgroup_info *out)
{
	const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char path[512];

	memset(out, 0, sizeof(*out));
	if (!c2)
		return false;
	snprintf(path, sizeof(path), "%s", c2 + 1);
	path[strcspn(path, "\n")] = '\0';
	return cgroup_parse_path(path, out);
}

const char *container_runtime_name(enum container_runtime r)
{
	static const char *const names[] = { "", "docker", "podman", "containerd", "cri-o",
					     "kubernetes", "systemd" };

	return r <= RT_SYSTEMD ? names[r] : "";
}
