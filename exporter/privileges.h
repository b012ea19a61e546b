/* SPDX-License-Identifier: GPL-2.0-only */
/* Once the programs are attached, eBPFlow needs no capability: it gives them all up. */
#ifndef EBPFLOW_PRIVILEGES_H
#define EBPFLOW_PRIVILEGES_H

/* Drop every capability and the bounding set; says what is kept. */
void privileges_drop(void);

#endif
