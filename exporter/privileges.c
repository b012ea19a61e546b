// SPDX-License-Identifier: GPL-2.0-only
/*
 * After attaching, eBPFlow gives up its capabilities: from then on it works
 * through the map and link descriptors it holds.
 */
#include "privileges.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

void privileges_drop(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	int bounded = 0;

	/*
	 * Loading and attaching needed CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN
	 * (or root's all). From here eBPFlow works through the map and link
	 * descriptors it holds, which need no capability, and as uid 0 it still
	 * reaches the runtime sockets and the files it owns.
	 */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			bounded++;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (syscall(SYS_capset, &h, d) != 0) {
		pr_warn("cannot drop capabilities: %s; running with what it started with\n",
			strerror(errno));
		return;
	}
	pr_info("dropped every capability%s; kept the BPF maps and links it holds and its uid\n",
		bounded ? " and the bounding set" : "");
}
