// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the strings of an IPFIX record that are the process's own
 * (issue 19): the longest of each still fits a UDP-sized message, the
 * executable and command line cut to what the others leave, a cut marked.
 */
#include <glib.h>
#include <string.h>

#include "containers.h"
#include "dns.h"
#include "ipfix_roundtrip.h"

/* s: a cut of want's first bytes, marked with "...", whole UTF-8 characters */
static void assert_cut_of(const fbVarfield_t *s, const char *want)
{
	g_assert_cmpuint(s->len, >=, 3);
	g_assert_cmpmem(s->buf + s->len - 3, 3, "...", 3);
	g_assert_cmpuint(s->len - 3, <, strlen(want));
	g_assert_cmpmem(s->buf, s->len - 3, want, s->len - 3);
	g_assert_true(g_utf8_validate((const char *)s->buf, (gssize)s->len, NULL));
}

/*
 * r through an exporter of profile p and back, in messages no larger than a
 * UDP-sized one: the record read back, held by *got until free_recs().
 */
static const struct ipfix_flow_rec *fitted(enum ie_profile p, const struct flow_record *r,
					   GArray **got)
{
	size_t largest;

	*got = one_record(p, r, &largest);
	g_assert_cmpuint(largest, <=, IPFIX_MESSAGE_MAX);
	return &g_array_index(*got, struct ipfix_flow_rec, 0);
}

/*
 * A record with the longest container name eBPFlow keeps, a 256-byte user
 * name, a 4 KiB executable path and command line fits what a UDP-sized
 * message has left after the templates: a record that fits no message would
 * be lost. The command line gives way first, then the path, each cut marked.
 */
static void test_longest_strings_fit(void)
{
	char *name = g_strnfill(CONTAINERS_NAME_MAX, 'k'), *user = g_strnfill(256, 'u');
	char *exe = g_strnfill(4096, 'e');
	/* the peer's DNS name: the parser keeps it printable, the encoder relies on nothing */
	char *peer = g_strnfill(DNS_NAME_MAX, 'p');

	exe[0] = '/';
	memcpy(peer, "\"q\"\x01\x1b[2J\n", 9);
	for (enum ie_profile p = IE_PROFILE_EBPFLOW; p <= IE_PROFILE_NTOP; p++) {
		struct flow_record r = make(6, 0, 4321, 3);
		const struct ipfix_flow_rec *g;
		GArray *got;

		r.container = name;
		r.user = user;
		r.exe = exe;
		r.cmdline = exe;
		r.peer_name = peer;
		g = fitted(p, &r, &got);
		g_assert_cmpmem(g->containerName.buf, g->containerName.len, name,
				CONTAINERS_NAME_MAX);
		g_assert_cmpstr((char *)g->userName.buf, ==, user);
		g_assert_cmpstr((char *)g->processCommandLine.buf, ==, "...");
		assert_cut_of(&g->processExecutable, exe);
		/* every name at its longest: the peer's too is cut, marked */
		assert_cut_of(&g->peerName, peer);
		free_recs(got);
	}
	g_free(peer);
	g_free(name);
	g_free(user);
	g_free(exe);
}

/*
 * A command line the kernel cut ends in "..."; one too long for the message
 * is cut between characters, never inside one, and takes the room the other
 * strings leave (over 1,100 bytes with names of ordinary length).
 */
static void test_command_line_cut_marked(void)
{
	GString *accents = g_string_new("python3 ");

	while (accents->len < 4096)
		g_string_append(accents, "\xc3\xa9"); /* é */
	for (enum ie_profile p = IE_PROFILE_EBPFLOW; p <= IE_PROFILE_NTOP; p++) {
		struct flow_record r = make(4, 1, 4321, 3);
		const struct ipfix_flow_rec *g;
		size_t largest;
		GArray *got;

		r.cmdline = "python3 -m http.server";
		r.cmdline_cut = true;
		got = one_record(p, &r, &largest);
		g = &g_array_index(got, struct ipfix_flow_rec, 0);
		g_assert_cmpstr((char *)g->processCommandLine.buf, ==, "python3 -m http.server...");
		g_assert_cmpstr((char *)g->processExecutable.buf, ==, "/usr/bin/iperf3");
		free_recs(got);

		r.cmdline = accents->str;
		g = fitted(p, &r, &got);
		assert_cut_of(&g->processCommandLine, accents->str);
		g_assert_cmpuint(g->processCommandLine.len, >, 1000);
		g_assert_cmpstr((char *)g->processExecutable.buf, ==, "/usr/bin/iperf3");
		free_recs(got);
	}
	g_string_free(accents, TRUE);
}

/*
 * The peer's DNS name, 253 bytes of anything, with names of ordinary length:
 * sent whole, byte for byte, and the executable and command line keep the
 * room they had less its length.
 */
static void test_peer_name_whole(void)
{
	char *peer = g_strnfill(DNS_NAME_MAX, 'p');
	char *exe = g_strnfill(4096, 'e');

	memcpy(peer, "\"q\"\x01\x1b[2J\n\xff", 10);
	exe[0] = '/';
	for (enum ie_profile p = IE_PROFILE_EBPFLOW; p <= IE_PROFILE_NTOP; p++) {
		struct flow_record r = make(4, 0, 4321, 3);
		const struct ipfix_flow_rec *g;
		GArray *got;

		r.peer_name = peer;
		r.exe = exe;
		g = fitted(p, &r, &got);
		g_assert_cmpmem(g->peerName.buf, g->peerName.len, peer, DNS_NAME_MAX);
		assert_cut_of(&g->processExecutable, exe);
		g_assert_cmpuint(g->processExecutable.len, >, 800);
		free_recs(got);
	}
	g_free(exe);
	g_free(peer);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ipfix_strings/longest_strings_fit", test_longest_strings_fit);
	g_test_add_func("/ipfix_strings/command_line_cut_marked", test_command_line_cut_marked);
	g_test_add_func("/ipfix_strings/peer_name_whole", test_peer_name_whole);
	return g_test_run();
}
