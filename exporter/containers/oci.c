// SPDX-License-Identifier: GPL-2.0-only
/*
 * The OCI spec readers. Both runtimes write config.json before the
 * container starts and remove it with the container; the Kubernetes names
 * are annotations of the spec:
 *   containerd (CRI plugin)  io.kubernetes.cri.sandbox-namespace, -sandbox-name,
 *                            -container-name, -sandbox-uid, -container-type
 *   CRI-O                    kubelet's labels, copied as annotations:
 *                            io.kubernetes.pod.namespace, .pod.name, .pod.uid,
 *                            io.kubernetes.container.name; and its own
 *                            io.kubernetes.cri-o.ContainerType
 * The type is "sandbox" for a pod's pause container, "container" otherwise.
 */
#include "oci.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "containers.h"
#include "readfile.h"
#include "resolvers.h"

char *oci_containerd_dir(const char *state)
{
	return g_build_filename(state, OCI_CONTAINERD_TASKS, OCI_CONTAINERD_NAMESPACE, NULL);
}

char *oci_containerd_spec(const char *state, const char *id)
{
	return g_build_filename(state, OCI_CONTAINERD_TASKS, OCI_CONTAINERD_NAMESPACE, id,
				"config.json", NULL);
}

char *oci_crio_dir(const char *root)
{
	return g_build_filename(root, OCI_CRIO_CONTAINERS, NULL);
}

char *oci_crio_spec(const char *root, const char *id)
{
	return g_build_filename(root, OCI_CRIO_CONTAINERS, id, "userdata", "config.json", NULL);
}

static gboolean errno_error(GError **err, int e, const char *path)
{
	g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path, g_strerror(e));
	return FALSE;
}

gboolean oci_read(const char *path, size_t max, char **data, size_t *len, GError **err)
{
	struct read_failure why;

	if (read_whole(path, max, READ_REGULAR_ONLY, data, len, &why))
		return TRUE;
	if (why.kind == READ_FAIL_NOT_FILE)
		g_set_error(err, OCI_ERROR, OCI_ERROR_NOT_FILE, "%s: not a regular file", path);
	else if (why.kind == READ_FAIL_TOO_BIG)
		g_set_error(err, OCI_ERROR, OCI_ERROR_TOO_BIG, "%s: larger than %zu bytes", path,
			    max);
	else
		return errno_error(err, why.err, path);
	return FALSE;
}

struct keys {
	const char *ns, *pod, *container, *uid, *type;
};

static const struct keys flavours[] = {
    [OCI_CONTAINERD] = {"io.kubernetes.cri.sandbox-namespace", "io.kubernetes.cri.sandbox-name",
			"io.kubernetes.cri.container-name", "io.kubernetes.cri.sandbox-uid",
			"io.kubernetes.cri.container-type"},
    [OCI_CRIO] = {"io.kubernetes.pod.namespace", "io.kubernetes.pod.name",
		  "io.kubernetes.container.name", "io.kubernetes.pod.uid",
		  "io.kubernetes.cri-o.ContainerType"},
};

static const char *annotation(JsonObject *a, const char *key)
{
	JsonNode *n = json_object_get_member(a, key);

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		   ? json_node_get_string(n)
		   : NULL;
}

/* One part of namespace/pod/container: present, and not one that would make the name ambiguous. */
static gboolean name_part(const char *v, const char *key, GError **err)
{
	if (!v) {
		g_set_error(err, OCI_ERROR, OCI_ERROR_NO_NAMES, "no annotation %s", key);
		return FALSE;
	}
	if (!*v || strchr(v, '/')) {
		g_set_error(err, OCI_ERROR, OCI_ERROR_BAD_NAME,
			    "annotation %s is empty or has a '/'", key);
		return FALSE;
	}
	return TRUE;
}

char *oci_parse_spec(const char *body, size_t len, enum oci_flavour f, const char *pod_uid,
		     GError **err)
{
	const struct keys *k = &flavours[f];
	JsonParser *p = json_parser_new();
	JsonObject *a = NULL;
	JsonNode *node;
	const char *ns, *pod, *ctr = NULL, *uid, *type;
	char *name = NULL;

	/* json-glib takes what GLib's UTF-8 checks take; names must be text for every output */
	if (!body || !g_utf8_validate(body, (gssize)len, NULL) ||
	    !json_parser_load_from_data(p, body, (gssize)len, NULL) ||
	    !(node = json_parser_get_root(p)) || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(err, OCI_ERROR, OCI_ERROR_NOT_JSON, "not a JSON object in UTF-8");
		goto out;
	}
	node = json_object_get_member(json_node_get_object(node), "annotations");
	if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(err, OCI_ERROR, OCI_ERROR_NO_NAMES, "no annotations");
		goto out;
	}
	a = json_node_get_object(node);
	ns = annotation(a, k->ns);
	pod = annotation(a, k->pod);
	uid = annotation(a, k->uid);
	type = annotation(a, k->type);
	if (!name_part(ns, k->ns, err) || !name_part(pod, k->pod, err))
		goto out;
	if (pod_uid && *pod_uid && uid && strcmp(uid, pod_uid)) {
		g_set_error(err, OCI_ERROR, OCI_ERROR_OTHER_POD,
			    "pod uid %.36s, not the cgroup's %s", uid, pod_uid);
		goto out;
	}
	/* a sandbox is the pod itself: no container name (containerd sets none) */
	if (!type || strcmp(type, "sandbox")) {
		ctr = annotation(a, k->container);
		if (!name_part(ctr, k->container, err))
			goto out;
	}
	name = ctr ? g_strdup_printf("%s/%s/%s", ns, pod, ctr) : g_strdup_printf("%s/%s", ns, pod);
	if (strlen(name) > CONTAINERS_NAME_MAX) {
		g_set_error(err, OCI_ERROR, OCI_ERROR_BAD_NAME, "a name over %u bytes",
			    CONTAINERS_NAME_MAX);
		g_clear_pointer(&name, g_free);
	}
out:
	g_object_unref(p);
	return name;
}

/*
 * One spec file, into out. Its absence is this container's (gone, or not
 * this runtime's); a directory eBPFlow may not read is the runtime's.
 */
static void spec_name(const char *path, enum oci_flavour f, const char *id, const char *pod_uid,
		      struct lookup *out)
{
	char *data = NULL;
	size_t len = 0;
	GError *err = NULL;

	if (!oci_read(path, CONTAINERS_MAX_REPLY, &data, &len, &err)) {
		if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			snprintf(out->error, sizeof(out->error),
				 "container %.12s unknown to the runtime", id);
		} else if (err->domain == G_FILE_ERROR) {
			/* the bundles are root's, 0700: a user other than root reads none */
			snprintf(out->error, sizeof(out->error), "%s%s", err->message,
				 g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_ACCES)
				     ? " (the runtime's files are root's: names from them "
				       "need eBPFlow to run as uid 0, without --user)"
				     : "");
			out->runtime_fault = true;
		} else {
			snprintf(out->error, sizeof(out->error), "%s", err->message);
			out->bad_reply = true;
		}
		g_error_free(err);
		return;
	}
	out->name = oci_parse_spec(data, len, f, pod_uid, &err);
	if (!out->name) {
		snprintf(out->error, sizeof(out->error), "%s: %s", path, err->message);
		out->bad_reply = true;
		g_error_free(err);
	}
	g_free(data);
}

/* A runtime's directory that must be there: false with out->error set (and why). */
static bool dir_there(const char *dir, struct lookup *out)
{
	struct stat st;

	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return true;
	snprintf(out->error, sizeof(out->error), "%s: %s", dir,
		 errno ? g_strerror(errno) : "not a directory");
	return false;
}

void containerd_lookup(const char *state, const char *id, const char *pod_uid, bool may_be_absent,
		       struct lookup *out)
{
	char *dir = oci_containerd_dir(state), *path;

	errno = 0;
	if (!dir_there(dir, out)) {
		if (may_be_absent && errno == ENOENT)
			out->absent = true;
		else
			out->runtime_fault = true;
		g_free(dir);
		return;
	}
	g_free(dir);
	path = oci_containerd_spec(state, id);
	spec_name(path, OCI_CONTAINERD, id, pod_uid, out);
	g_free(path);
}

void crio_lookup(const char *runroot, const char *root, const char *id, const char *pod_uid,
		 struct lookup *out)
{
	char *run_dir = oci_crio_dir(runroot), *dir = oci_crio_dir(root), *path;
	char why[sizeof(out->error)];
	bool run_there, there;

	errno = 0;
	run_there = dir_there(run_dir, out);
	snprintf(why, sizeof(why), "%s", out->error);
	errno = 0;
	there = dir_there(dir, out);
	g_free(run_dir);
	g_free(dir);
	if (!run_there && !there) {
		/* both said: either may be the one this node uses */
		char root_why[sizeof(out->error)];

		snprintf(root_why, sizeof(root_why), "%s", out->error);
		snprintf(out->error, sizeof(out->error), "%.250s; %.250s", why, root_why);
		out->runtime_fault = true;
		return;
	}
	out->error[0] = '\0';
	/* the run root's copy is the bundle the container runs from; the root keeps one too */
	path = oci_crio_spec(run_there ? runroot : root, id);
	spec_name(path, OCI_CRIO, id, pod_uid, out);
	g_free(path);
	if (run_there && there && !out->name && !out->runtime_fault && !out->bad_reply) {
		out->error[0] = '\0';
		path = oci_crio_spec(root, id);
		spec_name(path, OCI_CRIO, id, pod_uid, out);
		g_free(path);
	}
}
