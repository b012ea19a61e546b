// SPDX-License-Identifier: GPL-2.0-only
/*
 * sd_notify(3) in a few lines: one datagram of "KEY=value" lines to the unix
 * socket systemd names in $NOTIFY_SOCKET (a path, or '@' for the abstract
 * namespace). A new socket per message: they are rare (start, reload, stop),
 * and nothing stays open across the drop of privileges.
 */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

bool notify(const char *state)
{
	static bool warned;
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = path ? strlen(path) : 0;
	ssize_t sent = -1;
	int fd;

	if (!len)
		return false; /* not started by systemd as Type=notify */
	if (len >= sizeof(sa.sun_path) || (path[0] != '/' && path[0] != '@')) {
		errno = EAFNOSUPPORT;
		goto out;
	}
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			      offsetof(struct sockaddr_un, sun_path) + len);
		close(fd);
	}
out:
	if (sent < 0 && !warned) {
		pr_warn("cannot notify systemd at %s: %s\n", path, strerror(errno));
		warned = true;
	}
	return sent >= 0;
}

bool notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	return notify(msg);
}
