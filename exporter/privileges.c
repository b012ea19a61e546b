// SPDX-License-Identifier: GPL-2.0-only
/*
 * After attaching, eBPFlow gives up its capabilities: from then on it works
 * through the map and link descriptors it holds (with CAP_BPF alone where the
 * kernel wants it even for those).
 */
#include "privileges.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdint.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

/* capset() with these effective and permitted sets (no inheritable ones). */
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

static uint64_t permitted_now(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	return d[0].permitted | (uint64_t)d[1].permitted << 32;
}

void privileges_drop(int map_fd)
{
	uint64_t permitted = permitted_now(), keep = 0;
	uint64_t bpf_caps = 1ull << CAP_BPF | 1ull << CAP_SYS_ADMIN; /* what bpf_capable() asks */
	int bounded = 0;
	__u32 key;

	/*
	 * Loading and attaching needed CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN
	 * (or root's all). From here eBPFlow works through the map and link
	 * descriptors it holds, which need no capability on current kernels; as
	 * uid 0 it still reaches the runtime sockets and the files it owns.
	 * Kernels before about 6.5 refuse every bpf() command, even on a map
	 * descriptor already held, to a process without CAP_BPF when
	 * kernel.unprivileged_bpf_disabled is set (Debian's default): a read is
	 * tried without CAP_BPF and CAP_SYS_ADMIN (keeping CAP_SETPCAP, which
	 * dropping the bounding set needs), and where it fails CAP_BPF alone is
	 * kept.
	 */
	if (set_caps(permitted & ~bpf_caps, permitted) == 0 &&
	    bpf_map_get_next_key(map_fd, NULL, &key) && errno == EPERM)
		keep = 1ull << CAP_BPF;
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (!(keep & (1ull << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			bounded++;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (set_caps(keep, keep) != 0) {
		pr_warn("cannot drop capabilities: %s; running with what it started with\n",
			strerror(errno));
		return;
	}
	if (keep)
		pr_info("dropped every capability but CAP_BPF%s: this kernel lets only CAP_BPF read "
			"the BPF maps eBPFlow holds\n", bounded ? " and the bounding set" : "");
	else
		pr_info("dropped every capability%s; kept the BPF maps and links it holds and its "
			"uid\n", bounded ? " and the bounding set" : "");
}
