// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration file. GKeyFile reads it; a first pass of our own finds
 * the line of every section and key (GKeyFile keeps none) and rejects what is
 * not INI, so that every message can say FILE:LINE. The schema is the table
 * of options (options.c): its sections and keys, and each key's parser, the
 * one the command line uses too.
 */
#include "conffile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define CONF_ERROR g_quark_from_static_string("ebpflow-conf")

struct conf {
	const char *path;
	GKeyFile *kf;
	GHashTable *lines; /* "section\nkey" or "section" -> line number */
	struct ebpflow_config *c;
};

static int line_of(const struct conf *f, const char *section, const char *key)
{
	char *k = key ? g_strdup_printf("%s\n%s", section, key) : g_strdup(section);
	int line = GPOINTER_TO_INT(g_hash_table_lookup(f->lines, k));

	g_free(k);
	return line;
}

static gboolean fail(const struct conf *f, const char *section, const char *key, GError **err,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static gboolean fail(const struct conf *f, const char *section, const char *key, GError **err,
		     const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (key)
		g_set_error(err, CONF_ERROR, 1, "%s:%d: [%s] %s: %s", f->path,
			    line_of(f, section, key), section, key, what);
	else
		g_set_error(err, CONF_ERROR, 1, "%s:%d: [%s]: %s", f->path, line_of(f, section, NULL),
			    section, what);
	g_free(what);
	return FALSE;
}

/*
 * "a, b, c": the sections of the table (section NULL), or the keys of one,
 * in the table's order. Empty: no such section.
 */
static char *schema(const char *section)
{
	size_t n;
	const struct option_def *t = options_table(&n);
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		if (!t[i].section)
			continue;
		if (section && !strcmp(t[i].section, section)) {
			g_string_append_printf(s, "%s%s", s->len ? ", " : "", t[i].key);
		} else if (!section) {
			size_t j = 0;

			while (j < i && (!t[j].section || strcmp(t[j].section, t[i].section)))
				j++;
			if (j == i) /* its first key */
				g_string_append_printf(s, "%s%s", s->len ? ", " : "", t[i].section);
		}
	}
	return g_string_free(s, FALSE);
}

/* First pass: lines of sections and keys, and anything that is not INI. */
static gboolean scan_lines(struct conf *f, const char *text, GError **err)
{
	char **lines = g_strsplit(text, "\n", -1);
	char *section = NULL;
	gboolean ok = TRUE;

	for (int i = 0; ok && lines[i]; i++) {
		char *l = g_strstrip(lines[i]);
		char *eq;

		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');

			if (!end || end[1]) {
				g_set_error(err, CONF_ERROR, 1, "%s:%d: '%s' is not a [section]",
					    f->path, i + 1, l);
				ok = FALSE;
				break;
			}
			g_free(section);
			section = g_strndup(l + 1, end - l - 1);
			if (!g_hash_table_contains(f->lines, section))
				g_hash_table_insert(f->lines, g_strdup(section), GINT_TO_POINTER(i + 1));
			continue;
		}
		eq = strchr(l, '=');
		if (!eq || eq == l || !section) {
			g_set_error(err, CONF_ERROR, 1, "%s:%d: '%s' is %s", f->path, i + 1, l,
				    !section ? "outside any [section]"
					     : "not a key = value, a [section] or a # comment");
			ok = FALSE;
			break;
		}
		*eq = '\0';
		g_hash_table_insert(f->lines, g_strdup_printf("%s\n%s", section, g_strstrip(l)),
				    GINT_TO_POINTER(i + 1));
	}
	g_free(section);
	g_strfreev(lines);
	return ok;
}

static gboolean check_permissions(const char *path, GError **err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		g_set_error(err, CONF_ERROR, 1, "%s: %s", path, g_strerror(errno));
		return FALSE;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		g_set_error(err, CONF_ERROR, 1,
			    "%s is writable by %s: refusing it, whoever can write it decides what "
			    "eBPFlow runs with (chmod go-w %s)",
			    path, st.st_mode & S_IWOTH ? "everyone" : "its group", path);
		return FALSE;
	}
	return TRUE;
}

/* One [section]: every key known and its value valid. */
static gboolean load_section(struct conf *f, const char *section, GError **err)
{
	gchar **keys = g_key_file_get_keys(f->kf, section, NULL, NULL);
	char *known = schema(section);
	gboolean ok = TRUE;

	if (!*known) {
		char *sections = schema(NULL);

		ok = fail(f, section, NULL, err, "unknown section (sections: %s)", sections);
		g_free(sections);
	}
	for (int k = 0; ok && keys && keys[k]; k++) {
		const struct option_def *o = option_by_key(section, keys[k]);
		char *v;
		GError *e = NULL;

		if (!o) {
			ok = fail(f, section, keys[k], err, "unknown key (in [%s]: %s)", section,
				  known);
			break;
		}
		v = g_key_file_get_value(f->kf, section, keys[k], NULL);
		if (!option_set(o, f->c, g_strstrip(v), false, true, &e)) {
			ok = fail(f, section, keys[k], err, "%s", e->message);
			g_error_free(e);
		}
		g_free(v);
	}
	g_free(known);
	g_strfreev(keys);
	return ok;
}

gboolean conffile_load(const char *path, struct ebpflow_config *c, GError **err)
{
	struct conf f = { .path = path, .c = c };
	gchar **groups = NULL;
	char *text = NULL;
	gsize len = 0;
	gboolean ok = FALSE;
	GError *e = NULL;

	if (!check_permissions(path, err))
		return FALSE;
	if (!g_file_get_contents(path, &text, &len, &e)) {
		g_set_error(err, CONF_ERROR, 1, "%s", e->message);
		g_error_free(e);
		return FALSE;
	}
	f.lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	f.kf = g_key_file_new();
	if (!scan_lines(&f, text, err))
		goto out;
	if (!g_key_file_load_from_data(f.kf, text, len, G_KEY_FILE_NONE, &e)) {
		g_set_error(err, CONF_ERROR, 1, "%s: %s", path, e->message);
		g_error_free(e);
		goto out;
	}
	groups = g_key_file_get_groups(f.kf, NULL);
	ok = TRUE;
	for (int g = 0; ok && groups[g]; g++)
		ok = load_section(&f, groups[g], err);
out:
	g_strfreev(groups);
	g_key_file_free(f.kf);
	g_hash_table_destroy(f.lines);
	g_free(text);
	return ok;
}
