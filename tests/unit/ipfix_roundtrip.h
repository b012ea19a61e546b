/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the IPFIX unit tests (test_ipfix.c, test_ipfix_strings.c): records
 * through ipfix.c into messages, the messages into a file, libfixbuf reading
 * them back into internal records.
 */
#ifndef EBPFLOW_TESTS_IPFIX_ROUNDTRIP_H
#define EBPFLOW_TESTS_IPFIX_ROUNDTRIP_H

#include <arpa/inet.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ipfix.h"

#define S 1000000000ull
#define OFFSET ((int64_t)1700000000 * (int64_t)S) /* monotonic 0 = this Unix time */

struct sink {
	GByteArray *bytes;
	unsigned int messages;
	size_t largest;
};

static inline void on_emit(const uint8_t *msg, size_t len, void *ctx)
{
	struct sink *s = ctx;

	g_byte_array_append(s->bytes, msg, len);
	s->messages++;
	if (len > s->largest)
		s->largest = len;
}

static inline struct flow_record make(int v, int inbound, uint32_t pid, uint64_t count)
{
	struct flow_record r = { 0 };

	r.key.direction = inbound ? EBPFLOW_DIR_INBOUND : EBPFLOW_DIR_OUTBOUND;
	r.key.pid = pid;
	r.key.start_ns = 5 * S;
	r.key.ip_version = v;
	r.key.proto = v == 4 ? 6 : 17;
	r.key.port = 5201;
	if (v == 4) {
		inet_pton(AF_INET, "192.0.2.1", r.key.saddr);
		inet_pton(AF_INET, "198.51.100.2", r.key.daddr);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", r.key.saddr);
		inet_pton(AF_INET6, "2001:db8::2", r.key.daddr);
	}
	r.count = count;
	r.bytes = count * 21;
	if (r.key.proto == 6) {
		r.reverse_bytes = count * 1000;
		r.failed = r.key.direction == EBPFLOW_DIR_OUTBOUND ? 1 : 0;
	}
	r.first_ns = 10 * S;
	r.last_ns = 12 * S;
	r.end_ns = r.last_ns;
	r.flow_count = count;
	r.flow_first_ns = 10 * S;
	r.cgroup_id = 4026531835ull;
	r.uid = 65534;
	strcpy(r.comm, "iperf3");
	r.reason = FLOW_END_IDLE;
	r.user = "nobody";
	r.container = "test-client";
	r.container_id = "dd068feb926d6e74e82bee58f85e16f00b0c915dc0e96eff44e86ed5653e9d6e";
	/* the process's own bytes: quotes, a backslash, bytes that are not UTF-8 */
	r.exe = "/usr/bin/iperf3";
	r.cmdline = "iperf3 -c \"198.51.100.2\" -T a\\b \xff\xfe";
	r.ppid = 4242;
	r.parent = "bash";
	return r;
}

static inline uint8_t *copy(const fbVarfield_t *v)
{
	return (uint8_t *)g_strndup(v->len ? (const char *)v->buf : "", v->len);
}

/* Read every flow record of a file back into internal records. */
static inline GArray *read_back(const char *path, enum ie_profile p, uint32_t pen, GPtrArray *names)
{
	fbInfoModel_t *m = fbInfoModelAlloc();
	fbSession_t *s;
	fbCollector_t *c;
	fBuf_t *fbuf;
	GError *err = NULL;
	GArray *out = g_array_new(FALSE, TRUE, sizeof(struct ipfix_flow_rec));

	templates_add_elements(m, pen);
	s = fbSessionAlloc(m);
	g_assert_true(templates_add_to_session(s, p, &err));
	c = fbCollectorAllocFile(NULL, path, &err);
	g_assert_nonnull(c);
	fbuf = fBufAllocForCollection(s, c);
	for (;;) {
		struct ipfix_flow_rec r;
		size_t len = sizeof(r);
		uint16_t etid;
		fbTemplate_t *t = fBufNextCollectionTemplate(fbuf, &etid, &err);
		fbInfoElementSpec_t sp = { "DST_PROC_PID", 0, 0 };

		if (!t)
			break;
		if (fbInfoModelTypeInfoRecord(t)) {
			fbInfoElementOptRec_t o;
			fbTemplate_t *tt = fbInfoElementAllocTypeTemplate(m, &err);

			fbSessionAddTemplate(s, TRUE, 0xff10, tt, &err);
			fBufSetInternalTemplate(fbuf, 0xff10, &err);
			len = sizeof(o);
			g_assert_true(fBufNext(fbuf, (uint8_t *)&o, &len, &err));
			g_ptr_array_add(names, g_strndup((char *)o.ie_name.buf, o.ie_name.len));
			continue;
		}
		g_assert_true(fBufSetInternalTemplate(
			fbuf, templates_internal_tid(p, fbTemplateContainsElementByName(t, &sp)),
			&err));
		g_assert_true(fBufNext(fbuf, (uint8_t *)&r, &len, &err));
		/* strings point into the message: keep copies */
		r.processName.buf = (uint8_t *)g_strndup((char *)r.processName.buf, r.processName.len);
		r.userName.buf = (uint8_t *)g_strndup((char *)r.userName.buf, r.userName.len);
		r.processUserName.buf =
			(uint8_t *)g_strndup((char *)r.processUserName.buf, r.processUserName.len);
		r.containerName.buf =
			(uint8_t *)g_strndup((char *)r.containerName.buf, r.containerName.len);
		r.containerId.buf = (uint8_t *)g_strndup((char *)r.containerId.buf, r.containerId.len);
		/* these may be empty: an empty varfield has no buffer */
		r.processExecutable.buf = copy(&r.processExecutable);
		r.processCommandLine.buf = copy(&r.processCommandLine);
		r.parentProcessName.buf = copy(&r.parentProcessName);
		r.peerName.buf = copy(&r.peerName);
		g_array_append_val(out, r);
	}
	g_assert_true(g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF));
	g_clear_error(&err);
	fBufFree(fbuf);
	fbInfoModelFree(m);
	return out;
}

static inline void free_recs(GArray *got)
{
	for (guint i = 0; i < got->len; i++) {
		struct ipfix_flow_rec *r = &g_array_index(got, struct ipfix_flow_rec, i);

		g_free(r->processName.buf);
		g_free(r->userName.buf);
		g_free(r->processUserName.buf);
		g_free(r->containerName.buf);
		g_free(r->containerId.buf);
		g_free(r->processExecutable.buf);
		g_free(r->processCommandLine.buf);
		g_free(r->parentProcessName.buf);
		g_free(r->peerName.buf);
	}
	g_array_free(got, TRUE);
}

static inline char *write_temp(const GByteArray *bytes)
{
	char *path = NULL;
	int fd = g_file_open_tmp("ebpflow-test-XXXXXX.ipfix", &path, NULL);

	g_assert_cmpint(fd, >=, 0);
	g_assert_true(g_file_set_contents(path, (const char *)bytes->data, bytes->len, NULL));
	close(fd);
	return path;
}

/* One record through an exporter of profile p and back. */
static inline GArray *one_record(enum ie_profile p, const struct flow_record *r, size_t *largest)
{
	struct ipfix_config cfg = { .profile = p, .pen = 4242 };
	struct sink sink = { g_byte_array_new(), 0, 0 };
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&cfg, on_emit, &sink, &err);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	gboolean ok;
	GArray *got;
	char *path;

	g_assert_true(ipfix_send_templates(x, &err));
	ok = ipfix_add(x, r, OFFSET, &err);
	g_assert_no_error(err);
	g_assert_true(ok);
	g_assert_true(ipfix_flush(x, &err));
	*largest = sink.largest;
	path = write_temp(sink.bytes);
	got = read_back(path, p, 4242, names);
	g_assert_cmpuint(got->len, ==, 1);
	g_unlink(path);
	g_free(path);
	g_ptr_array_free(names, TRUE);
	g_byte_array_free(sink.bytes, TRUE);
	ipfix_free(x);
	return got;
}

#endif
