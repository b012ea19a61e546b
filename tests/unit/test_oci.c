// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: Kubernetes names from the specs containerd and CRI-O leave on
 * the node (fixtures/), and hostile files: too big, not JSON, not UTF-8,
 * names missing, empty or too long, another pod's, a link, a FIFO.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "containers.h"
#include "oci.h"
#include "resolvers.h"

#define POD_UID "6f1c2a7e-4b3d-4e5f-8a9b-0c1d2e3f4a5b"

static char *fixture(const char *name, size_t *len)
{
	char *path = g_build_filename(EBPFLOW_SOURCE_DIR, "tests", "unit", "fixtures", name, NULL);
	char *data = NULL;
	GError *err = NULL;

	if (!oci_read(path, CONTAINERS_MAX_REPLY, &data, len, &err))
		g_error("%s: %s", path, err->message);
	g_free(path);
	return data;
}

static void expect_name(const char *file, enum oci_flavour f, const char *pod_uid, const char *want)
{
	size_t len;
	char *body = fixture(file, &len), *name;
	GError *err = NULL;

	name = oci_parse_spec(body, len, f, pod_uid, &err);
	if (!name)
		g_error("%s: %s", file, err->message);
	g_assert_cmpstr(name, ==, want);
	g_free(name);
	g_free(body);
}

static void test_containerd(void)
{
	expect_name("containerd-container.json", OCI_CONTAINERD, POD_UID,
		    "shop/web-7d4b9c-x2x4q/nginx");
	/* the pod's sandbox (pause): the pod */
	expect_name("containerd-sandbox.json", OCI_CONTAINERD, POD_UID, "shop/web-7d4b9c-x2x4q");
	/* a cgroup that names no pod (none to check) */
	expect_name("containerd-container.json", OCI_CONTAINERD, "", "shop/web-7d4b9c-x2x4q/nginx");
}

static void test_crio(void)
{
	expect_name("crio-container.json", OCI_CRIO, POD_UID, "data/cache-0/redis");
	expect_name("crio-sandbox.json", OCI_CRIO, POD_UID, "data/cache-0");
}

static void expect_error(const char *body, enum oci_flavour f, const char *pod_uid, int code)
{
	GError *err = NULL;
	char *name = oci_parse_spec(body, strlen(body), f, pod_uid, &err);

	if (name)
		g_error("'%.80s' named %s", body, name);
	g_assert_error(err, OCI_ERROR, code);
	g_error_free(err);
}

static void test_hostile(void)
{
	static const char *const not_json[] = {
	    "",
	    "not json",
	    "[1,2]",
	    "\"annotations\"",
	    "{\"annotations\":",
	    "null",
	    /* a name that is not UTF-8 */
	    "{\"annotations\":{\"io.kubernetes.pod.namespace\":\"a\xff\","
	    "\"io.kubernetes.pod.name\":\"p\",\"io.kubernetes.container.name\":\"c\"}}",
	};
	char *big;

	for (size_t i = 0; i < G_N_ELEMENTS(not_json); i++)
		expect_error(not_json[i], OCI_CRIO, "", OCI_ERROR_NOT_JSON);
	expect_error("{}", OCI_CONTAINERD, "", OCI_ERROR_NO_NAMES);
	expect_error("{\"annotations\":[]}", OCI_CONTAINERD, "", OCI_ERROR_NO_NAMES);
	/* Docker's keys are not containerd's, nor containerd's CRI-O's */
	expect_error("{\"annotations\":{\"io.kubernetes.pod.namespace\":\"n\","
		     "\"io.kubernetes.pod.name\":\"p\",\"io.kubernetes.container.name\":\"c\"}}",
		     OCI_CONTAINERD, "", OCI_ERROR_NO_NAMES);
	expect_error("{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"n\","
		     "\"io.kubernetes.cri.sandbox-name\":\"p\","
		     "\"io.kubernetes.cri.container-name\":\"c\"}}",
		     OCI_CRIO, "", OCI_ERROR_NO_NAMES);
	/* a container (not a sandbox) without its name, a name of another type */
	expect_error("{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"n\","
		     "\"io.kubernetes.cri.sandbox-name\":\"p\"}}",
		     OCI_CONTAINERD, "", OCI_ERROR_NO_NAMES);
	expect_error("{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"n\","
		     "\"io.kubernetes.cri.sandbox-name\":7,\"io.kubernetes.cri.container-type\":"
		     "\"sandbox\"}}",
		     OCI_CONTAINERD, "", OCI_ERROR_NO_NAMES);
	/* names that would read as another one */
	expect_error("{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"n\","
		     "\"io.kubernetes.cri.sandbox-name\":\"p/q\","
		     "\"io.kubernetes.cri.container-name\":\"c\"}}",
		     OCI_CONTAINERD, "", OCI_ERROR_BAD_NAME);
	expect_error("{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"\","
		     "\"io.kubernetes.cri.sandbox-name\":\"p\","
		     "\"io.kubernetes.cri.container-name\":\"c\"}}",
		     OCI_CONTAINERD, "", OCI_ERROR_BAD_NAME);
	/* another pod's spec than the cgroup says */
	expect_error(
	    "{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"n\","
	    "\"io.kubernetes.cri.sandbox-name\":\"p\",\"io.kubernetes.cri.container-name\":"
	    "\"c\",\"io.kubernetes.cri.sandbox-uid\":\"00000000-0000-0000-0000-000000000000\"}}",
	    OCI_CONTAINERD, POD_UID, OCI_ERROR_OTHER_POD);
	/* CONTAINERS_NAME_MAX: one byte over, refused; at it, kept */
	big = g_strdup_printf("{\"annotations\":{\"io.kubernetes.pod.namespace\":\"n\","
			      "\"io.kubernetes.pod.name\":\"p\",\"io.kubernetes.container.name\":"
			      "\"%0*d\"}}",
			      CONTAINERS_NAME_MAX - 3, 0);
	expect_error(big, OCI_CRIO, "", OCI_ERROR_BAD_NAME);
	g_free(big);
	big = g_strdup_printf("{\"annotations\":{\"io.kubernetes.pod.namespace\":\"n\","
			      "\"io.kubernetes.pod.name\":\"p\",\"io.kubernetes.container.name\":"
			      "\"%0*d\"}}",
			      CONTAINERS_NAME_MAX - 4, 0);
	{
		char *name = oci_parse_spec(big, strlen(big), OCI_CRIO, "", NULL);

		g_assert_nonnull(name);
		g_assert_cmpuint(strlen(name), ==, CONTAINERS_NAME_MAX);
		g_free(name);
	}
	g_free(big);
}

/* The files: bounded, regular, not followed through a link; errno kept for the caller. */
static void test_read(void)
{
	char *dir = g_dir_make_tmp("ebpflow-oci-XXXXXX", NULL);
	char *file = g_build_filename(dir, "config.json", NULL);
	char *link = g_build_filename(dir, "link.json", NULL);
	char *fifo = g_build_filename(dir, "fifo.json", NULL);
	char *missing = g_build_filename(dir, "missing", "config.json", NULL);
	char *data = NULL, *body = g_strnfill(4096, ' ');
	GError *err = NULL;
	size_t len = 0;

	g_assert_true(g_file_set_contents(file, body, 4096, NULL));
	g_assert_true(oci_read(file, 4096, &data, &len, &err));
	g_assert_cmpuint(len, ==, 4096);
	g_free(data);
	g_assert_false(oci_read(file, 4095, &data, &len, &err));
	g_assert_error(err, OCI_ERROR, OCI_ERROR_TOO_BIG);
	g_clear_error(&err);
	g_assert_cmpint(symlink(file, link), ==, 0);
	g_assert_false(oci_read(link, 4096, &data, &len, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_LOOP);
	g_clear_error(&err);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_assert_false(oci_read(fifo, 4096, &data, &len, &err));
	g_assert_error(err, OCI_ERROR, OCI_ERROR_NOT_FILE);
	g_clear_error(&err);
	g_assert_false(oci_read(dir, 4096, &data, &len, &err));
	g_assert_error(err, OCI_ERROR, OCI_ERROR_NOT_FILE);
	g_clear_error(&err);
	g_assert_false(oci_read(missing, 4096, &data, &len, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&err);
	g_unlink(file);
	g_unlink(link);
	g_unlink(fifo);
	g_rmdir(dir);
	g_free(body);
	g_free(missing);
	g_free(fifo);
	g_free(link);
	g_free(file);
	g_free(dir);
}

static void test_paths(void)
{
	char *p = oci_containerd_spec("/run/containerd", "abc");

	g_assert_cmpstr(p, ==,
			"/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/config.json");
	g_free(p);
	p = oci_crio_spec("/var/lib/containers/storage", "abc");
	g_assert_cmpstr(p, ==,
			"/var/lib/containers/storage/overlay-containers/abc/userdata/config.json");
	g_free(p);
}

/* `text` in the file `path` (freed here), its folders made */
static void put(char *path, const char *text)
{
	char *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(dir);
	g_free(path);
}

#define SPEC_OK                                                            \
	"{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"n\"," \
	"\"io.kubernetes.cri.sandbox-name\":\"p\",\"io.kubernetes.cri.container-name\":\"c\"}}"
#define CRIO_OK                                                                               \
	"{\"annotations\":{\"io.kubernetes.pod.namespace\":\"n\",\"io.kubernetes.pod.name\":" \
	"\"p\","                                                                              \
	"\"io.kubernetes.container.name\":\"r\"}}"

/* CRI-O's look-up of `id` in its two roots names it `want` */
static void expect_crio_name(const char *run, const char *lib, const char *id, const char *want)
{
	struct lookup l = { 0 };

	crio_lookup(run, lib, id, "", &l);
	g_assert_cmpstr(l.name, ==, want);
	g_free(l.name);
}

/* What a look-up makes of each state: a name, the container's failure, or the runtime's. */
static void test_lookups(void)
{
	char *root = g_dir_make_tmp("ebpflow-oci-XXXXXX", NULL);
	char *state = g_build_filename(root, "containerd", NULL);
	char *run = g_build_filename(root, "crio-run", NULL);
	char *lib = g_build_filename(root, "crio-lib", NULL);
	char *cmd;
	struct lookup l = { 0 };

	/* no state at all: the runtime's fault, or (may_be_absent) not this node's runtime */
	containerd_lookup(state, "a1", "", false, &l);
	g_assert_true(l.runtime_fault && !l.absent && !l.name);
	l = (struct lookup){ 0 };
	containerd_lookup(state, "a1", "", true, &l);
	g_assert_true(l.absent && !l.runtime_fault && !l.name);
	/* the namespace there, not this container: its own failure */
	put(oci_containerd_spec(state, "a1"), SPEC_OK);
	l = (struct lookup){ 0 };
	containerd_lookup(state, "b2", "", true, &l);
	g_assert_true(!l.absent && !l.runtime_fault && !l.bad_reply && !l.name);
	g_assert_nonnull(strstr(l.error, "unknown to the runtime"));
	l = (struct lookup){ 0 };
	containerd_lookup(state, "a1", "", false, &l);
	g_assert_cmpstr(l.name, ==, "n/p/c");
	g_assert_cmpstr(l.error, ==, "");
	g_free(l.name);
	/* a spec that is not one: this container's */
	put(oci_containerd_spec(state, "c3"), "{\"annotations\":{}}");
	l = (struct lookup){ 0 };
	containerd_lookup(state, "c3", "", false, &l);
	g_assert_true(l.bad_reply && !l.runtime_fault && !l.name);

	/* CRI-O: neither root there, both named in the one error */
	l = (struct lookup){ 0 };
	crio_lookup(run, lib, "d4", "", &l);
	g_assert_true(l.runtime_fault && !l.name);
	g_assert_nonnull(strstr(l.error, run));
	g_assert_nonnull(strstr(l.error, lib));
	/* the root's copy where the run root has none, or has no run root */
	put(oci_crio_spec(lib, "d4"), CRIO_OK);
	expect_crio_name(run, lib, "d4", "n/p/r");
	put(oci_crio_spec(run, "e5"), CRIO_OK);
	expect_crio_name(run, lib, "d4", "n/p/r");
	l = (struct lookup){ 0 };
	crio_lookup(run, lib, "f6", "", &l);
	g_assert_true(!l.runtime_fault && !l.bad_reply && !l.name);

	cmd = g_strdup_printf("rm -rf '%s'", root);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
	g_free(lib);
	g_free(run);
	g_free(state);
	g_free(root);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/oci/containerd", test_containerd);
	g_test_add_func("/oci/crio", test_crio);
	g_test_add_func("/oci/hostile", test_hostile);
	g_test_add_func("/oci/read", test_read);
	g_test_add_func("/oci/paths", test_paths);
	g_test_add_func("/oci/lookups", test_lookups);
	return g_test_run();
}
