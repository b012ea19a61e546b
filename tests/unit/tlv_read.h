/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the unit tests: walk nDPI TLV as ntopng's parser does (ntopng_tlv.h
 * has the layout), written from the format. Only what eBPFlow writes is
 * accepted: integer or string keys, unsigned, float or string values.
 */
#ifndef EBPFLOW_TLV_READ_H
#define EBPFLOW_TLV_READ_H

#include <stddef.h>
#include <stdint.h>

/* bytes of one key or value of type t at p (len bytes left), or -1 */
static inline long tlv_read_field(unsigned int t, const unsigned char *p, size_t len)
{
	static const long width[] = { [2] = 1, [3] = 2, [4] = 4, [5] = 8, [10] = 4 };

	if ((t >= 2 && t <= 5) || t == 10)
		return (size_t)width[t] <= len ? width[t] : -1;
	if (t == 11 && len >= 2 && (size_t)(p[0] << 8 | p[1]) + 2 <= len)
		return (p[0] << 8 | p[1]) + 2;
	return -1;
}

/*
 * The records of a message (its 01 01 start checked), or -1 if anything is
 * not as eBPFlow writes it: a record cut short, a type ntopng drops.
 */
static inline long tlv_count_records(const unsigned char *msg, size_t len)
{
	size_t at = 2;
	long records = 0, items = 0, n;

	if (len < 2 || msg[0] != 1 || msg[1] != 1)
		return -1;
	while (at < len) {
		unsigned int kt = msg[at] >> 4, vt = msg[at] & 0xf;

		at++;
		if (kt == 0 && vt == 1) { /* the end of a record */
			if (!items)
				return -1;
			records++, items = 0;
			continue;
		}
		if (kt == 5 || kt == 10 || (n = tlv_read_field(kt, msg + at, len - at)) < 0)
			return -1; /* a 64-bit or float key does not exist */
		at += n;
		if ((n = tlv_read_field(vt, msg + at, len - at)) < 0)
			return -1;
		at += n;
		items++;
	}
	return items ? -1 : records;
}

#endif
