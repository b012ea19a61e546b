// SPDX-License-Identifier: GPL-2.0-only
/*
 * Command-line tests generated from the table of options: for every option,
 * every spelling getopt_long accepts (long, --name=value, each unambiguous
 * abbreviation, short, -xVALUE, bundled after each short flag) gives the
 * value it documents; every other spelling (an ambiguous abbreviation, a
 * value to a flag, a missing value, a bad value) is refused with a message
 * naming the option. Each ebpflow.conf key sets the same field, and the
 * command line wins over it.
 */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "options.h"

static const struct option_def *table;
static size_t table_len;
static char *tmpdir;
static unsigned int accepted, refused; /* spellings tried */

/* A value of o's type that is valid and, where the type allows, not its default. */
static const char *sample(const struct option_def *o)
{
	static char buf[64];
	int last = 0;

	switch (o->type) {
	case OPT_UINT:
		snprintf(buf, sizeof(buf), "%u", o->def && strtoul(o->def, NULL, 10) == o->max ? o->min
											: o->max);
		return buf;
	case OPT_ENUM:
	case OPT_BITS:
		while (o->names[last + 1])
			last++;
		return o->def && !strcmp(o->def, o->names[last]) ? o->names[0] : o->names[last];
	case OPT_PATH:
		return "/tmp/ebpflow-sample";
	case OPT_LIST:
		return "web, db";
	case OPT_HOSTPORTS:
		return "127.0.0.1:9995, [::1]:4739";
	case OPT_UINT_LIST:
		if (o->parse)
			return o->example;
		snprintf(buf, sizeof(buf), "%u, %u", o->min, o->max);
		return buf;
	case OPT_FLAG:
		return "true";
	default:
		return NULL;
	}
}

/* A second valid value, to show that the command line wins over the file. */
static const char *other(const struct option_def *o)
{
	switch (o->type) {
	case OPT_PATH:
		return "/tmp/ebpflow-other";
	case OPT_HOSTPORTS:
		return "127.0.0.1:1";
	default:
		return o->def;
	}
}

/* o's field after o is given text on top of the defaults (the documented effect). */
static char *expected(const struct option_def *o, const char *text)
{
	struct ebpflow_config c;
	GError *err = NULL;
	char *v;

	config_defaults(&c);
	if (!option_set(o, &c, text, false, false, &err))
		g_error("%s: the test's value '%s' is refused: %s", o->name ? o->name : o->key, text,
			err->message);
	v = option_format(o, &c);
	config_clear(&c);
	return v;
}

static char *default_of(const struct option_def *o)
{
	struct ebpflow_config c;
	char *v;

	config_defaults(&c);
	v = option_format(o, &c);
	config_clear(&c);
	return v;
}

/* config_load on argv (NULL-terminated, without argv[0]); its rc, the config in c. */
static int load(struct ebpflow_config *c, GError **err, char **args)
{
	char *argv[16] = { "ebpflow" };
	int argc = 1;
	int rc, saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);

	while (args[argc - 1])
		argv[argc] = args[argc - 1], argc++;
	fflush(stdout);
	dup2(null, STDOUT_FILENO); /* --help and --version print */
	rc = config_load(c, argc, argv, err);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	return rc;
}

static char *args_str(char **args)
{
	return g_strjoinv(" ", args);
}

/* args must load, and leave o's field formatted as want. */
static void accepts(const struct option_def *o, const char *want, char **args)
{
	struct ebpflow_config c;
	GError *err = NULL;
	char *got, *s = args_str(args);
	int rc = load(&c, &err, args);

	if (rc != 0)
		g_error("'%s': rc %d: %s", s, rc, err ? err->message : "");
	accepted++;
	got = option_format(o, &c);
	if (strcmp(got, want))
		g_error("'%s': %s is '%s', not '%s'", s, o->name ? o->name : o->key, got, want);
	g_free(got);
	g_free(s);
	config_clear(&c);
}

/* args must be refused with a message containing needle. */
static void refuses(const char *needle, char **args)
{
	struct ebpflow_config c;
	GError *err = NULL;
	char *s = args_str(args);

	if (load(&c, &err, args) != -1)
		g_error("'%s' was accepted", s);
	if (!strstr(err->message, needle))
		g_error("'%s': '%s' does not say '%s'", s, err->message, needle);
	refused++;
	g_error_free(err);
	g_free(s);
	config_clear(&c);
}

#define ARGS(...) ((char *[]){ __VA_ARGS__, NULL })

static bool has_field(const struct option_def *o)
{
	return o->type != OPT_HELP && o->type != OPT_VERSION && o->type != OPT_CONFIG;
}

/* The shortest prefix of o's name that no other name starts with (0: none). */
static size_t unique_prefix(const struct option_def *o)
{
	for (size_t len = 1; len < strlen(o->name); len++) {
		size_t n = 0;

		for (size_t i = 0; i < table_len; i++)
			n += table[i].name && !strncmp(table[i].name, o->name, len);
		if (n == 1)
			return len;
	}
	return 0;
}

/* Every spelling of an option that takes no value, alone and bundled. */
static void test_flags(void)
{
	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];
		char *want, *s;

		if (!o->name || option_has_arg(o) || !has_field(o))
			continue;
		want = expected(o, NULL);
		s = g_strdup_printf("--%s", o->name);
		accepts(o, want, ARGS(s));
		g_free(s);
		for (size_t len = unique_prefix(o); len && len < strlen(o->name); len++) {
			s = g_strdup_printf("--%.*s", (int)len, o->name);
			accepts(o, want, ARGS(s));
			g_free(s);
		}
		s = g_strdup_printf("--%s=yes", o->name);
		refuses(" takes no value", ARGS(s));
		g_free(s);
		if (o->short_name) {
			s = g_strdup_printf("-%c", o->short_name);
			accepts(o, want, ARGS(s));
			g_free(s);
			for (size_t j = 0; j < table_len; j++) {
				const struct option_def *f = &table[j];

				if (!f->short_name || option_has_arg(f) || !has_field(f) ||
				    f->offset == o->offset)
					continue;
				s = g_strdup_printf("-%c%c", f->short_name, o->short_name);
				accepts(o, want, ARGS(s));
				g_free(s);
			}
		}
		g_free(want);
	}
}

/* Every spelling of an option with a value: separate, '=', abbreviated, short, bundled. */
static void test_values(void)
{
	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];
		const char *v = sample(o);
		char *want, *s, *t, *defaults;

		if (!o->name || !option_has_arg(o) || !has_field(o))
			continue;
		want = expected(o, v);
		g_assert_cmpstr(want, !=, defaults = default_of(o)); /* the test proves something */
		g_free(defaults);
		s = g_strdup_printf("--%s", o->name);
		accepts(o, want, ARGS(s, (char *)v));
		refuses(" needs a value", ARGS(s));
		g_free(s);
		s = g_strdup_printf("--%s=%s", o->name, v);
		accepts(o, want, ARGS(s));
		g_free(s);
		for (size_t len = unique_prefix(o); len && len < strlen(o->name); len++) {
			s = g_strdup_printf("--%.*s", (int)len, o->name);
			t = g_strdup_printf("--%.*s=%s", (int)len, o->name, v);
			accepts(o, want, ARGS(s, (char *)v));
			accepts(o, want, ARGS(t));
			g_free(s);
			g_free(t);
		}
		if (o->short_name) {
			s = g_strdup_printf("-%c", o->short_name);
			t = g_strdup_printf("-%c%s", o->short_name, v);
			accepts(o, want, ARGS(s, (char *)v));
			accepts(o, want, ARGS(t));
			refuses(" needs a value", ARGS(s));
			g_free(s);
			g_free(t);
			for (size_t j = 0; j < table_len; j++) {
				const struct option_def *f = &table[j];

				if (!f->short_name || option_has_arg(f) || !has_field(f))
					continue;
				s = g_strdup_printf("-%c%c", f->short_name, o->short_name);
				t = g_strdup_printf("-%c%c%s", f->short_name, o->short_name, v);
				accepts(o, want, ARGS(s, (char *)v));
				accepts(o, want, ARGS(t));
				g_free(s);
				g_free(t);
			}
		}
		g_free(want);
	}
}

static char *write_conf(const char *text)
{
	char *path = g_build_filename(tmpdir, "ebpflow.conf", NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_chmod(path, 0600);
	return path;
}

/* -c FILE however it is spelled: the file is read (the bug: --conf FILE was not). */
static void test_config_spellings(void)
{
	const struct option_def *o = option_by_name("config"), *interval = option_by_name("interval");
	char *path = write_conf("[output]\ninterval = 7\n");
	char *eq = g_strdup_printf("--config=%s", path), *abbr = g_strdup_printf("--conf=%s", path);
	char *glued = g_strdup_printf("-c%s", path), *bundled = g_strdup_printf("-dc%s", path);

	g_assert_nonnull(o);
	accepts(interval, "7", ARGS("-c", path));
	accepts(interval, "7", ARGS("--config", path));
	accepts(interval, "7", ARGS(eq));
	accepts(interval, "7", ARGS("--conf", path));
	accepts(interval, "7", ARGS(abbr));
	accepts(interval, "7", ARGS(glued));
	accepts(interval, "7", ARGS("-dc", path));
	accepts(interval, "7", ARGS(bundled));
	accepts(interval, "7", ARGS("-vdqc", path));
	accepts(interval, "3", ARGS("-i", "3", "--conf", path)); /* the command line wins */
	accepts(o, path, ARGS("--check-config", "--conf", path));
	refuses("/nonexistent/x.conf: No such file", ARGS("--conf", "/nonexistent/x.conf"));
	refuses("/nonexistent/x.conf: No such file", ARGS("-dc", "/nonexistent/x.conf"));
	refuses("option '--con' is ambiguous (--config, --containers, --containerd-state)",
		ARGS("--con", path));
	refuses("--config needs a value", ARGS("-dc"));
	refuses("--config: the path is empty", ARGS("--config="));
	g_unlink(path);
	g_free(path);
	g_free(eq);
	g_free(abbr);
	g_free(glued);
	g_free(bundled);
}

/* Each key of the file sets its option's field, and the command line wins over it. */
static void test_file_keys(void)
{
	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];
		const char *v = sample(o);
		char *text, *path, *want, *s;

		if (!o->section)
			continue;
		text = g_strdup_printf("# %s\n[%s]\n%s = %s\n", o->key, o->section, o->key, v);
		path = write_conf(text);
		want = expected(o, v);
		accepts(o, want, ARGS("-c", path));
		g_free(want);
		if (o->name && option_has_arg(o) && other(o)) {
			s = g_strdup_printf("--%s=%s", o->name, other(o));
			want = expected(o, other(o));
			accepts(o, want, ARGS("-c", path, s));
			accepts(o, want, ARGS(s, "-c", path)); /* wherever -c is */
			g_free(want);
			g_free(s);
		}
		g_unlink(path);
		g_free(path);
		g_free(text);
	}
}

/* Bad values: the same words from the command line and from the file. */
static void test_bad_values(void)
{
	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];
		const char *bad[3] = { NULL };
		char *msg[3] = { NULL };

		if (o->type == OPT_UINT) {
			bad[0] = "12x";
			msg[0] = g_strdup_printf("'12x' is not a whole number (%u-%u)", o->min, o->max);
			bad[1] = "-1";
			msg[1] = g_strdup_printf("'-1' is not a whole number (%u-%u)", o->min, o->max);
			if (o->max < UINT32_MAX) {
				bad[2] = "99999999999";
				msg[2] = g_strdup_printf("99999999999 is out of range (%u-%u)", o->min,
							 o->max);
			}
		} else if (o->type == OPT_ENUM) {
			char *names = option_names(o, ", ");

			bad[0] = "bogus";
			msg[0] = g_strdup_printf("'bogus' is not one of: %s", names);
			g_free(names);
		}
		for (int k = 0; k < 3 && bad[k]; k++) {
			if (o->name) {
				char *s = g_strdup_printf("--%s", o->name);
				char *want = g_strdup_printf("--%s: %s", o->name, msg[k]);

				refuses(want, ARGS(s, (char *)bad[k]));
				g_free(s);
				g_free(want);
			}
			if (o->section) {
				char *text = g_strdup_printf("[%s]\n%s = %s\n", o->section, o->key, bad[k]);
				char *path = write_conf(text);
				char *want = g_strdup_printf("%s:2: [%s] %s: %s", path, o->section, o->key,
							     msg[k]);

				refuses(want, ARGS("-c", path));
				g_unlink(path);
				g_free(path);
				g_free(text);
				g_free(want);
			}
			g_free(msg[k]);
		}
	}
}

/* Every prefix that two names share is refused, naming both. */
static void test_ambiguous(void)
{
	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];
		size_t u;

		if (!o->name)
			continue;
		u = unique_prefix(o);
		for (size_t len = 1; len < (u ? u : strlen(o->name)); len++) {
			char *s = g_strdup_printf("--%.*s", (int)len, o->name);
			char *want = g_strdup_printf("option '%s' is ambiguous (", s);

			if (!option_by_name(s + 2)) /* an exact name is no abbreviation */
				refuses(want, ARGS(s, "1"));
			g_free(s);
			g_free(want);
		}
	}
	refuses("unknown option '--nope'", ARGS("--nope"));
	refuses("unknown option '-Z'", ARGS("-Z"));
	refuses("unknown option '-Z'", ARGS("-dZ"));
	refuses("unexpected argument 'extra'", ARGS("extra"));
	refuses("unexpected argument 'extra'", ARGS("--", "extra"));
}

static void test_help_and_version(void)
{
	struct ebpflow_config c;

	g_assert_cmpint(load(&c, NULL, ARGS("--help")), ==, 1);
	config_clear(&c);
	g_assert_cmpint(load(&c, NULL, ARGS("--he")), ==, 1);
	config_clear(&c);
	g_assert_cmpint(load(&c, NULL, ARGS("-dh")), ==, 1);
	config_clear(&c);
	g_assert_cmpint(load(&c, NULL, ARGS("--vers")), ==, 1);
	config_clear(&c);
	/* help wins over a file that does not exist: nothing is read for it */
	g_assert_cmpint(load(&c, NULL, ARGS("-c", "/nonexistent", "-h")), ==, 1);
	config_clear(&c);
}

/* The table itself: what the generated tests rely on. */
static void test_table(void)
{
	for (size_t i = 0; i < table_len; i++) {
		const struct option_def *o = &table[i];

		g_assert_true(o->name || o->section);
		g_assert_true(!o->section == !o->key);
		g_assert_nonnull(o->help);
		if (o->name && option_has_arg(o))
			g_assert_nonnull(o->metavar);
		if (o->parse)
			g_assert_nonnull(o->example);
		/* the field's size matches its type */
		switch (o->type) {
		case OPT_FLAG:
			g_assert_cmpuint(o->size, ==, sizeof(bool));
			break;
		case OPT_UINT:
		case OPT_BITS:
			g_assert_cmpuint(o->size, ==, sizeof(uint32_t));
			break;
		case OPT_ENUM:
		case OPT_SET:
			g_assert_cmpuint(o->size, ==, sizeof(int));
			break;
		case OPT_HELP:
		case OPT_VERSION:
			break;
		default:
			g_assert_cmpuint(o->size, ==, sizeof(void *));
		}
		for (size_t j = 0; j < i; j++) {
			if (o->name && table[j].name)
				g_assert_cmpstr(o->name, !=, table[j].name);
			if (o->short_name)
				g_assert_cmpint(o->short_name, !=, table[j].short_name);
			if (o->section && table[j].section && !strcmp(o->section, table[j].section))
				g_assert_cmpstr(o->key, !=, table[j].key);
		}
	}
}

/* -d, --containers, the seed's --docker and [containers] resolve_names: one setting */
static void test_container_names(void)
{
	const struct option_def *o = option_by_name("containers");
	char *path = write_conf("[containers]\nresolve_names = true\n");

	g_assert_nonnull(o);
	g_assert_true(o->offset == option_by_name("docker")->offset);
	accepts(o, "false", ARGS("-i", "1"));
	accepts(o, "true", ARGS("-d"));
	accepts(o, "true", ARGS("--containers"));
	accepts(o, "true", ARGS("--docker"));
	accepts(o, "true", ARGS("-c", path));
	g_unlink(path);
	g_free(path);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	table = options_table(&table_len);
	tmpdir = g_dir_make_tmp("ebpflow-cmdline-XXXXXX", NULL);
	g_test_add_func("/cmdline/table", test_table);
	g_test_add_func("/cmdline/flags", test_flags);
	g_test_add_func("/cmdline/values", test_values);
	g_test_add_func("/cmdline/config_spellings", test_config_spellings);
	g_test_add_func("/cmdline/file_keys", test_file_keys);
	g_test_add_func("/cmdline/bad_values", test_bad_values);
	g_test_add_func("/cmdline/ambiguous", test_ambiguous);
	g_test_add_func("/cmdline/container_names", test_container_names);
	g_test_add_func("/cmdline/help_and_version", test_help_and_version);
	rc = g_test_run();
	printf("# %u command lines accepted with the documented value, %u refused as documented\n",
	       accepted, refused);
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return rc;
}
