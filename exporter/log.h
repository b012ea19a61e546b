/* SPDX-License-Identifier: GPL-2.0-only */
/* One small logging module: levels, stderr, libbpf's messages routed in. */
#ifndef EBPFLOW_LOG_H
#define EBPFLOW_LOG_H

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
/* to syslog (daemon facility) instead of stderr */
void log_set_target(bool syslog);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* libbpf's print callback: its warnings become our info, its info our debug */
int log_libbpf(enum libbpf_print_level libbpf_level, const char *fmt, va_list ap);

/*
 * text as a message quotes it: whole up to LOG_EXCERPT_BYTES, else its first
 * bytes and its size ("xxx... (52428800 bytes)"), so that a value of any size
 * makes a message of a line. g_free() it.
 */
#define LOG_EXCERPT_BYTES 64
char *log_excerpt(const char *text);

#define pr_err(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
