// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup layouts of the container runtimes and of systemd, read from the
 * root of the cgroup v2 hierarchy (or of a v1 one, from /proc):
 *
 *   docker (cgroupfs)          /docker/<id>
 *   docker (systemd)           /system.slice/docker-<id>.scope
 *   podman (systemd)           /machine.slice/libpod-<id>.scope[/container]
 *   podman (cgroupfs)          /libpod_parent/libpod-<id>
 *   kubepods (cgroupfs)        /kubepods[/<qos>]/pod<uid>/<id> | crio-<id>
 *   kubepods (systemd)         /kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/
 *                              cri-containerd-<id>.scope | crio-<id>.scope | docker-<id>.scope
 *   kubelet --cgroup-root      /kubelet/kubepods/..., /kubelet.slice/kubelet-kubepods.slice/...
 *   cri-o (cgroupfs)           /crio/crio-<id>
 *   (conmon, a runtime's helper: libpod-conmon-<id>.scope, crio-conmon-<id>[.scope], no container)
 *   systemd units              /<name>.slice/.../<name>.service | <name>.scope
 *   a user's manager           /user.slice/user-<uid>.slice/user@<uid>.service/...
 *
 * Slices are made by systemd alone; the first directory from the root that
 * is not a slice decides, and what is below it belongs to it: a container's
 * own sub-cgroups stay that container's, and a unit's subtree (a delegated
 * one: every user's manager) can name neither another unit nor a container.
 * So under user@<uid>.service a flow is the user's, rootless containers
 * included: no container id is taken there, and the unit is shown as
 * "user@<uid>.service/<the user's own unit>".
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

/* kubepods[-<qos>]..., or kubelet-kubepods... under kubelet --cgroup-root=/kubelet */
static bool is_kubepods_slice(const char *s)
{
	return !strncmp(s, "kubepods", 8) || !strncmp(s, "kubelet-kubepods", 16);
}

/* The pod uid from "pod<uid>" or "kubepods[-<qos>]-pod<uid_underscored>.slice". */
static bool take_pod_uid(const char *s, char *uid)
{
	const char *p = NULL;
	size_t n;

	if (!strncmp(s, "pod", 3))
		p = s + 3;
	else if (is_kubepods_slice(s) && (p = strstr(s, "-pod")))
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

static bool is_unit(const char *s)
{
	return ends_with(s, ".service") || ends_with(s, ".scope");
}

/* A container's own scope, made by its runtime under a slice. */
static bool container_scope(const char *s, struct cgroup_info *out)
{
	static const struct {
		const char *prefix;
		enum container_runtime rt;
	} scopes[] = {
		{ "docker-", RT_DOCKER },
		{ "cri-containerd-", RT_CONTAINERD },
		{ "crio-", RT_CRIO },
		{ "libpod-", RT_PODMAN },
	};

	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		if (take_id(s, scopes[i].prefix, ".scope", out->id)) {
			out->runtime = scopes[i].rt;
			return true;
		}
	}
	return false;
}

/* "user@<digits>.service": a user's manager, whose subtree systemd delegates to that user */
static bool is_user_manager(const char *s)
{
	size_t d;

	if (strncmp(s, "user@", 5))
		return false;
	d = strspn(s + 5, "0123456789");
	return d && !strcmp(s + 5 + d, ".service");
}

/* The names of a path, the root's child first; at most max (deeper ones never decide). */
static size_t split(char *path, char **names, size_t max)
{
	char *save = NULL;
	size_t n = 0;

	for (char *t = strtok_r(path, "/", &save); t && n < max; t = strtok_r(NULL, "/", &save))
		names[n++] = t;
	return n;
}

/* The cgroupfs layouts: a runtime's own directory at the root. */
static bool parse_cgroupfs(char **c, size_t n, struct cgroup_info *out)
{
	size_t i = 1;

	if (!strcmp(c[0], "docker") && n > 1 && take_id(c[1], "", "", out->id)) {
		out->runtime = RT_DOCKER;
		return true;
	}
	if (!strcmp(c[0], "libpod_parent") && n > 1 && take_id(c[1], "libpod-", "", out->id)) {
		out->runtime = RT_PODMAN;
		return true;
	}
	/* CRI-O's own parent, outside Kubernetes */
	if (!strcmp(c[0], "crio") && n > 1 && take_id(c[1], "crio-", "", out->id)) {
		out->runtime = RT_CRIO;
		return true;
	}
	/* kubelet --cgroup-root=/kubelet */
	if (!strcmp(c[0], "kubelet") && n > 1) {
		c++;
		n--;
	}
	if (strcmp(c[0], "kubepods"))
		return false;
	if (i < n && (!strcmp(c[i], "besteffort") || !strcmp(c[i], "burstable")))
		i++;
	if (i + 1 < n && !strncmp(c[i], "pod", 3) && take_pod_uid(c[i], out->pod_uid)) {
		/* containerd names its cgroup by the id alone, CRI-O crio-<id> */
		if (take_id(c[i + 1], "", "", out->id))
			out->runtime = RT_KUBERNETES;
		else if (take_id(c[i + 1], "crio-", "", out->id))
			out->runtime = RT_CRIO;
		if (out->runtime)
			return true;
	}
	out->pod_uid[0] = '\0';
	return false;
}

/* The systemd layouts: slices from the root, then the unit or scope that owns the rest. */
static bool parse_systemd(char **c, size_t n, struct cgroup_info *out)
{
	bool kubepods = !strcmp(c[0], "kubepods.slice") || !strcmp(c[0], "kubelet.slice");
	size_t i = 0, u;

	for (; i < n && ends_with(c[i], ".slice"); i++)
		if (kubepods && is_kubepods_slice(c[i]) && strchr(c[i], '-'))
			take_pod_uid(c[i], out->pod_uid);
	if (i < n && container_scope(c[i], out))
		return true;
	out->pod_uid[0] = '\0';
	/* conmon and other helpers of a runtime are not the container */
	if (i == n || !is_unit(c[i]) || !strncmp(c[i], "libpod-conmon-", 14) ||
	    !strncmp(c[i], "crio-conmon-", 12))
		return false;
	out->runtime = RT_SYSTEMD;
	snprintf(out->unit, sizeof(out->unit), "%s", c[i]);
	if (!is_user_manager(c[i]))
		return true;
	/* the user's own unit, named as theirs: never as a system unit */
	for (u = i + 1; u < n && ends_with(c[u], ".slice"); u++)
		;
	if (u < n && is_unit(c[u]))
		snprintf(out->unit, sizeof(out->unit), "%s/%s", c[i], c[u]);
	return true;
}

bool cgroup_parse_path(const char *path, struct cgroup_info *out)
{
	char buf[4096], *c[16];
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!path || *path != '/' || snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return false;
	n = split(buf, c, sizeof(c) / sizeof(c[0]));
	if (!n)
		return false;
	return parse_cgroupfs(c, n, out) || parse_systemd(c, n, out);
}

bool cgroup_parse_names(const struct cgroup_names *names, struct cgroup_info *out)
{
	char path[EBPFLOW_CGROUP_LEVELS * (EBPFLOW_CGROUP_NAME_LEN + 1) + 2] = "/";
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	if (names->depth == EBPFLOW_CGROUP_TOO_DEEP)
		return false;
	/*
	 * The path down to the first name that was cut: a cut name is not the
	 * directory's, and the layouts are decided above it anyway.
	 */
	for (__u32 i = 0; i < names->depth && i < EBPFLOW_CGROUP_LEVELS; i++) {
		const char *name = names->name[i];
		size_t l = strnlen(name, EBPFLOW_CGROUP_NAME_LEN);

		if ((names->cut & (1u << i)) || l == EBPFLOW_CGROUP_NAME_LEN || !l)
			break;
		path[len++] = '/';
		memcpy(path + len, name, l);
		len += l;
		path[len] = '\0';
	}
	return cgroup_parse_path(path, out);
}

bool cgroup_parse_proc_line(const char *line, struct cgroup_info *out)
{
	const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char path[4096];

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
