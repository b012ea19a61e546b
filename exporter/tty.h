/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The terminal under the console view: its size, and keys read one at a
 * time (non-canonical mode, no echo), on the glib main loop. The terminal's
 * mode is restored by tty_close and, should eBPFlow exit another way, at
 * exit. Signals keep working (ISIG stays on): Ctrl-C ends eBPFlow as ever.
 */
#ifndef EBPFLOW_TTY_H
#define EBPFLOW_TTY_H

#include <stdbool.h>

/*
 * key: a byte typed, TTY_RESIZED when the terminal changed size, TTY_GONE
 * when it hung up (closed window, dropped ssh session): the last event.
 */
#define TTY_RESIZED (-1)
#define TTY_GONE (-2)
typedef void (*tty_event_fn)(int key, void *ctx);

struct tty;

/* NULL when out_fd is not a terminal; keys are read when in_fd is one too. */
struct tty *tty_open(int out_fd, int in_fd, tty_event_fn fn, void *ctx);
/*
 * Tell of size changes (SIGWINCH) from now on. Apart from tty_open because
 * GLib handles a signal in a thread of its own, which it starts then: call
 * it once privileges are dropped, or that thread keeps them all.
 */
void tty_watch_size(struct tty *t);
void tty_close(struct tty *t);
/* rows and columns of the terminal at out_fd; false (0 x 0) when unknown */
bool tty_size(const struct tty *t, unsigned int *rows, unsigned int *cols);

#endif
