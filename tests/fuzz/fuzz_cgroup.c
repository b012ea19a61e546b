// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: cgroup names and paths (cgroup.c), as the kernel or /proc gives them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *leaf;
	struct cgroup_info ci;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	cgroup_parse_path(s, &ci);
	cgroup_parse_proc_line(s, &ci);
	/* parent and leaf as the kernel side hands them: two strings */
	leaf = memchr(s, '\n', size);
	if (leaf)
		*leaf++ = '\0';
	cgroup_parse_names(s, leaf ? leaf : "", &ci);
	free(s);
	return 0;
}
