// SPDX-License-Identifier: GPL-2.0-only
/*
 * The map is read with BPF_MAP_LOOKUP_BATCH where the kernel has it (one
 * system call per few thousand flows), else key by key. A pass only reads:
 * live flows stay in the kernel (flowtable.c says why). Entries are deleted
 * here only when the flow table asks: an idle flow by an atomic
 * read-and-delete (drain_take), the flows of exited processes in batches once
 * nothing more can come (drain_forget), and the exit notices once read.
 */
#include "drain.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define DRAIN_BATCH 16384

struct drain {
	int fd;
	int ncpu;
	size_t stride; /* bytes of one CPU's value: rounded up to 8 by the kernel */
	uint32_t batch;
	bool use_batch;
	struct flow_key *keys;
	void *values;
};

struct drain *drain_new(int map_fd)
{
	struct drain *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->fd = map_fd;
	d->ncpu = libbpf_num_possible_cpus();
	d->stride = (sizeof(struct flow_value) + 7) & ~(size_t)7;
	d->batch = DRAIN_BATCH;
	d->use_batch = true;
	d->keys = calloc(d->batch, sizeof(*d->keys));
	d->values = calloc((size_t)d->batch * d->ncpu, d->stride);
	if (d->ncpu <= 0 || !d->keys || !d->values) {
		drain_free(d);
		return NULL;
	}
	return d;
}

void drain_free(struct drain *d)
{
	if (!d)
		return;
	free(d->keys);
	free(d->values);
	free(d);
}

static void feed(struct drain *d, struct flowtable *ft, const struct flow_key *k, const void *vals)
{
	struct flow_totals t;

	if (flow_merge_percpu(vals, d->stride, d->ncpu, &t))
		flowtable_update(ft, k, &t);
}

static int pass_batch(struct drain *d, struct flowtable *ft)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct flow_key in_batch, out_batch;
	bool first = true;
	int total = 0;

	for (;;) {
		__u32 count = d->batch;
		int err = bpf_map_lookup_batch(d->fd, first ? NULL : &in_batch, &out_batch, d->keys,
					       d->values, &count, &opts);

		if (err)
			err = -errno;
		for (__u32 i = 0; i < count; i++)
			feed(d, ft, &d->keys[i], (char *)d->values + (size_t)i * d->ncpu * d->stride);
		total += count;
		if (err == -ENOENT)
			return total; /* the whole map was read */
		if (err)
			return err;
		in_batch = out_batch;
		first = false;
	}
}

static int pass_keys(struct drain *d, struct flowtable *ft)
{
	struct flow_key key, next;
	const struct flow_key *prev = NULL;
	int total = 0;

	while (bpf_map_get_next_key(d->fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(d->fd, &next, d->values) == 0) {
			feed(d, ft, &next, d->values);
			total++;
		}
		key = next;
		prev = &key;
	}
	return total;
}

int drain_pass(struct drain *d, struct flowtable *ft)
{
	flowtable_begin_pass(ft);
	if (d->use_batch) {
		int n = pass_batch(d, ft);

		if (n != -EINVAL && n != -ENOTSUP && n != -EOPNOTSUPP)
			return n;
		pr_info("this kernel cannot read the flow map in batches; reading it key by key\n");
		d->use_batch = false;
	}
	return pass_keys(d, ft);
}

void drain_forget(const struct flow_key *keys, size_t n, void *ctx)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct drain *d = ctx;

	while (n) {
		__u32 count = n > UINT32_MAX ? UINT32_MAX : (__u32)n;

		/* one system call for them all; key by key where batches are missing */
		if (bpf_map_delete_batch(d->fd, keys, &count, &opts) && errno != ENOENT &&
		    count == 0) {
			for (size_t i = 0; i < n; i++)
				bpf_map_delete_elem(d->fd, &keys[i]);
			return;
		}
		if (count == 0)
			count = 1; /* a key already gone: skip it */
		keys += count;
		n -= count;
	}
}

bool drain_take(const struct flow_key *key, struct flow_totals *final, void *ctx)
{
	struct drain *d = ctx;

	if (bpf_map_lookup_and_delete_elem(d->fd, key, d->values) != 0) {
		if (errno == ENOENT)
			return false;
		/* kernels before 5.14 cannot do it atomically on per-CPU maps */
		if (bpf_map_lookup_elem(d->fd, key, d->values) != 0)
			return false;
		bpf_map_delete_elem(d->fd, key);
	}
	return flow_merge_percpu(d->values, d->stride, d->ncpu, final);
}

int drain_exits(int exits_fd, GHashTable *procs)
{
	struct proc_key key, next;
	const struct proc_key *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(exits_fd, prev, &next) == 0) {
		g_hash_table_add(procs, g_memdup2(&next, sizeof(next)));
		key = next;
		prev = &key;
		n++;
	}
	/* delete after the walk: deleting while walking can restart it */
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, procs);
	while (g_hash_table_iter_next(&it, &k, NULL))
		bpf_map_delete_elem(exits_fd, k);
	return n;
}
