// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpflow-bench-streaming: the user-space half of the streaming baseline.
 * Reads every event from the ring buffer and aggregates it into flows, as a
 * streaming exporter must. At SIGINT/SIGTERM prints "name: value" lines:
 * events received and dropped, flows, and its own CPU time.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "baseline.skel.h"
#include "streaming.h"

struct agg_key {
	__u32 pid;
	__u32 laddr, raddr;
	__u16 port;
	__u8 direction;
	__u8 pad;
};

struct agg {
	__u64 count, bytes, first_ns, last_ns;
};

static volatile sig_atomic_t stop;
static GHashTable *flows;
static __u64 received;

static void on_signal(int sig)
{
	stop = 1;
}

static guint key_hash(gconstpointer p)
{
	return g_int_hash(p) ^ ((const struct agg_key *)p)->raddr ^ ((const struct agg_key *)p)->port;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct agg_key)) == 0;
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct stream_event *e = data;
	struct agg_key k = { .pid = e->pid, .direction = e->direction };
	struct agg *a;

	k.laddr = e->direction ? e->raddr : e->laddr;
	k.raddr = e->direction ? e->laddr : e->raddr;
	k.port = e->direction ? e->lport : e->rport;
	a = g_hash_table_lookup(flows, &k);
	if (!a) {
		struct agg_key *kk = g_memdup2(&k, sizeof(k));

		a = g_new0(struct agg, 1);
		a->first_ns = e->ts_ns;
		g_hash_table_insert(flows, kk, a);
	}
	a->count++;
	a->bytes += e->bytes;
	a->last_ns = e->ts_ns;
	received++;
	return 0;
}

int main(void)
{
	struct baseline *skel = baseline__open();
	struct ring_buffer *rb;
	__u64 dropped = 0, vals[256];
	__u32 zero = 0;
	struct rusage ru;
	int ncpu = libbpf_num_possible_cpus();

	if (!skel)
		return 1;
	skel->rodata->self_tgid = getpid();
	if (baseline__load(skel) || baseline__attach(skel)) {
		fprintf(stderr, "ebpflow-bench-streaming: cannot load or attach\n");
		return 1;
	}
	flows = g_hash_table_new_full(key_hash, key_equal, g_free, g_free);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "ebpflow-bench-streaming: watching\n");
	while (!stop)
		ring_buffer__poll(rb, 100);
	baseline__detach(skel);
	ring_buffer__consume(rb);
	if (ncpu > 0 && ncpu <= 256 &&
	    bpf_map_lookup_elem(bpf_map__fd(skel->maps.drops), &zero, vals) == 0)
		for (int i = 0; i < ncpu; i++)
			dropped += vals[i];
	getrusage(RUSAGE_SELF, &ru);
	printf("events_received: %llu\nevents_dropped: %llu\nflows: %u\ncpu_s: %.3f\n",
	       (unsigned long long)received, (unsigned long long)dropped,
	       g_hash_table_size(flows),
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		       ru.ru_stime.tv_usec / 1e6);
	ring_buffer__free(rb);
	baseline__destroy(skel);
	g_hash_table_destroy(flows);
	return 0;
}
