// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a container runtime's reply (containers_parse_inspect). */
#include <glib.h>
#include <stdint.h>

#include "containers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_free(containers_parse_inspect((const char *)data, size));
	return 0;
}
