/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * -o console: the seed's two tables (outbound, inbound), every flow since
 * start with its total count and MTBS (of the ended ones, the latest
 * [output] ended_rows). On a terminal the view is redrawn in
 * place, as many rows as fit, with a status line; elsewhere it is printed as
 * plain tables. Rendering only: the terminal itself is tty.c's.
 */
#ifndef EBPFLOW_CONSOLE_H
#define EBPFLOW_CONSOLE_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "dns.h"
#include "enrich.h"
#include "flowtable.h"

/* The order of the rows; on a terminal a key chooses it (console_key). */
enum console_sort {
	CONSOLE_SORT_COUNT, /* most calls first (the default) */
	CONSOLE_SORT_PID,
	CONSOLE_SORT_COMM,
	CONSOLE_SORT_MTBS, /* most frequent first; single calls last */
	CONSOLE_SORT__MAX,
};

/* One row: a flow's calls, reported and live, since eBPFlow started. */
struct console_row {
	struct flow_key key;
	uint64_t count;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t cgroup_id;
	uint32_t uid;
	char comm[EBPFLOW_COMM_LEN];
	char peer_name[DNS_NAME_MAX + 1]; /* of the latest record that carried one, or "" */
};

struct console;

/* wanted (may be NULL) hides the live flows that [filter] containers leaves out. */
struct console *console_new(FILE *out, struct enrich *en, flow_wanted_fn wanted, void *ctx);
void console_free(struct console *c);
/*
 * On a terminal of rows x cols (0 x 0: size unknown, no limit): drawn in
 * place with escape sequences. Off (the default): plain tables; turned off
 * after a terminal view, the cursor goes to a new line below it.
 */
void console_set_terminal(struct console *c, bool terminal, unsigned int rows, unsigned int cols);
void console_set_sort(struct console *c, enum console_sort sort);
/*
 * --names: the peer's DNS name (issue 22) in place of its address, when a
 * record of the flow carried one. Off (the default): addresses only.
 */
void console_set_names(struct console *c, bool names);
/* A key pressed on the terminal: true when it changed the view (then redraw). */
bool console_key(struct console *c, int key);
/* Every record that went out: the console adds it to its flow's row. */
void console_record(struct console *c, const struct flow_record *rec);
/*
 * Rows = what was reported + the unreported part of what ft holds; print
 * them. The rows of flows ft no longer holds (ended) are kept up to the
 * bound of console_set_max_ended, the oldest dropped first.
 */
void console_print(struct console *c, struct flowtable *ft, const char *title);
/* [output] ended_rows; CONSOLE_MAX_ENDED until set. */
#define CONSOLE_MAX_ENDED 10000
void console_set_max_ended(struct console *c, unsigned int rows);
/* Rows last printed, and of them the ended ones kept. */
unsigned int console_rows(const struct console *c, unsigned int *ended);
/* Print the last view again (a key, a resized terminal). */
void console_redraw(struct console *c);

/* Pure parts, exposed for the tests. */
void console_sort_rows(GPtrArray *rows, enum console_sort sort); /* of struct console_row * */
const char *console_sort_name(enum console_sort sort);
/*
 * How many rows of each table fit on `lines` screen lines around the fixed
 * lines (title, headings, status line); lines == 0: all of them.
 */
void console_fit(unsigned int lines, bool title, unsigned int n_out, unsigned int n_in,
		 unsigned int *show_out, unsigned int *show_in);
/*
 * s for a terminal: every byte outside printable ASCII as \xNN and '\' as
 * \\, so that a process name (which any user sets, prctl(PR_SET_NAME)) can
 * neither hide nor forge rows. buf needs 4 * strlen(s) + 1 bytes.
 */
const char *console_escape(const char *s, char *buf, size_t len);

#endif
