// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a container runtime's reply (containers_parse_inspect). */
#include <stdint.h>

#include "containers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256];

	containers_parse_inspect((const char *)data, size, name, sizeof(name));
	return 0;
}
