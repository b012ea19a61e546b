// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: cgroup paths (cgroup.c), as the kernel side or /proc gives them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct cgroup_names names;
	struct cgroup_info ci;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	cgroup_parse_path(s, &ci);
	cgroup_parse_proc_line(s, &ci);
	free(s);
	/* the kernel side's record as raw bytes: any depth, cut bits, unterminated names */
	memset(&names, 0, sizeof(names));
	memcpy(&names, data, size < sizeof(names) ? size : sizeof(names));
	cgroup_parse_names(&names, &ci);
	return 0;
}
