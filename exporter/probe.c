// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading and attaching the kernel side, chosen by probing, never by kernel
 * version: each event source is used where this kernel has it, and a missing
 * one is named with what it costs the user (which events go uncounted).
 */
#include "probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <glib.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpflow.skel.h"
#include "log.h"
#include "options.h"

struct probe {
	struct ebpflow *skel;
	int cgroup_fd;
	uint32_t map_entries;
};

static bool btf_has_tracepoint(const struct btf *vmlinux, const char *name)
{
	char type[128];

	/* every raw tracepoint has a btf_trace_<name> typedef in the kernel BTF */
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) >= 0;
}

/* The cgroup v2 root, where the socket-address hooks see every process. */
static int open_cgroup2_root(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], mnt[4096];
	int fd = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - cgroup2 ");
		unsigned int dummy;

		if (!sep || sscanf(line, "%u %u %*s %*s %4095s", &dummy, &dummy, mnt) != 3)
			continue;
		fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			pr_debug("cgroup v2 root: %s\n", mnt);
			break;
		}
	}
	fclose(f);
	return fd;
}

static void disable(struct bpf_program *prog)
{
	bpf_program__set_autoload(prog, false);
}

/* Choose the programs this kernel can run; an error if nothing useful is left. */
static int choose_programs(struct probe *p)
{
	struct ebpflow *s = p->skel;
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool state, io, exits, cgroup;

	if (!vmlinux) {
		pr_err("this kernel exposes no BTF (/sys/kernel/btf/vmlinux): eBPFlow needs a kernel "
		       "built with CONFIG_DEBUG_INFO_BTF=y\n");
		return -ENOTSUP;
	}
	state = btf_has_tracepoint(vmlinux, "inet_sock_set_state");
	io = btf_has_tracepoint(vmlinux, "sock_send_length") &&
	     btf_has_tracepoint(vmlinux, "sock_recv_length");
	exits = btf_has_tracepoint(vmlinux, "sched_process_exit");
	btf__free(vmlinux);
	p->cgroup_fd = open_cgroup2_root();
	cgroup = p->cgroup_fd >= 0;

	if (!state) {
		pr_warn("no inet_sock_set_state tracepoint: TCP connects and accepts will not be "
			"counted\n");
		disable(s->progs.tcp_state);
	}
	if (!io) {
		pr_warn("no sock:sock_send_length/sock_recv_length tracepoints (Linux >= 6.3): "
			"UDP sends and receives will not be counted, accepts only at close\n");
		disable(s->progs.sock_send);
		disable(s->progs.sock_recv);
	}
	if (!cgroup)
		pr_warn("no cgroup v2 hierarchy: the peers of unconnected UDP sockets will be "
			"unknown, and accepts count only at the first send or receive\n");
	if (!cgroup || !io) {
		disable(s->progs.udp_sendmsg4);
		disable(s->progs.udp_sendmsg6);
		disable(s->progs.udp_recvmsg4);
		disable(s->progs.udp_recvmsg6);
	}
	if (!cgroup || !state)
		disable(s->progs.tcp_release);
	if (!exits) {
		pr_warn("no sched_process_exit tracepoint: flows end by idle timeout only\n");
		disable(s->progs.proc_exit);
	}
	if (!state && !io) {
		pr_err("this kernel offers none of the hooks eBPFlow uses\n");
		return -ENOTSUP;
	}
	return 0;
}

static int attach_all(struct probe *p)
{
	const struct bpf_object_skeleton *sk = p->skel->skeleton;
	int n = 0;

	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_program *prog = *sk->progs[i].prog;
		enum bpf_attach_type type = bpf_program__expected_attach_type(prog);
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		if (type == BPF_CGROUP_UDP4_SENDMSG || type == BPF_CGROUP_UDP6_SENDMSG ||
		    type == BPF_CGROUP_UDP4_RECVMSG || type == BPF_CGROUP_UDP6_RECVMSG ||
		    type == BPF_CGROUP_INET_SOCK_RELEASE)
			link = bpf_program__attach_cgroup(prog, p->cgroup_fd);
		else
			link = bpf_program__attach(prog);
		if (!link) {
			int err = -errno;

			pr_err("cannot attach %s (%s): %s\n", bpf_program__name(prog),
			       bpf_program__section_name(prog), strerror(-err));
			return err;
		}
		/* the skeleton owns its links and destroys them with itself */
		*sk->progs[i].link = link;
		n++;
		pr_debug("attached %s\n", bpf_program__section_name(prog));
	}
	return n;
}

int probe_start(struct probe **out, const struct probe_options *o)
{
	struct probe *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->cgroup_fd = -1;
	p->map_entries = o->map_entries;
	libbpf_set_print(log_libbpf);

	p->skel = ebpflow__open();
	if (!p->skel) {
		err = -errno;
		pr_err("cannot open the BPF object: %s\n", strerror(-err));
		goto fail;
	}
	p->skel->rodata->ebpflow_self_tgid = getpid();
	err = bpf_map__set_max_entries(p->skel->maps.flows, o->map_entries);
	if (err)
		goto fail;
	err = choose_programs(p);
	if (err)
		goto fail;
	err = ebpflow__load(p->skel);
	if (err) {
		pr_err("cannot load the BPF programs: %s%s\n", strerror(-err),
		       err == -EPERM ? " (eBPFlow must run as root, or with CAP_BPF, CAP_PERFMON "
				       "and CAP_NET_ADMIN)" : "");
		goto fail;
	}
	err = attach_all(p);
	if (err < 0)
		goto fail;
	pr_info("attached %d programs; flow map holds %u flows\n", err, o->map_entries);
	*out = p;
	return 0;
fail:
	probe_destroy(p);
	return err < 0 ? err : -EINVAL;
}

void probe_detach(struct probe *p)
{
	if (p && p->skel)
		ebpflow__detach(p->skel);
}

void probe_destroy(struct probe *p)
{
	if (!p)
		return;
	ebpflow__destroy(p->skel);
	if (p->cgroup_fd >= 0)
		close(p->cgroup_fd);
	free(p);
}

int probe_flows_fd(const struct probe *p)
{
	return bpf_map__fd(p->skel->maps.flows);
}

int probe_cgroups_fd(const struct probe *p)
{
	return bpf_map__fd(p->skel->maps.cgroups);
}

int probe_exits_fd(const struct probe *p)
{
	return bpf_map__fd(p->skel->maps.exits);
}

uint32_t probe_map_entries(const struct probe *p)
{
	return p->map_entries;
}

/* Replace the contents of a set map with items. */
static int fill_set(struct bpf_map *map, const GArray *items)
{
	int fd = bpf_map__fd(map);
	__u32 next;
	__u8 one = 1;

	/* empty it, first key each time (a set holds at most a few thousand) */
	while (bpf_map_get_next_key(fd, NULL, &next) == 0)
		if (bpf_map_delete_elem(fd, &next))
			return -errno;
	for (guint i = 0; i < items->len; i++) {
		__u32 v = g_array_index(items, uint32_t, i);

		if (bpf_map_update_elem(fd, &v, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

int probe_set_filter(struct probe *p, const struct ebpflow_filter *f)
{
	struct filter_cfg cfg = { 0 };
	__u32 zero = 0;
	int err;

	if (f->pids->len > EBPFLOW_FILTER_MAX_ITEMS || f->uids->len > EBPFLOW_FILTER_MAX_ITEMS ||
	    f->ports->len > EBPFLOW_FILTER_MAX_ITEMS) {
		pr_err("a filter list holds more than %d items\n", EBPFLOW_FILTER_MAX_ITEMS);
		return -E2BIG;
	}
	/* off while the sets change, so that no call meets a half-made filter */
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.filter_cfg), &zero, &cfg, BPF_ANY))
		return -errno;
	if ((err = fill_set(p->skel->maps.filter_pids, f->pids)) ||
	    (err = fill_set(p->skel->maps.filter_uids, f->uids)) ||
	    (err = fill_set(p->skel->maps.filter_ports, f->ports)))
		return err;
	cfg.flags = (f->pids->len ? EBPFLOW_FILTER_PIDS : 0) |
		    (f->uids->len ? EBPFLOW_FILTER_UIDS : 0) |
		    (f->ports->len ? EBPFLOW_FILTER_PORTS : 0) |
		    (f->protocols ? EBPFLOW_FILTER_PROTOCOLS : 0) |
		    (f->directions ? EBPFLOW_FILTER_DIRECTIONS : 0);
	cfg.protocols = f->protocols;
	cfg.directions = f->directions;
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.filter_cfg), &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

int probe_read_stats(const struct probe *p, uint64_t out[EBPFLOW_STAT__MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(p->skel->maps.stats);
	uint64_t *vals;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t i = 0; i < EBPFLOW_STAT__MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals) == 0)
			for (int c = 0; c < ncpu; c++)
				out[i] += vals[c];
	}
	free(vals);
	return 0;
}
