// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: the cgroup layouts of every runtime, v1 and v2, and non-matches. */
#include <glib.h>
#include <string.h>

#include "cgroup.h"

#define ID "dd068feb926d6e74e82bee58f85e16f00b0c915dc0e96eff44e86ed5653e9d6e"
#define ID2 "7f3c0a9e1b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"
#define UID "0b8f0a9c-3c1d-4b0e-9a8e-1f2e3d4c5b6a"
#define UID_ "0b8f0a9c_3c1d_4b0e_9a8e_1f2e3d4c5b6a"

static void expect(const char *path, enum container_runtime rt, const char *id, const char *pod,
		   const char *unit)
{
	struct cgroup_info ci;

	if (!cgroup_parse_path(path, &ci))
		g_error("%s: no layout found", path);
	g_assert_cmpint(ci.runtime, ==, rt);
	g_assert_cmpstr(ci.id, ==, id);
	g_assert_cmpstr(ci.pod_uid, ==, pod);
	g_assert_cmpstr(ci.unit, ==, unit);
}

static void test_docker(void)
{
	expect("/docker/" ID, RT_DOCKER, ID, "", "");
	expect("/system.slice/docker-" ID ".scope", RT_DOCKER, ID, "", "");
	expect("/docker/" ID "/", RT_DOCKER, ID, "", "");
}

static void test_podman(void)
{
	expect("/machine.slice/libpod-" ID ".scope", RT_PODMAN, ID, "", "");
	expect("/libpod_parent/libpod-" ID, RT_PODMAN, ID, "", "");
	expect("/machine.slice/libpod-" ID ".scope/container", RT_PODMAN, ID, "", "");
}

static void test_kubepods(void)
{
	/* cgroupfs driver: the runtime is not in the path */
	expect("/kubepods/besteffort/pod" UID "/" ID, RT_KUBERNETES, ID, UID, "");
	expect("/kubepods/pod" UID "/" ID, RT_KUBERNETES, ID, UID, "");
	/* systemd driver */
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" ID ".scope",
	       RT_CONTAINERD, ID, UID, "");
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/crio-" ID ".scope",
	       RT_CRIO, ID, UID, "");
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID ".scope", RT_DOCKER, ID,
	       UID, "");
}

/*
 * CRI-O (internal/config/cgmgr): crio-<id>.scope under the systemd driver,
 * <parent>/crio-<id> under cgroupfs (its own parent /crio outside
 * Kubernetes); its conmon in crio-conmon-<id>[.scope] is not the container.
 */
static void test_crio(void)
{
	struct cgroup_info ci;

	expect("/kubepods/besteffort/pod" UID "/crio-" ID, RT_CRIO, ID, UID, "");
	expect("/kubepods/pod" UID "/crio-" ID, RT_CRIO, ID, UID, "");
	expect("/kubepods/burstable/pod" UID "/crio-" ID "/container", RT_CRIO, ID, UID, "");
	expect("/crio/crio-" ID, RT_CRIO, ID, "", "");
	g_assert_false(cgroup_parse_path("/kubepods.slice/kubepods-besteffort.slice/"
					 "kubepods-besteffort-pod" UID_ ".slice/crio-conmon-" ID
					 ".scope",
					 &ci));
	g_assert_cmpint(ci.runtime, ==, RT_NONE);
	g_assert_false(cgroup_parse_path("/kubepods/besteffort/pod" UID "/crio-conmon-" ID, &ci));
	g_assert_false(cgroup_parse_path("/crio/crio-conmon-" ID, &ci));
}

/* kubelet --cgroup-root=/kubelet (kind, some distributions): the same layouts one level down */
static void test_kubelet_root(void)
{
	expect("/kubelet/kubepods/besteffort/pod" UID "/" ID, RT_KUBERNETES, ID, UID, "");
	expect("/kubelet/kubepods/pod" UID "/crio-" ID, RT_CRIO, ID, UID, "");
	expect("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	       "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	       RT_CONTAINERD, ID, UID, "");
	expect("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" UID_
	       ".slice/crio-" ID ".scope",
	       RT_CRIO, ID, UID, "");
}

static void test_systemd_units(void)
{
	expect("/system.slice/nginx.service", RT_SYSTEMD, "", "", "nginx.service");
	expect("/user.slice/user-1000.slice/session-3.scope", RT_SYSTEMD, "", "", "session-3.scope");
	expect("/system.slice/containerd.service", RT_SYSTEMD, "", "", "containerd.service");
}

/*
 * Anchored at the root: a user's delegated subtree (under user@UID.service)
 * names neither a system unit nor a container, whatever its directories are
 * called, and a container's own sub-cgroups stay that container's.
 */
static void test_forged(void)
{
	/* rootless podman, or a user's docker-<id>.scope: the user's, with no id to match */
	expect("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
	       RT_SYSTEMD, "", "", "user@1000.service/libpod-" ID ".scope");
	expect("/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" ID ".scope",
	       RT_SYSTEMD, "", "", "user@1000.service/docker-" ID ".scope");
	expect("/user.slice/user-1000.slice/user@1000.service/sshd.service", RT_SYSTEMD, "", "",
	       "user@1000.service/sshd.service");
	expect("/user.slice/user-1000.slice/user@1000.service/app.slice/x.slice/sshd.service/docker/" ID,
	       RT_SYSTEMD, "", "", "user@1000.service/sshd.service");
	expect("/user.slice/user-1000.slice/user@1000.service/docker/" ID, RT_SYSTEMD, "", "",
	       "user@1000.service");
	expect("/user.slice/user-1000.slice/user@1000.service", RT_SYSTEMD, "", "",
	       "user@1000.service");
	/* a service's own sub-cgroups are that service's */
	expect("/system.slice/nginx.service/docker-" ID ".scope", RT_SYSTEMD, "", "",
	       "nginx.service");
	/* the first container from the root wins */
	expect("/docker/" ID "/docker/" ID2, RT_DOCKER, ID, "", "");
	expect("/system.slice/docker-" ID ".scope/docker/" ID2, RT_DOCKER, ID, "", "");
	expect("/system.slice/docker-" ID ".scope/sshd.service", RT_DOCKER, ID, "", "");
	expect("/kubepods/besteffort/pod" UID "/" ID "/docker/" ID2, RT_KUBERNETES, ID, UID, "");
}

static struct cgroup_names names_of(const char *const *dirs, size_t n)
{
	struct cgroup_names cn = { .depth = (__u32)n };

	for (size_t i = 0; i < n && i < EBPFLOW_CGROUP_LEVELS; i++)
		g_strlcpy(cn.name[i], dirs[i], sizeof(cn.name[i]));
	return cn;
}

/* What the kernel side hands over: the top levels, names cut, a path too deep to walk. */
static void test_kernel_names(void)
{
	const char *docker[] = { "system.slice", "docker-" ID ".scope", "a", "b", "c", "d", "e", "f" };
	const char *user[] = { "user.slice", "user-1000.slice", "user@1000.service", "app.slice",
			       "docker-" ID ".scope" };
	struct cgroup_names cn = names_of(docker, G_N_ELEMENTS(docker));
	struct cgroup_info ci;

	/* deeper than the levels kept: decided by the top ones */
	g_assert_true(cgroup_parse_names(&cn, &ci));
	g_assert_cmpint(ci.runtime, ==, RT_DOCKER);
	g_assert_cmpstr(ci.id, ==, ID);
	cn.depth = EBPFLOW_CGROUP_TOO_DEEP;
	g_assert_false(cgroup_parse_names(&cn, &ci));
	/* a name that was cut is not taken, nor anything below it */
	cn = names_of(docker, 2);
	cn.cut = 1u << 1;
	g_assert_false(cgroup_parse_names(&cn, &ci));
	cn = names_of(user, G_N_ELEMENTS(user));
	g_assert_true(cgroup_parse_names(&cn, &ci));
	g_assert_cmpint(ci.runtime, ==, RT_SYSTEMD);
	g_assert_cmpstr(ci.id, ==, "");
	g_assert_cmpstr(ci.unit, ==, "user@1000.service/docker-" ID ".scope");
	cn.cut = 1u << 4;
	g_assert_true(cgroup_parse_names(&cn, &ci));
	g_assert_cmpstr(ci.unit, ==, "user@1000.service");
	/* the root cgroup itself */
	cn = names_of(NULL, 0);
	g_assert_false(cgroup_parse_names(&cn, &ci));
}

static void test_proc_lines(void)
{
	struct cgroup_info ci;

	g_assert_true(cgroup_parse_proc_line("0::/docker/" ID "\n", &ci));
	g_assert_cmpint(ci.runtime, ==, RT_DOCKER);
	g_assert_cmpstr(ci.id, ==, ID);
	/* cgroup v1 */
	g_assert_true(cgroup_parse_proc_line("8:pids:/docker/" ID, &ci));
	g_assert_cmpstr(ci.id, ==, ID);
	g_assert_true(cgroup_parse_proc_line("9:name=systemd:/kubepods/besteffort/pod" UID "/" ID,
					     &ci));
	g_assert_cmpint(ci.runtime, ==, RT_KUBERNETES);
	g_assert_false(cgroup_parse_proc_line("garbage", &ci));
}

static void test_no_match(void)
{
	struct cgroup_info ci;
	const char *no[] = {
		"/", "", "/user.slice", "/docker", "/docker/abc",
		"/docker/" ID "x", "/machine.slice/libpod-conmon-" ID ".scope",
		"/kubepods/besteffort/podnotauid/" ID, "/somewhere/" ID,
		/* layouts that only count from the root */
		"/somewhere/docker-" ID ".scope", "/somewhere/docker/" ID, "/x/libpod_parent/libpod-" ID,
		"/x/kubepods/pod" UID "/" ID, "/system.slice/other/docker-" ID ".scope",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(no); i++)
		if (cgroup_parse_path(no[i], &ci))
			g_error("%s: parsed as %s", no[i], container_runtime_name(ci.runtime));
	g_assert_false(cgroup_parse_path(NULL, &ci));
	g_assert_cmpint(ci.runtime, ==, RT_NONE);
	g_assert_cmpstr(ci.id, ==, "");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cgroup/docker", test_docker);
	g_test_add_func("/cgroup/podman", test_podman);
	g_test_add_func("/cgroup/kubepods", test_kubepods);
	g_test_add_func("/cgroup/crio", test_crio);
	g_test_add_func("/cgroup/kubelet_root", test_kubelet_root);
	g_test_add_func("/cgroup/systemd_units", test_systemd_units);
	g_test_add_func("/cgroup/forged", test_forged);
	g_test_add_func("/cgroup/kernel_names", test_kernel_names);
	g_test_add_func("/cgroup/proc_lines", test_proc_lines);
	g_test_add_func("/cgroup/no_match", test_no_match);
	return g_test_run();
}
