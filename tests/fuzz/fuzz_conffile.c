// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: ebpflow.conf parsing (conffile.c) on any bytes. */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conffile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("ebpflow-fuzz.conf", MFD_CLOEXEC);
	struct ebpflow_config c;
	GError *err = NULL;
	char path[64];

	if (fd < 0)
		return 0;
	fchmod(fd, 0600); /* a writable file would be refused before parsing */
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		config_defaults(&c);
		conffile_load(path, &c, &err);
		g_clear_error(&err);
		config_clear(&c);
	}
	close(fd);
	return 0;
}
