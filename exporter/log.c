// SPDX-License-Identifier: GPL-2.0-only
/* Log lines go to stderr as "ebpflow: level: message" so stdout stays data. */
#include "log.h"

#include <bpf/libbpf.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static enum log_level current = LOG_LVL_INFO;
static bool to_syslog;
static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
static const char *const names[] = { "error", "warning", "info", "debug" };

void log_set_level(enum log_level level)
{
	current = level;
}

void log_set_target(bool syslog)
{
	if (syslog && !to_syslog)
		openlog("ebpflow", LOG_PID, LOG_DAEMON);
	else if (!syslog && to_syslog)
		closelog();
	to_syslog = syslog;
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	if (level > current)
		return;
	if (to_syslog) {
		vsyslog(priorities[level], fmt, ap);
		return;
	}
	fprintf(stderr, "ebpflow: %s: ", names[level]);
	vfprintf(stderr, fmt, ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int log_libbpf(enum libbpf_print_level libbpf_level, const char *fmt, va_list ap)
{
	enum log_level level = LOG_LVL_DEBUG;

	if (libbpf_level == LIBBPF_WARN)
		level = LOG_LVL_INFO;
	if (level > current)
		return 0;
	if (to_syslog) {
		vsyslog(priorities[level], fmt, ap);
		return 0;
	}
	fputs("ebpflow: libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

char *log_excerpt(const char *text)
{
	size_t len = strlen(text);
	const char *end = text + LOG_EXCERPT_BYTES;

	if (len <= LOG_EXCERPT_BYTES)
		return g_strdup(text);
	/* not in the middle of a character of a UTF-8 text */
	if (g_utf8_validate(text, len, NULL))
		end = g_utf8_find_prev_char(text, end + 1);
	return g_strdup_printf("%.*s... (%zu bytes)", (int)(end - text), text, len);
}
