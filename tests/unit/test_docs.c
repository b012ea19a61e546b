// SPDX-License-Identifier: GPL-2.0-only
/*
 * The documentation agrees with the table of options: ebpflow(8) has an
 * entry for every option, headed by its long and short names and naming its
 * [section] key; ebpflow.conf(5) has every section, and an entry for every
 * key saying its default; config/ebpflow.conf shows every key with its
 * default; README's Options section names every option.
 */
#include <glib.h>
#include <string.h>

#include "options.h"

static const struct option_def *table;
static size_t table_len;

static char *read_doc(const char *rel)
{
	char *path = g_build_filename(EBPFLOW_SOURCE_DIR, rel, NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		g_error("cannot read %s", path);
	g_free(path);
	return text;
}

/* roff as a reader sees it: \- is -, fonts are gone, \e is a backslash */
static char *unroff(const char *text)
{
	GString *s = g_string_new(NULL);

	for (const char *p = text; *p; p++) {
		if (p[0] == '\\' && p[1] == '-') {
			g_string_append_c(s, '-');
			p++;
		} else if (p[0] == '\\' && p[1] == 'f' && p[2]) {
			p += 2;
		} else if (p[0] == '\\' && p[1] == 'e') {
			g_string_append_c(s, '\\');
			p++;
		} else {
			g_string_append_c(s, *p);
		}
	}
	return g_string_free(s, FALSE);
}

/*
 * The man page entries (.TP, a heading line, a paragraph): the paragraph of
 * the entry whose heading has `word` as a whole word, or NULL.
 */
static char *entry(char **lines, const char *word)
{
	for (int i = 0; lines[i]; i++) {
		GString *para;
		char **words;
		bool found = false;

		if (strcmp(lines[i], ".TP") || !lines[i + 1])
			continue;
		words = g_strsplit_set(lines[i + 1], " \",", -1);
		for (int w = 0; words[w]; w++)
			found |= !strcmp(words[w], word);
		g_strfreev(words);
		if (!found)
			continue;
		para = g_string_new(lines[i + 1]);
		for (int j = i + 2; lines[j] && strcmp(lines[j], ".TP") && strncmp(lines[j], ".SH", 3);
		     j++)
			g_string_append_printf(para, " %s", lines[j]);
		return g_string_free(para, FALSE);
	}
	return NULL;
}

static void test_ebpflow_8(void)
{
	char *raw = read_doc("man/ebpflow.8"), *text = unroff(raw);
	char **lines = g_strsplit(text, "\n", -1);

	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];
		char *name, *para;

		if (!o->name)
			continue;
		name = g_strdup_printf("--%s", o->name);
		para = entry(lines, name);
		if (!para)
			g_error("ebpflow.8 has no entry for %s", name);
		if (o->short_name) {
			char *s = g_strdup_printf("-%c", o->short_name);
			char *by_short = entry(lines, s);

			if (!by_short || strcmp(by_short, para))
				g_error("ebpflow.8: the entry of %s is not headed by %s too", name, s);
			g_free(by_short);
			g_free(s);
		}
		if (o->section) {
			char *key = g_strdup_printf("[%s] %s", o->section, o->key);

			if (!strstr(para, key))
				g_error("ebpflow.8: the entry of %s does not name %s", name, key);
			g_free(key);
		}
		g_free(para);
		g_free(name);
	}
	g_strfreev(lines);
	g_free(text);
	g_free(raw);
}

static void test_ebpflow_conf_5(void)
{
	char *raw = read_doc("man/ebpflow.conf.5"), *text = unroff(raw);
	char **lines = g_strsplit(text, "\n", -1);

	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];
		char *section, *para, *lower, *def;

		if (!o->section)
			continue;
		section = g_strdup_printf("\n.SH [%s]\n", o->section);
		if (!strstr(text, section))
			g_error("ebpflow.conf.5 has no section [%s]", o->section);
		para = entry(lines, o->key);
		if (!para)
			g_error("ebpflow.conf.5 has no entry for [%s] %s", o->section, o->key);
		lower = g_ascii_strdown(para, -1);
		def = o->def ? g_strdup_printf("default %s", o->def) : NULL;
		if (def && !strstr(lower, def))
			g_error("ebpflow.conf.5: [%s] %s does not say '%s'", o->section, o->key, def);
		g_free(def);
		g_free(lower);
		g_free(para);
		g_free(section);
	}
	g_strfreev(lines);
	g_free(text);
	g_free(raw);
}

/* Every key, in its section, as "#key = default" (or an example when it has none). */
static void test_shipped_conf(void)
{
	char *text = read_doc("config/ebpflow.conf");
	char **lines = g_strsplit(text, "\n", -1);

	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];
		char *want = o->def ? g_strdup_printf("#%s = %s", o->key, o->def)
				    : g_strdup_printf("#%s =", o->key);
		char *head = g_strdup_printf("[%s]", o->section);
		const char *section = NULL;
		bool found = false;

		if (!o->section) {
			g_free(want);
			g_free(head);
			continue;
		}
		for (int l = 0; lines[l] && !found; l++) {
			if (lines[l][0] == '[')
				section = lines[l];
			found = section && !strcmp(section, head) &&
				(o->def ? !strcmp(lines[l], want) : g_str_has_prefix(lines[l], want));
		}
		if (!found)
			g_error("config/ebpflow.conf has no '%s' in %s", want, head);
		g_free(want);
		g_free(head);
	}
	g_strfreev(lines);
	g_free(text);
}

static void test_readme_options(void)
{
	char *text = read_doc("README.md");
	char *start = strstr(text, "\n## Options\n"), *end;

	g_assert_nonnull(start);
	end = strstr(start + 1, "\n## ");
	if (end)
		*end = '\0';
	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];
		char *s;

		if (!o->name)
			continue;
		s = g_strdup_printf("--%s", o->name);
		if (!strstr(start, s))
			g_error("README's Options section does not name %s", s);
		g_free(s);
		if (o->short_name) {
			s = g_strdup_printf("[-%c", o->short_name);
			if (!strstr(start, s) && !strstr(start, s + 1))
				g_error("README's Options section does not name -%c", o->short_name);
			g_free(s);
		}
	}
	g_free(text);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	table = options_table(&table_len);
	g_test_add_func("/docs/ebpflow.8", test_ebpflow_8);
	g_test_add_func("/docs/ebpflow.conf.5", test_ebpflow_conf_5);
	g_test_add_func("/docs/shipped_conf", test_shipped_conf);
	g_test_add_func("/docs/readme_options", test_readme_options);
	return g_test_run();
}
