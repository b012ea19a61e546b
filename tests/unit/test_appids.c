// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the RFC 6759 application ids: the id's bytes, the table's
 * bounds, and the shape nfdump 1.7.1 needs on the wire (the application
 * template first in its options template set, one options record per data
 * set, each process named before its first record, the table again with
 * every template refresh).
 */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "appids.h"
#include "ipfix.h"

#define S 1000000000ull

static struct flow_record make(uint32_t pid, uint64_t start_ns, const char *comm)
{
	struct flow_record r = {0};

	r.key.direction = EBPFLOW_DIR_OUTBOUND;
	r.key.pid = pid;
	r.key.start_ns = start_ns;
	r.key.ip_version = 4;
	r.key.proto = 17;
	r.key.port = 53;
	inet_pton(AF_INET, "192.0.2.1", r.key.saddr);
	inet_pton(AF_INET, "198.51.100.2", r.key.daddr);
	r.count = 1;
	r.first_ns = r.last_ns = r.end_ns = 10 * S;
	r.flow_count = 1;
	r.uid = 65534;
	g_strlcpy(r.comm, comm, sizeof(r.comm));
	r.reason = FLOW_END_IDLE;
	r.user = "nobody";
	r.container = "";
	r.container_id = "";
	return r;
}

static void test_id_bytes(void)
{
	struct appids *a = appids_new(32473, 7, 4);
	struct flow_record r = make(4242, 70000 * 1000000ull + 5, "dig");
	const uint8_t want[APPID_LEN] = {20,
					 0,
					 0,
					 0x7e,
					 0xd9,
					 0,
					 0,
					 0,
					 7,
					 /* 70000 ms mod 65536 */ 0x11,
					 0x70,
					 0,
					 0,
					 0x10,
					 0x92};
	uint8_t id[APPID_LEN];

	appids_id(a, &r.key, id);
	g_assert_cmpmem(id, sizeof(id), want, sizeof(want));
	appids_free(a);
}

static void test_description(void)
{
	struct flow_record r = make(17, 1, "nginx");
	char d[APPID_DESC_LEN];
	char long_name[400];

	appids_describe(&r, d);
	g_assert_cmpstr(d, ==, "pid=17 user=nobody");
	r.container = "web-1";
	r.container_id = "3a0c709ca9b5";
	appids_describe(&r, d);
	g_assert_cmpstr(d, ==, "pid=17 user=nobody container=web-1");
	r.container = "";
	appids_describe(&r, d);
	g_assert_cmpstr(d, ==, "pid=17 user=nobody container=3a0c709ca9b5");
	/* cut to fit, NUL-terminated: nfdump overwrites the last byte with a NUL anyway */
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	r.container = long_name;
	appids_describe(&r, d);
	g_assert_cmpuint(strlen(d), ==, APPID_DESC_LEN - 1);
}

static void test_table_bounded(void)
{
	struct appids *a = appids_new(32473, 0, 2);
	struct flow_record p1 = make(1, 1 * S, "one"), p2 = make(2, 2 * S, "two");
	struct flow_record p3 = make(3, 3 * S, "three"), p1b = make(1, 9 * S, "reused");
	const struct ipfix_appid_rec *e, *again;
	bool fresh;

	e = appids_note(a, &p1, 100 * S, &fresh);
	g_assert_true(e && fresh);
	g_assert_cmpstr(e->applicationName, ==, "one");
	g_assert_cmpstr(e->applicationDescription, ==, "pid=1 user=nobody");
	again = appids_note(a, &p1, 101 * S, &fresh);
	g_assert_true(again == e && !fresh); /* named already */
	g_assert_nonnull(appids_note(a, &p2, 102 * S, &fresh));
	g_assert_true(fresh);
	/* full: a third process is refused, and counted */
	g_assert_null(appids_note(a, &p3, 103 * S, &fresh));
	g_assert_null(appids_note(a, &p1b, 103 * S, &fresh));
	g_assert_cmpuint(appids_refused(a), ==, 2);
	g_assert_cmpuint(appids_size(a), ==, 2);
	/* p2 idle for longer than APPIDS_IDLE_NS is forgotten, p1 (used later) stays */
	appids_note(a, &p1, 102 * S + APPIDS_IDLE_NS, &fresh);
	appids_expire(a, 102 * S + APPIDS_IDLE_NS + 1);
	g_assert_cmpuint(appids_size(a), ==, 1);
	/* room again: the reused pid is another process, with its own id */
	e = appids_note(a, &p1b, 103 * S + APPIDS_IDLE_NS, &fresh);
	g_assert_true(e && fresh);
	g_assert_cmpstr(e->applicationName, ==, "reused");
	appids_free(a);
}

struct sink {
	GByteArray *bytes;
};

static void on_emit(const uint8_t *msg, size_t len, void *ctx)
{
	g_byte_array_append(((struct sink *)ctx)->bytes, msg, len);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* What nfdump 1.7.1 needs, read from the messages as they went out. */
struct seen {
	unsigned int app_sets;	   /* data sets of the application template */
	unsigned int app_records;  /* records in them */
	unsigned int app_first;	   /* options template sets starting with it */
	unsigned int app_later;	   /* ... holding it elsewhere */
	unsigned int flows_before; /* flow records ahead of their process's name */
	GHashTable *named;	   /* pids named so far */
};

static void walk(const GByteArray *b, struct seen *s)
{
	size_t m = 0;

	while (m + 16 <= b->len) {
		size_t mlen = get16(b->data + m + 2), off = m + 16;

		g_assert_cmpuint(mlen, >=, 16);
		while (off + 4 <= m + mlen) {
			uint16_t sid = get16(b->data + off), slen = get16(b->data + off + 2);
			const uint8_t *body = b->data + off + 4;
			size_t rec = 4 + APPID_LEN + APPID_NAME_LEN + APPID_DESC_LEN;

			g_assert_cmpuint(slen, >=, 4);
			if (sid == 3) { /* options template set: the first template's id */
				if (get16(body) == TID_APPLICATION)
					s->app_first++;
				for (size_t i = 2; i + 2 <= slen - 4u; i++)
					if (get16(body + i) == TID_APPLICATION && i > 0 &&
					    get16(body + i + 2) == 4) /* its field count */
						s->app_later++;
			} else if (sid == TID_APPLICATION) {
				s->app_sets++;
				s->app_records += (slen - 4) / rec;
				/* the pid: the id's last four bytes, after the scope */
				g_hash_table_add(
				    s->named,
				    GUINT_TO_POINTER((uint32_t)get16(body + 4 + 11) << 16 |
						     get16(body + 4 + 13)));
			} else if (sid == TID_EBPFLOW_V4) {
				/* UDP IPv4: applicationId last; the set's records are one process's
				 */
				const uint8_t *id = body + slen - 4 - APPID_LEN;
				uint32_t pid = (uint32_t)get16(id + 11) << 16 | get16(id + 13);

				if (!g_hash_table_contains(s->named, GUINT_TO_POINTER(pid)))
					s->flows_before++;
			}
			off += slen;
		}
		m += mlen;
	}
}

static void test_on_the_wire(void)
{
	struct sink sk = {g_byte_array_new()};
	struct ipfix_config c = {IE_PROFILE_EBPFLOW, 32473, 9, true};
	struct seen s = {.named = g_hash_table_new(NULL, NULL)};
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&c, on_emit, &sk, &err);

	g_assert_no_error(err);
	g_assert_true(ipfix_send_templates(x, &err));
	for (uint32_t pid = 100; pid < 110; pid++) {
		struct flow_record r = make(pid, pid * S, "proc");

		/* two records each: the name goes out once, before the first */
		g_assert_true(ipfix_add(x, &r, 0, &err));
		g_assert_true(ipfix_add(x, &r, 0, &err));
	}
	g_assert_true(ipfix_flush(x, &err));
	walk(sk.bytes, &s);
	g_assert_cmpuint(s.app_first, ==, 1);
	g_assert_cmpuint(s.app_later, ==, 0);
	g_assert_cmpuint(s.app_sets, ==, 10);
	g_assert_cmpuint(s.app_records, ==, 10);
	g_assert_cmpuint(s.flows_before, ==, 0);
	g_assert_cmpuint(g_hash_table_size(s.named), ==, 10);

	/* a refresh: the template first in its set again, and the whole table */
	g_byte_array_set_size(sk.bytes, 0);
	memset(&s, 0, sizeof(s));
	s.named = g_hash_table_new(NULL, NULL);
	g_assert_true(ipfix_send_templates(x, &err));
	walk(sk.bytes, &s);
	g_assert_cmpuint(s.app_first, ==, 1);
	g_assert_cmpuint(s.app_sets, ==, 10);
	g_assert_cmpuint(s.app_records, ==, 10);
	g_hash_table_destroy(s.named);
	ipfix_free(x);
	g_byte_array_free(sk.bytes, TRUE);
}

static void test_off(void)
{
	struct sink sk = {g_byte_array_new()};
	struct ipfix_config c = {IE_PROFILE_NTOP, 32473, 9, false};
	struct seen s = {.named = g_hash_table_new(NULL, NULL)};
	struct flow_record r = make(100, S, "proc");
	GError *err = NULL;
	struct ipfix *x = ipfix_new(&c, on_emit, &sk, &err);

	g_assert_true(ipfix_send_templates(x, &err));
	g_assert_true(ipfix_add(x, &r, 0, &err));
	g_assert_true(ipfix_flush(x, &err));
	walk(sk.bytes, &s);
	g_assert_cmpuint(s.app_first + s.app_sets, ==, 0);
	g_hash_table_destroy(s.named);
	ipfix_free(x);
	g_byte_array_free(sk.bytes, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/appids/id_bytes", test_id_bytes);
	g_test_add_func("/appids/description", test_description);
	g_test_add_func("/appids/table_bounded", test_table_bounded);
	g_test_add_func("/appids/on_the_wire", test_on_the_wire);
	g_test_add_func("/appids/off", test_off);
	return g_test_run();
}
