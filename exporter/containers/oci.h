/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kubernetes names from the OCI spec (config.json) that containerd's CRI
 * plugin and CRI-O keep on the node for each container: where the file is,
 * reading it (bounded, no symbolic link, a regular file only), and its
 * annotations. No thread or cache here: containers.c calls these from its
 * worker threads.
 */
#ifndef EBPFLOW_OCI_H
#define EBPFLOW_OCI_H

#include <glib.h>
#include <stddef.h>

#define OCI_ERROR g_quark_from_static_string("ebpflow-oci")

enum oci_error {
	OCI_ERROR_NOT_JSON,  /* not a JSON object (or not UTF-8) */
	OCI_ERROR_NO_NAMES,  /* no Kubernetes names in its annotations */
	OCI_ERROR_BAD_NAME,  /* a name that is empty, has a '/', or is too long */
	OCI_ERROR_OTHER_POD, /* its pod uid is not the cgroup's */
	OCI_ERROR_TOO_BIG,   /* larger than allowed */
	OCI_ERROR_NOT_FILE,  /* not a regular file */
};

/* Whose annotations the spec carries. */
enum oci_flavour {
	OCI_CONTAINERD, /* io.kubernetes.cri.* (containerd's pkg/cri/annotations) */
	OCI_CRIO, /* kubelet's labels io.kubernetes.pod.*, io.kubernetes.cri-o.ContainerType */
};

/* containerd's CRI plugin keeps every Kubernetes container in this namespace */
#define OCI_CONTAINERD_NAMESPACE "k8s.io"
/* where containerd's runtime v2 keeps the tasks' bundles, under its state directory */
#define OCI_CONTAINERD_TASKS "io.containerd.runtime.v2.task"
/* containers/storage's directory of the overlay driver's containers, under CRI-O's roots */
#define OCI_CRIO_CONTAINERS "overlay-containers"

/* <state>/io.containerd.runtime.v2.task/k8s.io: the directory of the CRI plugin's bundles */
char *oci_containerd_dir(const char *state);
/* <dir>/<id>/config.json: a task's bundle spec */
char *oci_containerd_spec(const char *state, const char *id);
/* <root>/overlay-containers: CRI-O's containers under one of its storage roots */
char *oci_crio_dir(const char *root);
/* <root>/overlay-containers/<id>/userdata/config.json */
char *oci_crio_spec(const char *root, const char *id);

/*
 * The whole of path, at most max bytes (a larger file is refused): a
 * regular file, not a symbolic link. Errors: G_FILE_ERROR (from errno:
 * NOENT, ACCES...) or OCI_ERROR_TOO_BIG / OCI_ERROR_NOT_FILE. g_free() it.
 */
gboolean oci_read(const char *path, size_t max, char **data, size_t *len, GError **err);

/*
 * "<namespace>/<pod>/<container>", or "<namespace>/<pod>" for a pod's
 * sandbox (its pause process), from a spec's annotations; g_free() it.
 * pod_uid: the pod uid the cgroup names ("" when it names none): a spec
 * that names another pod is refused. NULL with OCI_ERROR set otherwise,
 * or for a name longer than CONTAINERS_NAME_MAX bytes.
 */
char *oci_parse_spec(const char *body, size_t len, enum oci_flavour f, const char *pod_uid,
		     GError **err);

#endif
