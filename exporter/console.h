/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * -o console: the seed's two tables (outbound, inbound), every flow since
 * start with its total count and MTBS, refreshed while running.
 */
#ifndef EBPFLOW_CONSOLE_H
#define EBPFLOW_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

#include "enrich.h"
#include "flowtable.h"

struct console;

struct console *console_new(FILE *out, struct enrich *en);
void console_free(struct console *c);
/* Keep the totals of a flow the table forgets (its final record). */
void console_record(struct console *c, const struct flow_record *rec);
/* Print both tables (what was forgotten plus what ft holds now) under title. */
void console_print(struct console *c, struct flowtable *ft, bool clear_screen, const char *title);

#endif
