// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's features, found by trying what eBPFlow will do: a fentry
 * program is loaded and attached (on some kernels fentry programs load and
 * never attach, on others they do not even load), a kprobe is attached
 * (kprobe programs load where CONFIG_KPROBES is off), a tracing program that
 * uses socket storage is loaded; tracepoints and functions are looked up in
 * the kernel's BTF. The tier chosen from them is tiers.c's.
 */
#include "tiers.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ebpflow_probe.skel.h"
#include "log.h"

/* The functions the fentry and kprobe tiers hook (fentry.bpf.c, kprobe.bpf.c). */
static const char *const hooked_functions[] = {
	"inet_csk_accept", "udp_sendmsg", "udpv6_sendmsg", "ip_send_skb", "ip6_send_skb",
	"skb_consume_udp",
};

int cgroup2_root_open(void)
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

static bool btf_has_tracepoint(const struct btf *vmlinux, const char *name)
{
	char type[128];

	/* every raw tracepoint has a btf_trace_<name> typedef in the kernel BTF */
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) >= 0;
}

/* A function's number of arguments in BTF, or -1 when BTF does not have it. */
static int btf_func_args(const struct btf *vmlinux, const char *name)
{
	int id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC);
	const struct btf_type *t;

	if (id < 0)
		return -1;
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	return t ? btf_vlen(t) : -1;
}

enum probe_prog { PROBE_FENTRY, PROBE_KPROBE, PROBE_SK_STORAGE };

/*
 * Load the one probe program `which` (and attach it when attaching is the
 * test). 0, or a negative errno with what failed in `why`.
 */
static int try_probe(enum probe_prog which, char *why, size_t len)
{
	struct ebpflow_probe *s = ebpflow_probe__open();
	struct bpf_program *progs[] = { s ? s->progs.probe_fentry : NULL,
					s ? s->progs.probe_kprobe : NULL,
					s ? s->progs.probe_sk_storage : NULL };
	struct bpf_link *link;
	int err;

	if (!s) {
		err = -errno;
		snprintf(why, len, "the probe object does not open: %s", strerror(-err));
		return err;
	}
	for (int i = 0; i < 3; i++)
		bpf_program__set_autoload(progs[i], i == (int)which);
	bpf_map__set_autocreate(s->maps.probe_sk, which == PROBE_SK_STORAGE);
	err = ebpflow_probe__load(s);
	if (err) {
		snprintf(why, len, "a test program does not load: %s", strerror(-err));
		goto out;
	}
	if (which == PROBE_SK_STORAGE)
		goto out;
	link = bpf_program__attach(progs[which]);
	if (!link) {
		err = -errno;
		snprintf(why, len, "a test program loads but does not attach: %s", strerror(-err));
		goto out;
	}
	bpf_link__destroy(link);
out:
	ebpflow_probe__destroy(s);
	return err;
}

void features_probe(struct kernel_features *f)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	libbpf_print_fn_t old;
	struct utsname u;
	int fd;

	memset(f, 0, sizeof(*f));
	if (uname(&u) == 0)
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	fd = cgroup2_root_open();
	f->cgroup2 = fd >= 0;
	if (fd >= 0)
		close(fd);
	if (!vmlinux)
		return;
	f->btf = true;
	f->tp_state = btf_has_tracepoint(vmlinux, "inet_sock_set_state");
	f->tp_io = btf_has_tracepoint(vmlinux, "sock_send_length") &&
		   btf_has_tracepoint(vmlinux, "sock_recv_length");
	f->tp_exit = btf_has_tracepoint(vmlinux, "sched_process_exit");
	/* the allocator that came with 6.1's leave to allocate from any program */
	f->hash_any_context = btf__find_by_name_kind(vmlinux, "bpf_mem_alloc", BTF_KIND_STRUCT) >= 0;
	f->accept_args = btf_func_args(vmlinux, "inet_csk_accept");
	if (f->accept_args < 0)
		f->accept_args = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(hooked_functions); i++)
		if (btf__find_by_name_kind(vmlinux, hooked_functions[i], BTF_KIND_FUNC) < 0) {
			f->missing_fn = hooked_functions[i];
			break;
		}
	btf__free(vmlinux);

	/* the failures are the answers: keep libbpf's messages about them out of the log */
	old = libbpf_set_print(NULL);
	f->fentry = try_probe(PROBE_FENTRY, f->fentry_why, sizeof(f->fentry_why)) == 0;
	f->kprobe = try_probe(PROBE_KPROBE, f->kprobe_why, sizeof(f->kprobe_why)) == 0;
	f->sk_storage_tracing = f->tp_state && try_probe(PROBE_SK_STORAGE, (char[160]){ 0 }, 160) == 0;
	libbpf_set_print(old);
}

