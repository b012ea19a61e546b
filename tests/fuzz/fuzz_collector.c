// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: ebpflow-collector's decoding of an IPFIX stream. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decode.h"

/* The records it decodes go to stdout as JSON: away, or writing them is all
 * the fuzzer does (8 inputs a second, a decoded record per line). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!freopen("/dev/null", "w", stdout))
		return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("ebpflow-fuzz.ipfix", MFD_CLOEXEC);
	GError *err = NULL;
	char path[64];

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		collector_read_file(path, EBPFLOW_PEN_DEFAULT, &err);
		g_clear_error(&err);
	}
	close(fd);
	return 0;
}
