// SPDX-License-Identifier: GPL-2.0-only
/*
 * eBPFlow's privileges. With [service] user it becomes that user before it
 * makes anything, keeping its capabilities; after attaching it gives them
 * up: every capability (CAP_BPF alone where the kernel wants it even for
 * the maps it holds), the bounding set where it may. Then it reads
 * /proc/self/task and refuses to go on if any thread kept more, or runs as
 * another user: capabilities belong to threads, and capset() changes only
 * the caller's.
 */
#include "privileges.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#define PRIV_ERROR g_quark_from_static_string("ebpflow-privileges")
#define CAP(c) (1ull << (c))

/* capset() with these effective and permitted sets, and no inheritable ones. */
static int set_caps(uint64_t effective, uint64_t permitted)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	d[0].effective = (uint32_t)effective;
	d[1].effective = (uint32_t)(effective >> 32);
	d[0].permitted = (uint32_t)permitted;
	d[1].permitted = (uint32_t)(permitted >> 32);
	return syscall(SYS_capset, &h, d);
}

static void get_caps(uint64_t *effective, uint64_t *permitted)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d) != 0)
		memset(d, 0, sizeof(d));
	*effective = d[0].effective | (uint64_t)d[1].effective << 32;
	*permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
}

static gboolean fail(GError **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static gboolean fail(GError **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err)
		*err = g_error_new_valist(PRIV_ERROR, 1, fmt, ap);
	va_end(ap);
	return FALSE;
}

/* The account of user, or NULL with err set. */
static struct passwd *account(const char *user, GError **err)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw && errno)
		fail(err, "[service] user: cannot look %s up: %s", user, g_strerror(errno));
	else if (!pw)
		fail(err, "[service] user: no user '%s' on this host (systemd/ebpflow.sysusers "
			  "creates 'ebpflow')", user);
	return pw;
}

gboolean privileges_check(const char *user, GError **err)
{
	uint64_t eff, perm;
	struct passwd *pw;

	if (!user)
		return TRUE;
	pw = account(user, err);
	if (!pw)
		return FALSE;
	get_caps(&eff, &perm);
	if (pw->pw_uid != geteuid() && (~perm & (CAP(CAP_SETUID) | CAP(CAP_SETGID))))
		return fail(err, "[service] user: switching from uid %u to %s (uid %u) needs "
				 "CAP_SETUID and CAP_SETGID: start as root, or as %s",
			    (unsigned int)geteuid(), user, (unsigned int)pw->pw_uid, user);
	return TRUE;
}

/* What one line "Name:\tvalue" of a status file says, as a hexadecimal number. */
static uint64_t status_hex(const char *status, const char *name)
{
	const char *p = strstr(status, name);

	return p ? strtoull(p + strlen(name), NULL, 16) : UINT64_MAX;
}

/*
 * Every thread holds nothing beyond keep (and the bounding set nothing beyond
 * bounding), has no_new_privs, and runs as uid.
 */
static gboolean verify_threads(uint64_t keep, uint64_t bounding, uid_t uid, GError **err)
{
	static const char *const sets[] = { "\nCapInh:\t", "\nCapPrm:\t", "\nCapEff:\t",
					    "\nCapAmb:\t" };
	DIR *d = opendir("/proc/self/task");
	gboolean ok = TRUE;
	struct dirent *e;
	int threads = 0;

	if (!d)
		return fail(err, "cannot check the threads' capabilities: /proc/self/task: %s",
			    g_strerror(errno));
	while (ok && (e = readdir(d))) {
		char *path, *status = NULL, *comm = NULL;
		unsigned int ruid, euid, suid, fsuid;
		const char *u;

		if (e->d_name[0] == '.')
			continue;
		path = g_strdup_printf("/proc/self/task/%s/status", e->d_name);
		if (!g_file_get_contents(path, &status, NULL, NULL)) {
			g_free(path);
			continue; /* a thread that just ended */
		}
		g_free(path);
		path = g_strdup_printf("/proc/self/task/%s/comm", e->d_name);
		if (g_file_get_contents(path, &comm, NULL, NULL))
			g_strchomp(comm);
		g_free(path);
		for (size_t i = 0; ok && i < G_N_ELEMENTS(sets); i++) {
			uint64_t v = status_hex(status, sets[i]);

			if (v & ~keep)
				ok = fail(err, "thread %s (%s) still holds capabilities (%s%016" PRIx64
						") after the drop",
					  e->d_name, comm ? comm : "?", sets[i] + 1, v);
		}
		if (ok && (status_hex(status, "\nCapBnd:\t") & ~bounding))
			ok = fail(err, "thread %s (%s) kept its bounding set", e->d_name,
				  comm ? comm : "?");
		if (ok && status_hex(status, "\nNoNewPrivs:\t") != 1)
			ok = fail(err, "thread %s (%s) runs without no_new_privs", e->d_name,
				  comm ? comm : "?");
		u = strstr(status, "\nUid:\t");
		if (ok && (!u || sscanf(u, "\nUid:\t%u\t%u\t%u\t%u", &ruid, &euid, &suid, &fsuid) != 4 ||
		     ruid != uid || euid != uid || suid != uid || fsuid != uid))
			ok = fail(err, "thread %s (%s) did not change to uid %u", e->d_name,
				  comm ? comm : "?", (unsigned int)uid);
		threads++;
		g_free(comm);
		g_free(status);
	}
	closedir(d);
	if (ok)
		pr_debug("privileges: %d threads checked\n", threads);
	return ok;
}

gboolean privileges_become(const char *user, GError **err)
{
	uint64_t eff, perm;
	struct passwd *pw;
	gboolean ok = TRUE;
	gid_t *groups;
	int n = 0;

	/*
	 * no_new_privs belongs to each thread and is inherited by the threads
	 * it makes: set now, before any (libzmq's are made before the drop),
	 * so that every thread has it. eBPFlow runs no program, and loading
	 * BPF programs does not need what it forbids (gaining privileges
	 * through execve).
	 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(err, "cannot set no_new_privs: %s", g_strerror(errno));
	if (!user)
		return TRUE;
	pw = account(user, err);
	if (!pw)
		return FALSE;
	if (pw->pw_uid == geteuid())
		return TRUE; /* started as that user (the unit's User=) */
	get_caps(&eff, &perm);
	/* its groups: a runtime's socket may be open to one of them (docker) */
	getgrouplist(pw->pw_name, pw->pw_gid, NULL, &n);
	groups = g_new0(gid_t, n + 1);
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		n = 0;
	/* the permitted set survives the change of uid only with keepcaps */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		ok = fail(err, "cannot keep the capabilities across the change of user: %s",
			  g_strerror(errno));
	/*
	 * glibc applies each of these to every thread of the process, and aborts
	 * if one thread fails where another succeeds: hence now, while the main
	 * thread is the only one (libzmq's threads, for one, give up their
	 * capabilities, CAP_SETUID with them, as soon as they start).
	 */
	if (ok && (setgroups(n, groups) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
		   setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0))
		ok = fail(err, "cannot switch to user %s: %s", pw->pw_name, g_strerror(errno));
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	g_free(groups);
	/* the change of uid emptied the effective set: what it had, until the drop */
	if (ok && set_caps(eff, perm) != 0)
		ok = fail(err, "cannot take the capabilities back as %s: %s", pw->pw_name,
			  g_strerror(errno));
	if (ok)
		pr_info("running as user %s (uid %u), with the capabilities it was started with "
			"until the programs are attached\n", pw->pw_name, (unsigned int)pw->pw_uid);
	return ok;
}

gboolean privileges_drop(int map_fd, GError **err)
{
	uint64_t eff, perm, keep = 0, bounding = UINT64_MAX;
	struct passwd *pw;
	char who[96];
	__u32 key;

	get_caps(&eff, &perm);
	/*
	 * Loading and attaching needed CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN
	 * (or root's all). From here eBPFlow works through the map and link
	 * descriptors it holds, which need no capability on current kernels.
	 * Kernels before 5.19 (Debian 11's 5.10) refuse every bpf() command,
	 * even on a map descriptor already held, to a process without CAP_BPF
	 * when kernel.unprivileged_bpf_disabled is set (Debian's default); 5.19
	 * refuses only the creation of maps and programs (6.1 and 6.12 read
	 * with no capability, seen in their guests). A read is tried with no
	 * effective capability, and where it fails CAP_BPF alone is kept.
	 */
	if (set_caps(0, perm) != 0)
		return fail(err, "cannot drop capabilities: %s", g_strerror(errno));
	if (bpf_map_get_next_key(map_fd, NULL, &key) && errno == EPERM) {
		keep = CAP(CAP_BPF) & perm;
		if (!keep)
			return fail(err, "this kernel lets only CAP_BPF read the BPF maps, and eBPFlow "
					 "was started without it");
	}
	/* dropping the bounding set needs CAP_SETPCAP in the effective set again */
	if (set_caps(perm, perm) != 0)
		return fail(err, "cannot drop capabilities: %s", g_strerror(errno));
	/*
	 * The bounding set can only be emptied with CAP_SETPCAP (root from a
	 * shell). Under the unit, CapabilityBoundingSet= has bounded it already,
	 * and with no new privileges nothing can be gained through it anyway.
	 */
	if (perm & CAP(CAP_SETPCAP)) {
		for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
			if (!(keep & CAP(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
			    errno != EINVAL)
				return fail(err, "cannot drop capability %d from the bounding set: %s",
					    cap, g_strerror(errno));
		bounding = keep;
	}
	/* EINVAL before Linux 4.3, which has no ambient set */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return fail(err, "cannot clear the ambient capabilities: %s", g_strerror(errno));
	if (set_caps(keep, keep) != 0)
		return fail(err, "cannot drop capabilities: %s", g_strerror(errno));
	/*
	 * No core dump of what the maps hold, and no ptrace by another process
	 * of the same user, which would reach the BPF descriptors eBPFlow holds.
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (!verify_threads(keep, bounding, geteuid(), err))
		return FALSE;
	if ((pw = getpwuid(geteuid())))
		snprintf(who, sizeof(who), "user %s (uid %u)", pw->pw_name, (unsigned int)geteuid());
	else
		snprintf(who, sizeof(who), "uid %u", (unsigned int)geteuid());
	pr_info("dropped every capability%s%s, in every thread; running as %s\n",
		keep ? " but CAP_BPF (this kernel lets only CAP_BPF read the BPF maps eBPFlow "
		       "holds)" : "",
		bounding == UINT64_MAX ? "" : " and the bounding set", who);
	return TRUE;
}
