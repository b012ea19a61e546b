// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a CRI runtime's OCI spec (oci_parse_spec), both flavours. */
#include <glib.h>
#include <stdint.h>

#include "oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the first byte chooses the flavour and whether a pod uid is checked */
	const char *uid = "6f1c2a7e-4b3d-4e5f-8a9b-0c1d2e3f4a5b";
	uint8_t how = size ? data[0] : 0;

	if (size)
		data++, size--;
	g_free(oci_parse_spec((const char *)data, size, how & 1 ? OCI_CRIO : OCI_CONTAINERD,
			      how & 2 ? uid : "", NULL));
	return 0;
}
