// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the ZMQ publisher against a SUB socket of the test's own on
 * loopback (no privileges): with nobody subscribed messages are counted as
 * lost; a subscriber gets ntopng's framing with the message ids going on
 * (the gap is the lost ones); a subscriber that stops reading fills its
 * queue, and then messages are counted as lost while no send ever waits.
 * In TLV, a pass's records over one message's size go on in the next, each
 * record whole in one message.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "ntopng.h"
#include "ntopng_tlv.h"
#include "tlv_read.h"
#include "zmq_export.h"

static struct flow_record sample(uint32_t pid)
{
	struct flow_record r = { 0 };

	r.key.direction = EBPFLOW_DIR_OUTBOUND;
	r.key.pid = pid;
	r.key.ip_version = 4;
	r.key.proto = 17;
	r.key.port = 5353;
	inet_pton(AF_INET, "127.0.0.1", r.key.saddr);
	inet_pton(AF_INET, "127.0.0.1", r.key.daddr);
	r.count = 2;
	r.bytes = 42;
	r.first_ns = r.last_ns = r.end_ns = clock_mono_ns();
	strcpy(r.comm, "test");
	r.reason = FLOW_END_IDLE;
	r.user = "root";
	r.container = r.container_id = "";
	return r;
}

static void test_publisher(void)
{
	char *endpoint = g_strdup_printf("tcp://127.0.0.1:%d", 20000 + getpid() % 40000);
	GError *err = NULL;
	struct zmq_export *z = zmq_export_new(endpoint, 7, ZMQ_FORMAT_JSON, &err);
	const struct zmq_export_stats *st;
	struct flow_record r = sample(1);
	void *ctx = zmq_ctx_new(), *sub = zmq_socket(ctx, ZMQ_SUB);
	struct ntopng_hdr h;
	char *payload = g_malloc(NTOPNG_MAX_PAYLOAD + 1);
	uint64_t lost_before, t0, worst = 0;
	int one = 1, n, timeout = 2000;
	JsonParser *p = json_parser_new();
	JsonArray *flows;

	g_assert_no_error(err);
	st = zmq_export_stats(z);
	/* nobody subscribed: counted as lost, never queued */
	zmq_export_add(z, &r, 0);
	zmq_export_flush(z);
	g_assert_cmpuint(st->lost, ==, 1);
	g_assert_cmpuint(st->lost_records, ==, 1);
	g_assert_cmpuint(st->messages, ==, 0);

	/* a subscriber that takes one message at a time, once its subscription is seen */
	zmq_setsockopt(sub, ZMQ_RCVHWM, &one, sizeof(one));
	zmq_setsockopt(sub, ZMQ_RCVBUF, &one, sizeof(one));
	zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	g_assert_cmpint(zmq_connect(sub, endpoint), ==, 0);
	g_assert_cmpint(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "flow", 4), ==, 0);
	for (int i = 0; i < 500 && !st->messages; i++) {
		g_usleep(10000);
		r = sample(2);
		zmq_export_add(z, &r, 0);
		zmq_export_flush(z);
	}
	g_assert_cmpuint(st->messages, ==, 1);
	g_assert_cmpint(zmq_recv(sub, &h, sizeof(h), 0), ==, sizeof(h));
	g_assert_cmpstr(h.url, ==, "flow");
	g_assert_cmpuint(h.version, ==, NTOPNG_HDR_VERSION_JSON);
	g_assert_cmpuint(h.source_id, ==, 7);
	/* every message before it was lost, and took an id */
	g_assert_cmpuint(ntohl(h.msg_id), ==, st->lost + 1);
	n = zmq_recv(sub, payload, NTOPNG_MAX_PAYLOAD, 0);
	g_assert_cmpint(n, ==, h.size);
	g_assert_cmpuint(st->octets, ==, (uint64_t)n);
	g_assert_true(json_parser_load_from_data(p, payload, n, NULL));
	flows = json_node_get_array(json_parser_get_root(p));
	g_assert_cmpuint(json_array_get_length(flows), ==, 1);
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(flows, 0),
						   "SRC_PROC_PID"), ==, 2);

	/* it stops reading: full messages until its queue is full, no send waits */
	lost_before = st->lost;
	for (int m = 0; m < 5000 && st->lost == lost_before; m++) {
		for (int i = 0; i < 200; i++) {
			r = sample(3);
			zmq_export_add(z, &r, 0);
		}
		t0 = clock_mono_ns();
		zmq_export_flush(z);
		worst = MAX(worst, clock_mono_ns() - t0);
	}
	g_assert_cmpuint(st->lost, >, lost_before);
	g_test_message("a subscriber that does not read took %" G_GUINT64_FORMAT " messages",
		       st->messages);
	/*
	 * A send that waited for this reader would never return: finishing the
	 * loop is the proof. The bound only turns such a wait into a failure;
	 * it is loose because a loaded machine (CI's, with guests beside the
	 * suite) took 296 ms for a flush of 200 records once.
	 */
	g_assert_cmpuint(worst, <, 5000000000ull);

	zmq_close(sub);
	zmq_ctx_term(ctx);
	t0 = clock_mono_ns();
	zmq_export_free(z);
	/* the queue that no one reads waits the linger out, no longer */
	g_assert_cmpuint(clock_mono_ns() - t0, <, 2000000000ull);
	g_object_unref(p);
	g_free(payload);
	g_free(endpoint);
}

/* a subscriber of its own, once the publisher sees its subscription (a record is spent) */
static void *subscribe(struct zmq_export *z, void *ctx, const char *endpoint)
{
	const struct zmq_export_stats *st = zmq_export_stats(z);
	void *sub = zmq_socket(ctx, ZMQ_SUB);
	struct flow_record r = sample(1);
	char buf[NTOPNG_MAX_PAYLOAD];
	int timeout = 2000;

	zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	g_assert_cmpint(zmq_connect(sub, endpoint), ==, 0);
	g_assert_cmpint(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "flow", 4), ==, 0);
	for (int i = 0; i < 500 && !st->messages; i++) {
		g_usleep(10000);
		zmq_export_add(z, &r, 0);
		zmq_export_flush(z);
	}
	g_assert_cmpuint(st->messages, ==, 1);
	g_assert_cmpint(zmq_recv(sub, buf, sizeof(buf), 0), ==, sizeof(struct ntopng_hdr));
	g_assert_cmpint(zmq_recv(sub, buf, sizeof(buf), 0), >, 0);
	return sub;
}

static void test_tlv_split(void)
{
	char *endpoint = g_strdup_printf("tcp://127.0.0.1:%d", 20000 + (getpid() + 1) % 40000);
	GError *err = NULL;
	struct zmq_export *z = zmq_export_new(endpoint, 9, ZMQ_FORMAT_TLV, &err);
	void *ctx = zmq_ctx_new(), *sub;
	struct flow_record r = sample(4);
	GString *one = g_string_new(NULL);
	unsigned char *payload = g_malloc(NTOPNG_MAX_PAYLOAD + 1);
	char *name = g_strnfill(200, 'c');
	long total = 0, per_message;
	struct ntopng_hdr h;
	int n, msgs = 0;

	g_assert_no_error(err);
	sub = subscribe(z, ctx, endpoint);
	r.container = name; /* records of a known size: this many fill a message */
	ntopng_tlv_format_flow(one, &r, 0);
	per_message = (NTOPNG_MAX_PAYLOAD - NTOPNG_TLV_BEGIN_LEN) / one->len;
	for (int i = 0; i < 1000; i++)
		zmq_export_add(z, &r, 0);
	zmq_export_flush(z);
	while (total < 1000) {
		g_assert_cmpint(zmq_recv(sub, &h, sizeof(h), 0), ==, sizeof(h));
		g_assert_cmpuint(h.version, ==, NTOPNG_HDR_VERSION_TLV);
		n = zmq_recv(sub, payload, NTOPNG_MAX_PAYLOAD + 1, 0);
		g_assert_cmpint(n, ==, h.size);
		g_assert_cmpint(n, <=, NTOPNG_MAX_PAYLOAD);
		/* each message a whole TLV message, full but for the last */
		g_assert_cmpint(tlv_count_records(payload, n), ==,
				MIN(per_message, 1000 - total));
		g_assert_cmpint(n, ==, NTOPNG_TLV_BEGIN_LEN + MIN(per_message, 1000 - total) *
						       (long)one->len);
		total += tlv_count_records(payload, n);
		msgs++;
	}
	g_assert_cmpint(msgs, ==, (1000 + per_message - 1) / per_message);
	g_assert_cmpuint(zmq_export_stats(z)->records, ==, 1 + 1000);
	zmq_close(sub);
	zmq_export_free(z);
	zmq_ctx_term(ctx);
	g_string_free(one, TRUE);
	g_free(payload);
	g_free(name);
	g_free(endpoint);
}

static void test_bind_error(void)
{
	GError *err = NULL;

	g_assert_null(zmq_export_new("tcp://192.0.2.1:5556", 0, ZMQ_FORMAT_TLV, &err));
	g_assert_true(g_str_has_prefix(err->message, "--zmq tcp://192.0.2.1:5556: cannot bind "));
	g_clear_error(&err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/zmq/publisher", test_publisher);
	g_test_add_func("/zmq/tlv_split", test_tlv_split);
	g_test_add_func("/zmq/bind_error", test_bind_error);
	return g_test_run();
}
