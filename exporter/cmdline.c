// SPDX-License-Identifier: GPL-2.0-only
/*
 * The command line, read by getopt_long from the table of options: long
 * names, their unambiguous abbreviations, --name=value and --name value,
 * short letters, bundled or not (-dc FILE, -i5). It is read twice with the
 * same getopt: once for -c/--config and --help, so that the file is found
 * however it is spelled, then, after the file, for the rest. Every error
 * names the option and exits 2.
 */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "conffile.h"

#define OPT_ERROR g_quark_from_static_string("ebpflow-options")
#define LONG_VAL 256 /* getopt_long's val of options[i]: LONG_VAL + i */

struct getopt_table {
	struct option *longopts;
	char *shortopts;
};

static void table_build(struct getopt_table *g)
{
	size_t n;
	const struct option_def *t = options_table(&n);
	GString *s = g_string_new(":"); /* ':': a missing value is ':', not '?' */
	size_t k = 0;

	g->longopts = g_new0(struct option, n + 1);
	for (size_t i = 0; i < n; i++) {
		if (t[i].short_name)
			g_string_append_printf(s, "%c%s", t[i].short_name,
					       option_has_arg(&t[i]) ? ":" : "");
		if (!t[i].name)
			continue;
		g->longopts[k].name = t[i].name;
		g->longopts[k].has_arg = option_has_arg(&t[i]) ? required_argument : no_argument;
		g->longopts[k].val = LONG_VAL + (int)i;
		k++;
	}
	g->shortopts = g_string_free(s, FALSE);
}

static void table_free(struct getopt_table *g)
{
	g_free(g->longopts);
	g_free(g->shortopts);
}

/* getopt_long's answer -> the option it names (short letter or LONG_VAL + i) */
static const struct option_def *option_of(int val)
{
	size_t n;
	const struct option_def *t = options_table(&n);

	if (val >= LONG_VAL && (size_t)(val - LONG_VAL) < n)
		return &t[val - LONG_VAL];
	for (size_t i = 0; i < n; i++)
		if (val > 0 && t[i].short_name == val)
			return &t[i];
	return NULL;
}

/* How errors name an option: its long name, as --help does. */
static char *display(const struct option_def *o)
{
	return o->name ? g_strdup_printf("--%s", o->name) : g_strdup_printf("-%c", o->short_name);
}

/* A long option getopt_long refused: unknown, ambiguous, or given a value it takes none of. */
static void long_error(const char *arg, GError **err)
{
	size_t n, len = strcspn(arg + 2, "=");
	const struct option_def *t = options_table(&n);
	GString *matches = g_string_new(NULL);
	int count = 0;

	for (size_t i = 0; i < n; i++) {
		if (t[i].name && !strncmp(t[i].name, arg + 2, len)) {
			if (strlen(t[i].name) == len) { /* an exact name is no abbreviation */
				g_string_printf(matches, "--%s", t[i].name);
				count = 1;
				break;
			}
			g_string_append_printf(matches, "%s--%s", count ? ", " : "", t[i].name);
			count++;
		}
	}
	if (count > 1) {
		g_set_error(err, OPT_ERROR, 1, "option '%.*s' is ambiguous (%s)", (int)len + 2, arg,
			    matches->str);
	} else if (count == 1 && arg[len + 2] == '=') {
		g_set_error(err, OPT_ERROR, 1, "%s takes no value", matches->str);
	} else {
		char *shown = log_excerpt(arg);

		g_set_error(err, OPT_ERROR, 1, "unknown option '%s'", shown);
		g_free(shown);
	}
	g_string_free(matches, TRUE);
}

enum pass { PASS_CONFIG, PASS_REST };

/*
 * One reading of argv. PASS_CONFIG: syntax, -c and --help/--version only;
 * PASS_REST: every other option's value into c. Returns as config_load.
 */
static int read_args(struct ebpflow_config *c, int argc, char **argv, enum pass pass, GError **err)
{
	struct getopt_table g;
	size_t n;
	const struct option_def *t = options_table(&n);
	bool *given = g_new0(bool, n); /* a list given again on the command line adds to it */
	int opt, rc = 0;

	table_build(&g);
	opterr = 0; /* our messages, not getopt's */
	optind = 0; /* glibc: start afresh (argv is read twice, and the tests parse many) */
	while (!rc && (opt = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		const struct option_def *o = option_of(opt == '?' || opt == ':' ? optopt : opt);
		GError *e = NULL;
		char *name;

		if (opt == ':' && o) {
			name = display(o);
			g_set_error(err, OPT_ERROR, 1, "%s needs a value", name);
			g_free(name);
			rc = -1;
		} else if (opt == '?' || opt == ':') {
			/* optopt 0: a long name unknown or ambiguous; o: a flag given a value */
			if (!optopt || o)
				long_error(argv[optind - 1], err);
			else
				g_set_error(err, OPT_ERROR, 1, "unknown option '-%c'", optopt);
			rc = -1;
		} else if (pass == PASS_CONFIG) {
			if (o->type == OPT_HELP) {
				config_usage(stdout);
				rc = 1;
			} else if (o->type == OPT_VERSION) {
				printf("ebpflow %s\n", EBPFLOW_VERSION);
				rc = 1;
			} else if (o->type == OPT_CONFIG &&
				   !option_set(o, c, optarg, false, false, &e)) {
				rc = -1;
			}
		} else if (o->type != OPT_CONFIG && o->type != OPT_HELP && o->type != OPT_VERSION &&
			   !option_set(o, c, optarg, given[o - t], false, &e)) {
			rc = -1;
		} else {
			given[o - t] = true;
		}
		if (e) {
			name = display(o);
			g_set_error(err, OPT_ERROR, 1, "%s: %s", name, e->message);
			g_free(name);
			g_error_free(e);
		}
	}
	if (!rc && optind < argc) {
		char *shown = log_excerpt(argv[optind]);

		g_set_error(err, OPT_ERROR, 1, "unexpected argument '%s'", shown);
		g_free(shown);
		rc = -1;
	}
	table_free(&g);
	g_free(given);
	return rc;
}

int config_parse_args(struct ebpflow_config *c, int argc, char **argv, GError **err)
{
	int rc = read_args(c, argc, argv, PASS_CONFIG, err);

	return rc ? rc : read_args(c, argc, argv, PASS_REST, err);
}

int config_load(struct ebpflow_config *c, int argc, char **argv, GError **err)
{
	int rc;

	config_defaults(c);
	rc = read_args(c, argc, argv, PASS_CONFIG, err);
	if (rc)
		return rc;
	if (c->config_path && !conffile_load(c->config_path, c, err))
		return -1;
	return read_args(c, argc, argv, PASS_REST, err);
}

/* text at column `indent`, words wrapped before column 80 */
static void wrap(FILE *out, const char *text, int col, int indent)
{
	char **words = g_strsplit(text, " ", -1);

	for (int i = 0; words[i]; i++) {
		int len = (int)strlen(words[i]);

		if (col > indent && col + 1 + len > 79) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fputs(words[i], out);
		col += len;
	}
	fputc('\n', out);
	g_strfreev(words);
}

/* What --help adds to an option's help: allowed values, range, default. */
static char *help_of(const struct option_def *o)
{
	GString *s = g_string_new(o->help);
	char *names = NULL;
	bool range = o->type == OPT_UINT && (o->min > 1 || o->max < UINT32_MAX);

	if (o->type == OPT_ENUM)
		names = option_names(o, " or ");
	if (names || range || (o->def && o->type != OPT_FLAG)) {
		g_string_append(s, " (");
		if (names)
			g_string_append(s, names);
		else if (range)
			g_string_append_printf(s, "%u-%u", o->min, o->max);
		if (o->def && o->type != OPT_FLAG)
			g_string_append_printf(s, "%sdefault %s", names ? "; " : range ? ", " : "",
					       o->def);
		g_string_append_c(s, ')');
	}
	g_free(names);
	return g_string_free(s, FALSE);
}

#define HELP_COLUMN 29

void config_usage(FILE *out)
{
	size_t n;
	const struct option_def *t = options_table(&n);
	const char *section = NULL;
	GString *file_only = g_string_new(NULL);

	fputs("Usage: ebpflow [OPTION]...\n"
	      "Watch the TCP connects and accepts and the UDP sends and receives of every\n"
	      "process on this host, aggregated in the kernel into flows keyed by process,\n"
	      "addresses and the responder's port. Needs root (or CAP_BPF, CAP_PERFMON and\n"
	      "CAP_NET_ADMIN) and a kernel with BTF.\n\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		char *left, *help;

		if (!t[i].name) {
			/* "[filter] pids, users, ..." */
			if (section && !strcmp(section, t[i].section))
				g_string_append(file_only, ", ");
			else
				g_string_append_printf(file_only, "%s[%s] ", section ? "; " : "",
						       t[i].section);
			g_string_append(file_only, t[i].key);
			section = t[i].section;
			continue;
		}
		if (t[i].group)
			fprintf(out, "\n%s%s", t[i].group, *t[i].group ? "\n" : "");
		left = g_strdup_printf("  %c%c%s--%s%s%s", t[i].short_name ? '-' : ' ',
				       t[i].short_name ? t[i].short_name : ' ',
				       t[i].short_name ? ", " : "  ", t[i].name,
				       option_has_arg(&t[i]) ? " " : "",
				       option_has_arg(&t[i]) ? t[i].metavar : "");
		help = help_of(&t[i]);
		fputs(left, out);
		if ((int)strlen(left) > HELP_COLUMN - 2) {
			fputc('\n', out);
			fprintf(out, "%*s", HELP_COLUMN, "");
		} else {
			fprintf(out, "%*s", HELP_COLUMN - (int)strlen(left), "");
		}
		wrap(out, help, HELP_COLUMN, HELP_COLUMN);
		g_free(left);
		g_free(help);
	}
	g_string_prepend(file_only, "\nOnly in the file, ebpflow.conf(5): ");
	g_string_append_c(file_only, '.');
	wrap(out, file_only->str, 0, 2);
	g_string_free(file_only, TRUE);
	fputs("\n"
	      "Examples:\n"
	      "  sudo ebpflow                                watch every process, console view\n"
	      "  sudo ebpflow -i 1                           refresh every second\n"
	      "  sudo ebpflow -d                             with container names\n"
	      "  sudo ebpflow -d --user ebpflow              then not as root (its groups: docker)\n"
	      "  sudo ebpflow --map-size 32768 --check-config   does the flow map fit the budget?\n"
	      "  sudo ebpflow -o json --duration 60 > f.json one minute of flow records\n"
	      "  sudo ebpflow -o json --idle-timeout 10 | jq 'select(.proto == \"UDP\")'\n"
	      "  sudo ebpflow -o none --collector 127.0.0.1:9995   to nfcapd -b 127.0.0.1 -p 9995\n"
	      "  sudo ebpflow --collector collector.example:4739 --collector [2001:db8::9]:4739\n"
	      "  sudo ebpflow -c /etc/ebpflow/ebpflow.conf   the settings of a file (options win)\n"
	      "  sudo ebpflow -c my.conf --check-config      check it: exit 0, or 2 saying why\n"
	      "  sudo ebpflow --ipfix-file flows.ipfix --duration 60\n"
	      "  ipfixDump --rfc5610 -i flows.ipfix             read that file\n"
	      "\n"
	      "On a terminal, the console view fits the screen; keys c, p, n and m sort it by\n"
	      "count, pid, process name or MTBS, and q quits.\n"
	      "\n"
	      "Signals: SIGHUP re-reads the file and applies collectors, timeouts, filters and\n"
	      "logging (a bad file is reported and the running configuration kept); SIGINT and\n"
	      "SIGTERM report every flow and exit.\n"
	      "\n"
	      "Exit status: 0 when done, 1 when the probe cannot run, 2 on a usage or\n"
	      "configuration error (nothing is attached then).\n",
	      out);
}
