// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading and attaching the kernel side: the tier of hooks chosen from what
 * this kernel offers (features.c), its load-time knobs, the programs of that
 * tier, and the maps the exporter reads and writes.
 */
#include "probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <glib.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpflow.skel.h"
#include "tiers.h"
#include "log.h"
#include "mapmem.h"
#include "options.h"
#include "uids.h"

#define PROBE_ERROR g_quark_from_static_string("ebpflow-probe")

static void cache_check(struct probe *p);

struct probe {
	struct ebpflow *skel;
	int cgroup_fd;
	struct tier_plan plan;
};

/* The programs of each tier (the others are not loaded). */
static void choose_programs(struct ebpflow *s, const struct tier_plan *p)
{
	bool fentry = p->tier == EBPFLOW_TIER_FENTRY, kprobe = p->tier == EBPFLOW_TIER_KPROBE;
	bool tp = p->tier == EBPFLOW_TIER_TRACEPOINT;
	struct {
		struct bpf_program *prog;
		bool load;
	} progs[] = {
		/* every tier */
		{ s->progs.tcp_state, true },
		{ s->progs.proc_exit, p->exits },
		{ s->progs.proc_exec, true },
		{ s->progs.proc_fork, true },
		{ s->progs.fcache_flush_cpu, true }, /* attached to nothing: run by probe_flush */
		/* fentry */
		{ s->progs.accept_exit4, fentry && p->accept_args == 4 },
		{ s->progs.accept_exit2, fentry && p->accept_args == 2 },
		{ s->progs.udp_out4, fentry },
		{ s->progs.udp_out6, fentry },
		{ s->progs.udp_send4, fentry },
		{ s->progs.udp_send6, fentry },
		{ s->progs.udp_recv, fentry },
		/* kprobe */
		{ s->progs.accept_ret, kprobe },
		{ s->progs.kp_udp_out4, kprobe },
		{ s->progs.kp_udp_out6, kprobe },
		{ s->progs.kp_udp_send4, kprobe },
		{ s->progs.kp_udp_send6, kprobe },
		{ s->progs.kp_udp_sent4, kprobe },
		{ s->progs.kp_udp_sent6, kprobe },
		{ s->progs.kp_udp_recv, kprobe },
		/* tracepoint (without sock_send_length: accepts at close only) */
		{ s->progs.sock_send, tp && p->udp },
		{ s->progs.sock_recv, tp && p->udp },
		{ s->progs.udp_recvmsg4, tp && p->udp },
		{ s->progs.udp_recvmsg6, tp && p->udp },
		{ s->progs.udp_egress, tp && p->udp },
		{ s->progs.tcp_release, tp },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(progs); i++)
		bpf_program__set_autoload(progs[i].prog, progs[i].load);
	/* a program of the object that is not listed above would be a bug: leave it out */
	if (G_N_ELEMENTS(progs) != s->skeleton->prog_cnt)
		pr_warn("%zu programs listed, %d in the object\n", G_N_ELEMENTS(progs),
			s->skeleton->prog_cnt);
}

static bool is_cgroup_hook(enum bpf_attach_type type)
{
	return type == BPF_CGROUP_UDP4_RECVMSG || type == BPF_CGROUP_UDP6_RECVMSG ||
	       type == BPF_CGROUP_INET_SOCK_RELEASE || type == BPF_CGROUP_INET_EGRESS;
}

static int attach_all(struct probe *p, GError **gerr)
{
	const struct bpf_object_skeleton *sk = p->skel->skeleton;
	int n = 0;

	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_program *prog = *sk->progs[i].prog;
		enum bpf_attach_type type = bpf_program__expected_attach_type(prog);
		struct bpf_link *link;

		if (!bpf_program__autoload(prog) || prog == p->skel->progs.fcache_flush_cpu)
			continue;
		if (is_cgroup_hook(type)) {
			if (p->cgroup_fd < 0)
				continue; /* said at start: what goes uncounted */
			link = bpf_program__attach_cgroup(prog, p->cgroup_fd);
		} else {
			link = bpf_program__attach(prog);
		}
		if (!link) {
			int err = -errno;

			g_set_error(gerr, PROBE_ERROR, -err, "cannot attach %s (%s): %s",
				    bpf_program__name(prog), bpf_program__section_name(prog),
				    strerror(-err));
			return err;
		}
		/* the skeleton owns its links and destroys them with itself */
		*sk->progs[i].link = link;
		n++;
		pr_debug("attached %s (%s)\n", bpf_program__name(prog),
			 bpf_program__section_name(prog));
	}
	return n;
}

/* What the flow map takes here: as the budget computes it, and as the kernel counts it. */
static void log_flow_map(const struct probe *p, uint32_t entries)
{
	int ncpus = libbpf_num_possible_cpus();
	int64_t counted = mapmem_kernel_bytes(bpf_map__fd(p->skel->maps.flows));
	uint64_t bytes = mapmem_flow_map_bytes(entries, ncpus > 0 ? ncpus : 1);
	char kernel[64] = "";

	if (counted >= 0)
		snprintf(kernel, sizeof(kernel), "; the kernel counts %lld", (long long)counted);
	pr_info("flow map: %u flows, %.1f MiB of kernel memory on %d possible CPUs (%llu bytes%s)\n",
		entries, bytes / MIB, ncpus, (unsigned long long)bytes, kernel);
}

int probe_start(struct probe **out, const struct probe_options *o, GError **gerr)
{
	struct probe *p = calloc(1, sizeof(*p));
	struct kernel_features f;
	int err;

	if (!p)
		return -ENOMEM;
	p->cgroup_fd = -1;
	libbpf_set_print(log_libbpf);

	features_probe(&f);
	if (!tier_choose(&f, o->hooks, &p->plan, gerr)) {
		err = (*gerr)->code == EOPNOTSUPP ? -EOPNOTSUPP : -ENOTSUP;
		goto fail;
	}
	tier_log(&f, &p->plan);
	p->cgroup_fd = cgroup2_root_open();

	p->skel = ebpflow__open();
	if (!p->skel) {
		err = -errno;
		g_set_error(gerr, PROBE_ERROR, -err, "cannot open the BPF object: %s",
			    strerror(-err));
		goto fail;
	}
	p->skel->rodata->ebpflow_self_tgid = getpid();
	p->skel->rodata->ebpflow_tier = p->plan.tier;
	p->skel->rodata->accept_at_first_use = p->plan.accept_first_use;
	p->skel->rodata->conn_in_sk_storage = p->plan.conn_sk_storage;
	p->skel->rodata->ebpflow_cmdline_bytes = o->cmdline_bytes;
	p->skel->rodata->ebpflow_dns_capture = o->dns_answers;
	/* a budget the map cannot hold anyway costs a look-up per new flow for nothing */
	p->skel->rodata->ebpflow_uid_budget = o->uid_budget < o->map_entries ? o->uid_budget : 0;
	if (p->plan.conn_prealloc &&
	    (bpf_map__set_map_flags(p->skel->maps.conn_hash, 0) ||
	     bpf_map__set_max_entries(p->skel->maps.conn_hash, EBPFLOW_CONN_MAX_PREALLOC)))
		pr_warn("cannot size the connections hash for this kernel's kprobes\n");
	err = bpf_map__set_max_entries(p->skel->maps.flows, o->map_entries);
	if (err) {
		g_set_error(gerr, PROBE_ERROR, -err, "cannot size the flow map: %s", strerror(-err));
		goto fail;
	}
	/* without names, the ring is never written: one page, the least a ring takes */
	if (!o->dns_answers)
		bpf_map__set_max_entries(p->skel->maps.dns_answers, getpagesize());
	choose_programs(p->skel, &p->plan);
	err = ebpflow__load(p->skel);
	if (err) {
		g_set_error(gerr, PROBE_ERROR, -err, "cannot load the BPF programs: %s%s",
			    strerror(-err),
			    err == -EPERM ? " (eBPFlow must run as root, or with CAP_BPF, CAP_PERFMON "
					    "and CAP_NET_ADMIN)" : "");
		goto fail;
	}
	cache_check(p);
	err = attach_all(p, gerr);
	if (err < 0)
		goto fail;
	pr_info("attached %d programs\n", err);
	log_flow_map(p, o->map_entries);
	*out = p;
	return 0;
fail:
	probe_destroy(p);
	return err < 0 ? err : -EINVAL;
}

/*
 * A kernel that will not run the flush must not cache (calls would wait in a
 * slot until their CPU counts another flow): every slot is marked in use for
 * good, so each call goes to the map, as before the cache.
 */
static void cache_check(struct probe *p)
{
	int fd = bpf_map__fd(p->skel->maps.flow_cache);
	int ncpu = libbpf_num_possible_cpus(), r = probe_flush(p);
	struct fcache_slot *slots;

	if (r >= 0 || ncpu < 0)
		return;
	pr_warn("the kernel will not run the flow cache's flush (%s): every call goes to the flow "
		"map\n", strerror(-r));
	slots = calloc(ncpu, sizeof(*slots));
	if (!slots)
		return;
	for (int c = 0; c < ncpu; c++)
		slots[c].busy = 1;
	for (__u32 i = 0; i < FCACHE_SLOTS; i++)
		bpf_map_update_elem(fd, &i, slots, BPF_ANY);
	free(slots);
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

int probe_dns_fd(const struct probe *p)
{
	return bpf_map__fd(p->skel->maps.dns_answers);
}

int probe_exits_fd(const struct probe *p)
{
	return bpf_map__fd(p->skel->maps.exits);
}

int probe_procs_fd(const struct probe *p)
{
	return bpf_map__fd(p->skel->maps.procs);
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
	/* the cached flows passed the old filter: emptied, their next calls meet this one */
	err = probe_flush(p);
	return err < 0 ? err : 0;
}

int probe_read_uids(const struct probe *p, struct uids *u)
{
	int fd = bpf_map__fd(p->skel->maps.uid_usage);
	__u32 key, next;
	const __u32 *prev = NULL;
	struct uid_usage v;

	/* a few uids, never deleted: a plain walk */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &v) == 0)
			uids_set_kernel(u, next, &v);
		key = next;
		prev = &key;
	}
	return 0;
}

int probe_release_uid(const struct probe *p, uint32_t uid, uint64_t released)
{
	__u64 v = released;

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.uid_released), &uid, &v, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * Run the flush on one CPU (an interrupt there, Linux 5.10): 0 when its
 * slots are empty, 1 when one was in use, -errno when the kernel would not
 * run it (-ENXIO: the CPU is offline).
 */
static int flush_on(int prog_fd, int cpu)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	if (err)
		return err < 0 ? err : -EINVAL;
	return opts.retval ? 1 : 0;
}

int probe_flush(const struct probe *p)
{
	int fd = bpf_program__fd(p->skel->progs.fcache_flush_cpu);
	int ncpu = libbpf_num_possible_cpus(), pending = 0;

	if (ncpu < 0)
		return ncpu;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		int r = flush_on(fd, cpu);

		/* a slot in use is left within microseconds: ask again, yielding */
		for (int tries = 0; r == 1 && tries < 1000; tries++) {
			sched_yield();
			r = flush_on(fd, cpu);
		}
		if (r == -ENXIO)
			continue; /* offline: its slots wait for it to come back */
		if (r < 0)
			return r;
		pending += r;
	}
	return pending;
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
