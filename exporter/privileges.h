/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Once the programs are attached, eBPFlow needs no capability (CAP_BPF alone
 * on kernels that want it for the maps it holds): it gives the rest up.
 */
#ifndef EBPFLOW_PRIVILEGES_H
#define EBPFLOW_PRIVILEGES_H

/*
 * Drop every capability and the bounding set, but CAP_BPF where reading
 * map_fd without it fails; says what is kept.
 */
void privileges_drop(int map_fd);

#endif
