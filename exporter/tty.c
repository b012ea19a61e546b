// SPDX-License-Identifier: GPL-2.0-only
/* The console's terminal: size, keys, and its mode put back whatever happens. */
#include "tty.h"

#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <errno.h>
#include <termios.h>
#include <unistd.h>

struct tty {
	int out_fd, in_fd;
	tty_event_fn fn;
	void *ctx;
	guint key_source, winch_source;
};

/* For atexit, which takes no argument: the one terminal whose mode we changed. */
static struct termios saved;
static int saved_fd = -1;

static void restore(void)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSANOW, &saved);
	saved_fd = -1;
}

static gboolean on_input(gint fd, GIOCondition cond, gpointer data)
{
	struct tty *t = data;
	unsigned char buf[32];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		/* end of file or EIO: the terminal hung up */
		t->key_source = 0;
		t->fn(TTY_GONE, t->ctx);
		return G_SOURCE_REMOVE;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == 0x1b)
			break; /* an arrow or function key's sequence: none of ours */
		t->fn(buf[i], t->ctx);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_winch(gpointer data)
{
	struct tty *t = data;

	t->fn(TTY_RESIZED, t->ctx);
	return G_SOURCE_CONTINUE;
}

struct tty *tty_open(int out_fd, int in_fd, tty_event_fn fn, void *ctx)
{
	static bool at_exit;
	struct tty *t;
	struct termios raw;

	if (!isatty(out_fd))
		return NULL;
	t = g_new0(struct tty, 1);
	t->out_fd = out_fd;
	t->in_fd = in_fd;
	t->fn = fn;
	t->ctx = ctx;
	if (saved_fd < 0 && isatty(in_fd) && tcgetattr(in_fd, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(in_fd, TCSANOW, &raw) == 0) {
			saved_fd = in_fd;
			if (!at_exit)
				atexit(restore);
			at_exit = true;
			t->key_source = g_unix_fd_add(in_fd, G_IO_IN, on_input, t);
		}
	}
	return t;
}

void tty_watch_size(struct tty *t)
{
	if (t && !t->winch_source)
		t->winch_source = g_unix_signal_add(SIGWINCH, on_winch, t);
}

void tty_close(struct tty *t)
{
	if (!t)
		return;
	if (t->key_source)
		g_source_remove(t->key_source);
	if (t->winch_source)
		g_source_remove(t->winch_source);
	restore();
	g_free(t);
}

bool tty_size(const struct tty *t, unsigned int *rows, unsigned int *cols)
{
	struct winsize ws;

	*rows = *cols = 0;
	if (ioctl(t->out_fd, TIOCGWINSZ, &ws) != 0 || !ws.ws_row || !ws.ws_col)
		return false;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return true;
}
