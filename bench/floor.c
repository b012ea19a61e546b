// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-bench-floor: attaches the empty programs of floor.bpf.c to exactly
 * the hooks one tier of eBPFlow uses (exporter/probe.c, choose_programs), the
 * cgroup ones to the cgroup v2 root as eBPFlow attaches them, then waits for
 * SIGTERM or SIGINT. Prints "attached: N" once every program is attached.
 * A third argument, a comma-separated list of program names (floor_egress,
 * ...), keeps only those of the tier: which hooks make the floor.
 *
 *   ebpflow-bench-floor fentry|kprobe|tracepoint CGROUP2_ROOT [PROG,PROG...]
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpflow_floor.skel.h"

enum { EVERY = 7, FENTRY = 1, KPROBE = 2, TRACEPOINT = 4 };

static const struct {
	const char *name;
	int tier;
} tiers[] = { { "fentry", FENTRY }, { "kprobe", KPROBE }, { "tracepoint", TRACEPOINT } };

static bool is_cgroup_hook(enum bpf_attach_type type)
{
	return type == BPF_CGROUP_UDP4_RECVMSG || type == BPF_CGROUP_UDP6_RECVMSG ||
	       type == BPF_CGROUP_INET_SOCK_RELEASE || type == BPF_CGROUP_INET_EGRESS;
}

/* Whether `name` is one of the comma-separated `list`; no list names all. */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	if (!list)
		return true;
	while (p) {
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* The programs of one tier (those listed, if a list is given), loaded; the
 * others are left out. */
static int choose(struct ebpflow_floor *s, int tier, const char *only)
{
	const struct {
		struct bpf_program *prog;
		int tiers;
	} progs[] = {
		{ s->progs.floor_tcp_state, EVERY },
		{ s->progs.floor_proc_exit, EVERY },
		{ s->progs.floor_sock_send, TRACEPOINT },
		{ s->progs.floor_sock_recv, TRACEPOINT },
		{ s->progs.floor_recvmsg4, TRACEPOINT },
		{ s->progs.floor_recvmsg6, TRACEPOINT },
		{ s->progs.floor_egress, TRACEPOINT },
		{ s->progs.floor_release, TRACEPOINT },
		{ s->progs.floor_accept_exit, FENTRY },
		{ s->progs.floor_out4, FENTRY },
		{ s->progs.floor_out6, FENTRY },
		{ s->progs.floor_send4, FENTRY },
		{ s->progs.floor_send6, FENTRY },
		{ s->progs.floor_recv, FENTRY },
		{ s->progs.floor_kp_accept_ret, KPROBE },
		{ s->progs.floor_kp_out4, KPROBE },
		{ s->progs.floor_kp_out6, KPROBE },
		{ s->progs.floor_kp_send4, KPROBE },
		{ s->progs.floor_kp_send6, KPROBE },
		{ s->progs.floor_kp_sent4, KPROBE },
		{ s->progs.floor_kp_sent6, KPROBE },
		{ s->progs.floor_kp_recv, KPROBE },
	};

	/* a program missing from the table would be measured on no tier */
	if (sizeof(progs) / sizeof(progs[0]) != (size_t)s->skeleton->prog_cnt)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		bool on = (progs[i].tiers & tier) && listed(only, bpf_program__name(progs[i].prog));

		bpf_program__set_autoload(progs[i].prog, on);
	}
	return 0;
}

static int attach(struct ebpflow_floor *s, int cgroup_fd)
{
	const struct bpf_object_skeleton *sk = s->skeleton;
	int n = 0;

	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_program *prog = *sk->progs[i].prog;
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		if (is_cgroup_hook(bpf_program__expected_attach_type(prog)))
			link = bpf_program__attach_cgroup(prog, cgroup_fd);
		else
			link = bpf_program__attach(prog);
		if (!link) {
			int err = -errno;

			fprintf(stderr, "ebpflow-bench-floor: cannot attach %s (%s): %s\n",
				bpf_program__name(prog), bpf_program__section_name(prog),
				strerror(-err));
			return err;
		}
		*sk->progs[i].link = link; /* destroyed with the skeleton */
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct ebpflow_floor *s = NULL;
	int tier = 0, cgroup_fd = -1, n, err, sig;
	sigset_t stop;

	for (size_t i = 0; (argc == 3 || argc == 4) && i < sizeof(tiers) / sizeof(tiers[0]); i++)
		if (!strcmp(argv[1], tiers[i].name))
			tier = tiers[i].tier;
	if (!tier) {
		fprintf(stderr, "usage: %s fentry|kprobe|tracepoint CGROUP2_ROOT [PROG,...]\n",
			argv[0]);
		return 2;
	}
	/* blocked from the start, taken by sigwait: no window where one is missed */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	cgroup_fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	s = ebpflow_floor__open();
	if (cgroup_fd < 0 || !s) {
		err = -errno;
		fprintf(stderr, "ebpflow-bench-floor: %s: %s\n", cgroup_fd < 0 ? argv[2] : "open",
			strerror(-err));
		goto out;
	}
	err = choose(s, tier, argc == 4 ? argv[3] : NULL);
	if (!err)
		err = ebpflow_floor__load(s);
	if (err) {
		fprintf(stderr, "ebpflow-bench-floor: cannot load: %s\n", strerror(-err));
		goto out;
	}
	n = attach(s, cgroup_fd);
	err = n < 0 ? n : 0;
	if (err)
		goto out;
	printf("attached: %d\n", n);
	fflush(stdout);
	sigwait(&stop, &sig);
out:
	ebpflow_floor__destroy(s);
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	return err ? 1 : 0;
}
