// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests: sd_notify's datagrams reach a socket named by $NOTIFY_SOCKET,
 * a path or an abstract name ('@'), and nothing is sent without one.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

/* A datagram socket bound to name (leading '@': abstract); its fd. */
static int listen_at(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 5 };

	g_assert_cmpint(fd, >=, 0);
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa.sun_family) + len), ==, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static char *received(int fd)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	g_assert_cmpint(n, >, 0);
	buf[n] = '\0';
	return g_strdup(buf);
}

static void test_path(void)
{
	char *path = g_strdup_printf("%s/ebpflow-notify-%d.sock", g_get_tmp_dir(), getpid());
	int fd = listen_at(path);
	char *got;

	setenv("NOTIFY_SOCKET", path, 1);
	g_assert_true(notify("READY=1\nSTATUS=watching"));
	got = received(fd);
	g_assert_cmpstr(got, ==, "READY=1\nSTATUS=watching");
	g_free(got);
	g_assert_true(notify_reloading());
	got = received(fd);
	g_assert_true(g_str_has_prefix(got, "RELOADING=1\nMONOTONIC_USEC="));
	g_assert_cmpuint(g_ascii_strtoull(strstr(got, "USEC=") + 5, NULL, 10), >, 0);
	g_free(got);
	close(fd);
	unlink(path);
	g_free(path);
}

static void test_abstract(void)
{
	char *name = g_strdup_printf("@ebpflow-notify-%d", getpid());
	int fd = listen_at(name);
	char *got;

	setenv("NOTIFY_SOCKET", name, 1);
	g_assert_true(notify("STOPPING=1"));
	got = received(fd);
	g_assert_cmpstr(got, ==, "STOPPING=1");
	g_free(got);
	close(fd);
	g_free(name);
}

static void test_none(void)
{
	unsetenv("NOTIFY_SOCKET");
	g_assert_false(notify("READY=1"));
	setenv("NOTIFY_SOCKET", "", 1);
	g_assert_false(notify("READY=1"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/notify/path", test_path);
	g_test_add_func("/notify/abstract", test_abstract);
	g_test_add_func("/notify/none", test_none);
	return g_test_run();
}
