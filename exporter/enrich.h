/* SPDX-License-Identifier: GPL-2.0-only */
/* Who made a flow, in words: user names (cached); containers come later. */
#ifndef EBPFLOW_ENRICH_H
#define EBPFLOW_ENRICH_H

#include "flow.h"

struct enrich;

struct enrich *enrich_new(void);
void enrich_free(struct enrich *e);
/* The user name of uid as ps shows it, or the uid in decimal; cached. */
const char *enrich_user(struct enrich *e, uint32_t uid);
/* flow_enrich_fn: ctx is the struct enrich */
void enrich_record(struct flow_record *rec, void *ctx);

#endif
