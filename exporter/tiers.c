// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tier of hooks to run, chosen from the kernel's features (features.c)
 * and the --hooks asked for, and what it counts: a pure choice, unit-tested
 * with made-up kernels.
 */
#include "tiers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define TIERS_ERROR g_quark_from_static_string("ebpflow-tiers")

const char *tier_name(enum ebpflow_tier t)
{
	switch (t) {
	case EBPFLOW_TIER_FENTRY:
		return "fentry";
	case EBPFLOW_TIER_KPROBE:
		return "kprobe";
	case EBPFLOW_TIER_TRACEPOINT:
		return "tracepoint";
	}
	return "none";
}

/* Why a tier cannot run here, or NULL when it can. */
static const char *tier_missing(const struct kernel_features *f, enum ebpflow_tier t, char *buf,
				size_t len)
{
	if (!f->btf)
		return "the kernel exposes no BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)";
	if (!f->tp_state)
		return "the kernel has no sock:inet_sock_set_state tracepoint";
	switch (t) {
	case EBPFLOW_TIER_FENTRY:
	case EBPFLOW_TIER_KPROBE:
		if (t == EBPFLOW_TIER_FENTRY && !f->fentry) {
			snprintf(buf, len, "fentry: %s", f->fentry_why);
			return buf;
		}
		if (t == EBPFLOW_TIER_KPROBE && !f->kprobe) {
			snprintf(buf, len, "kprobes: %s", f->kprobe_why);
			return buf;
		}
		if (f->missing_fn) {
			snprintf(buf, len, "the kernel's BTF has no function %s", f->missing_fn);
			return buf;
		}
		if (f->accept_args != 2 && f->accept_args != 4) {
			snprintf(buf, len, "inet_csk_accept has %d arguments, not 2 or 4",
				 f->accept_args);
			return buf;
		}
		return NULL;
	case EBPFLOW_TIER_TRACEPOINT:
		if (!f->tp_io)
			return "no sock:sock_send_length/sock_recv_length tracepoints (Linux 6.3)";
		if (!f->cgroup2)
			return "no cgroup v2 hierarchy to attach the socket hooks to";
		if (!f->sk_storage_tracing)
			return "tracing programs cannot use socket storage";
		return NULL;
	}
	return "no such tier";
}

static void plan_tier(const struct kernel_features *f, enum ebpflow_tier t, struct tier_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->tier = t;
	p->udp = true;
	p->accept_first_use = t == EBPFLOW_TIER_TRACEPOINT;
	p->recv_peer_always = t != EBPFLOW_TIER_TRACEPOINT;
	p->exits = f->tp_exit;
	/* kprobes may not use socket storage: no overflow for the connections hash */
	p->conn_sk_storage = f->sk_storage_tracing && t != EBPFLOW_TIER_KPROBE;
	/*
	 * Before 6.1 a kprobe program that uses a hash map allocating at run
	 * time loads with a kernel WARNING ("trace type BPF program uses
	 * run-time allocation", a panic where panic_on_warn is set): there the
	 * hash is allocated whole at load, and smaller.
	 */
	p->conn_prealloc = t == EBPFLOW_TIER_KPROBE && !f->hash_any_context;
	p->accept_args = f->accept_args;
}

gboolean tier_choose(const struct kernel_features *f, enum hook_tier want, struct tier_plan *p,
		     GError **err)
{
	static const enum ebpflow_tier order[] = { EBPFLOW_TIER_FENTRY, EBPFLOW_TIER_KPROBE,
						   EBPFLOW_TIER_TRACEPOINT };
	char buf[256];
	const char *why;

	if (want != HOOKS_AUTO) {
		why = tier_missing(f, (enum ebpflow_tier)want, buf, sizeof(buf));
		if (why) {
			g_set_error(err, TIERS_ERROR, EOPNOTSUPP,
				    "--hooks %s: this kernel (%s) cannot run that tier: %s",
				    tier_name((enum ebpflow_tier)want), f->release, why);
			return FALSE;
		}
		plan_tier(f, (enum ebpflow_tier)want, p);
		return TRUE;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
		if (!tier_missing(f, order[i], buf, sizeof(buf))) {
			plan_tier(f, order[i], p);
			return TRUE;
		}
	}
	/* what is left: TCP from the state tracepoint, accepts at their close */
	if (f->btf && f->tp_state) {
		plan_tier(f, EBPFLOW_TIER_TRACEPOINT, p);
		p->udp = false;
		p->accept_close_only = true;
		p->recv_peer_always = false;
		return TRUE;
	}
	g_set_error(err, TIERS_ERROR, ENOTSUP, "this kernel (%s) offers none of the hooks eBPFlow uses: %s",
		    f->release, tier_missing(f, EBPFLOW_TIER_TRACEPOINT, buf, sizeof(buf)));
	return FALSE;
}

void tier_log(const struct kernel_features *f, const struct tier_plan *p)
{
	char buf[256];
	const char *no_fentry = tier_missing(f, EBPFLOW_TIER_FENTRY, buf, sizeof(buf));

	pr_info("kernel %s: %s tier%s%s%s\n", f->release, tier_name(p->tier),
		p->tier != EBPFLOW_TIER_FENTRY && no_fentry ? " (no fentry tier: " : "",
		p->tier != EBPFLOW_TIER_FENTRY && no_fentry ? no_fentry : "",
		p->tier != EBPFLOW_TIER_FENTRY && no_fentry ? ")" : "");
	if (p->accept_close_only && !f->cgroup2)
		pr_warn("counting TCP connects only: accepts need a cgroup v2 hierarchy here\n");
	else if (p->accept_close_only)
		pr_info("counting TCP connects, and accepts when the accepted socket is closed\n");
	else
		pr_info("counting TCP connects and accepts (%s), UDP sends and receives (%s); "
			"each connection's bytes, or its failure, when it closes\n",
			p->accept_first_use ? "an accept at the first send, receive or close of "
					      "the accepted socket"
					    : "an accept in the accepting process",
			p->recv_peer_always ? "the sender of every datagram"
					    : "the sender of a recv() without an address on an "
					      "unconnected socket is not known on this tier");
	if (!p->udp)
		pr_warn("not counting UDP sends and receives: this kernel has neither fentry, "
			"kprobes, nor the sock_send_length/sock_recv_length tracepoints "
			"(Linux 6.3)\n");
	if (!p->exits)
		pr_warn("no sched_process_exit tracepoint: flows end by idle timeout only\n");
}
