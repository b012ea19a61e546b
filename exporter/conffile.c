// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration file. GKeyFile reads it; a first pass of our own finds
 * the line of every section and key (GKeyFile keeps none) and rejects what is
 * not INI, so that every message can say FILE:LINE. The schema is the table
 * `keys`; config/ebpflow.conf documents the same keys with their defaults.
 */
#include "conffile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "transport.h"

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

/* Each key's type and where it goes. */
typedef gboolean (*setter)(struct conf *f, const char *sec, const char *key, const char *value,
			   GError **err);

struct key_spec {
	const char *section;
	const char *key;
	setter set;
	uint32_t min, max; /* for numbers */
	size_t offset;     /* of the uint32_t, bool or char * in the config */
};

#define AT(field) offsetof(struct ebpflow_config, field)
#define FIELD(f, spec, type) ((type *)((char *)(f)->c + (spec)->offset))

static const struct key_spec *spec_of(const char *sec, const char *key);

static gboolean set_uint(struct conf *f, const char *sec, const char *key, const char *v,
			 GError **err)
{
	const struct key_spec *s = spec_of(sec, key);
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!*v || *end || errno || *v == '-' || *v == '+')
		return fail(f, sec, key, err, "'%s' is not a whole number (%u-%u)", v, s->min,
			    s->max);
	if (n < s->min || n > s->max)
		return fail(f, sec, key, err, "%llu is out of range (%u-%u)", n, s->min, s->max);
	*FIELD(f, s, uint32_t) = (uint32_t)n;
	return TRUE;
}

static gboolean set_bool(struct conf *f, const char *sec, const char *key, const char *v,
			 GError **err)
{
	bool *b = FIELD(f, spec_of(sec, key), bool);

	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
		*b = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
		*b = false;
	else
		return fail(f, sec, key, err, "'%s' is not true or false", v);
	return TRUE;
}

static gboolean set_path(struct conf *f, const char *sec, const char *key, const char *v,
			 GError **err)
{
	char **p = FIELD(f, spec_of(sec, key), char *);

	g_free(*p);
	*p = *v ? g_strdup(v) : NULL;
	return TRUE;
}

/* value among names[] -> its index into *out */
static gboolean choose(struct conf *f, const char *sec, const char *key, const char *v,
		       const char *const *names, int *out, GError **err)
{
	GString *allowed = g_string_new(NULL);

	for (int i = 0; names[i]; i++) {
		if (!strcmp(v, names[i])) {
			*out = i;
			g_string_free(allowed, TRUE);
			return TRUE;
		}
		g_string_append_printf(allowed, "%s%s", i ? ", " : "", names[i]);
	}
	fail(f, sec, key, err, "'%s' is not one of: %s", v, allowed->str);
	g_string_free(allowed, TRUE);
	return FALSE;
}

static gboolean set_mode(struct conf *f, const char *sec, const char *key, const char *v,
			 GError **err)
{
	static const char *const names[] = { "console", "json", "none", NULL };
	int i;

	if (!choose(f, sec, key, v, names, &i, err))
		return FALSE;
	f->c->output = (enum output_mode)i;
	return TRUE;
}

static gboolean set_profile(struct conf *f, const char *sec, const char *key, const char *v,
			    GError **err)
{
	static const char *const names[] = { "ebpflow", "ntop", NULL };
	int i;

	if (!choose(f, sec, key, v, names, &i, err))
		return FALSE;
	f->c->ie_profile = (enum ie_profile)i;
	return TRUE;
}

static gboolean set_level(struct conf *f, const char *sec, const char *key, const char *v,
			  GError **err)
{
	static const char *const names[] = { "error", "warning", "info", "debug", NULL };
	int i;

	if (!choose(f, sec, key, v, names, &i, err))
		return FALSE;
	f->c->log_level = (enum log_level)i;
	return TRUE;
}

static gboolean set_target(struct conf *f, const char *sec, const char *key, const char *v,
			   GError **err)
{
	static const char *const names[] = { "stderr", "syslog", NULL };
	int i;

	if (!choose(f, sec, key, v, names, &i, err))
		return FALSE;
	f->c->log_target = (enum log_target)i;
	return TRUE;
}

/* Lists are comma-separated (spaces allowed); an empty value is an empty list. */
static char **split_list(const char *v)
{
	char **items = g_strsplit_set(v, ",;", -1);
	int n = 0;

	for (int i = 0; items[i]; i++) {
		char *t = g_strstrip(items[i]);

		if (*t)
			items[n++] = t == items[i] ? t : memmove(items[i], t, strlen(t) + 1);
		else
			g_free(items[i]);
	}
	items[n] = NULL;
	return items;
}

/* The one transport this build has: Debian's libfixbuf has neither TLS nor SCTP. */
static gboolean set_transport(struct conf *f, const char *sec, const char *key, const char *v,
			      GError **err)
{
	static const char *const names[] = { "udp", NULL };
	int i;

	return choose(f, sec, key, v, names, &i, err);
}

static gboolean set_collectors(struct conf *f, const char *sec, const char *key, const char *v,
			       GError **err)
{
	char **items = split_list(v);
	gboolean ok = TRUE;

	g_ptr_array_set_size(f->c->collectors, 0);
	for (int i = 0; ok && items[i]; i++) {
		GError *e = NULL;
		char *host = NULL, *port = NULL;

		/* the syntax now; the name is resolved when eBPFlow starts (--check-config too) */
		if (!transport_parse_hostport(items[i], &host, &port, &e)) {
			ok = fail(f, sec, key, err, "%s", e->message);
			g_error_free(e);
		} else {
			g_ptr_array_add(f->c->collectors, g_strdup(items[i]));
		}
		g_free(host);
		g_free(port);
	}
	g_strfreev(items);
	return ok;
}

static gboolean parse_u32_list(struct conf *f, const char *sec, const char *key, const char *v,
			       uint32_t max, GArray *out, GError **err)
{
	char **items = split_list(v);
	gboolean ok = TRUE;

	g_array_set_size(out, 0);
	for (int i = 0; ok && items[i]; i++) {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(items[i], &end, 10);
		if (*end || errno || items[i][0] == '-' || n > max || (max == 65535 && !n)) {
			ok = fail(f, sec, key, err, "'%s' is not a number (%s-%u)", items[i],
				  max == 65535 ? "1" : "0", max);
		} else {
			uint32_t u = (uint32_t)n;

			g_array_append_val(out, u);
		}
	}
	g_strfreev(items);
	return ok;
}

static gboolean set_pids(struct conf *f, const char *sec, const char *key, const char *v,
			 GError **err)
{
	return parse_u32_list(f, sec, key, v, 4194304, f->c->filter.pids, err);
}

static gboolean set_ports(struct conf *f, const char *sec, const char *key, const char *v,
			  GError **err)
{
	return parse_u32_list(f, sec, key, v, 65535, f->c->filter.ports, err);
}

static gboolean set_users(struct conf *f, const char *sec, const char *key, const char *v,
			  GError **err)
{
	char **items = split_list(v);
	gboolean ok = TRUE;

	g_array_set_size(f->c->filter.uids, 0);
	for (int i = 0; ok && items[i]; i++) {
		struct passwd *pw = getpwnam(items[i]);
		char *end;
		unsigned long n = strtoul(items[i], &end, 10);
		uint32_t uid;

		if (pw)
			uid = pw->pw_uid;
		else if (!*end && items[i][0] >= '0' && items[i][0] <= '9' && n <= UINT32_MAX)
			uid = (uint32_t)n;
		else {
			ok = fail(f, sec, key, err, "'%s' is no user of this host (a name or a uid)",
				  items[i]);
			break;
		}
		g_array_append_val(f->c->filter.uids, uid);
	}
	g_strfreev(items);
	return ok;
}

static gboolean set_bits(struct conf *f, const char *sec, const char *key, const char *v,
			 const char *const *names, uint32_t *out, GError **err)
{
	char **items = split_list(v);
	gboolean ok = TRUE;

	*out = 0;
	for (int i = 0; ok && items[i]; i++) {
		int which;

		ok = choose(f, sec, key, items[i], names, &which, err);
		if (ok)
			*out |= 1u << which;
	}
	g_strfreev(items);
	return ok;
}

static gboolean set_protocols(struct conf *f, const char *sec, const char *key, const char *v,
			      GError **err)
{
	static const char *const names[] = { "tcp", "udp", NULL };

	return set_bits(f, sec, key, v, names, &f->c->filter.protocols, err);
}

static gboolean set_directions(struct conf *f, const char *sec, const char *key, const char *v,
			       GError **err)
{
	static const char *const names[] = { "outbound", "inbound", NULL };

	return set_bits(f, sec, key, v, names, &f->c->filter.directions, err);
}

static gboolean set_containers(struct conf *f, const char *sec, const char *key, const char *v,
			       GError **err)
{
	char **items = split_list(v);

	g_ptr_array_set_size(f->c->filter.containers, 0);
	for (int i = 0; items[i]; i++)
		g_ptr_array_add(f->c->filter.containers, g_strdup(items[i]));
	g_strfreev(items);
	return TRUE;
}

static const struct key_spec keys[] = {
	{ "output", "mode", set_mode, 0, 0, 0 },
	{ "output", "interval", set_uint, 1, 3600, AT(interval_s) },
	{ "flows", "idle_timeout", set_uint, 1, 86400, AT(idle_timeout_s) },
	{ "flows", "active_timeout", set_uint, 1, 86400, AT(active_timeout_s) },
	{ "flows", "map_size", set_uint, 1024, 1u << 24, AT(map_entries) },
	{ "ipfix", "collectors", set_collectors, 0, 0, 0 },
	{ "ipfix", "transport", set_transport, 0, 0, 0 },
	{ "ipfix", "file", set_path, 0, 0, AT(ipfix_file) },
	{ "ipfix", "template_refresh", set_uint, 1, 86400, AT(template_refresh_s) },
	{ "ipfix", "observation_domain", set_uint, 0, UINT32_MAX, AT(observation_domain) },
	{ "ipfix", "enterprise_number", set_uint, 1, UINT32_MAX, AT(pen) },
	{ "ipfix", "profile", set_profile, 0, 0, 0 },
	{ "containers", "resolve_names", set_bool, 0, 0, AT(docker) },
	{ "containers", "docker_socket", set_path, 0, 0, AT(docker_socket) },
	{ "containers", "podman_socket", set_path, 0, 0, AT(podman_socket) },
	{ "filter", "pids", set_pids, 0, 0, 0 },
	{ "filter", "users", set_users, 0, 0, 0 },
	{ "filter", "ports", set_ports, 0, 0, 0 },
	{ "filter", "protocols", set_protocols, 0, 0, 0 },
	{ "filter", "directions", set_directions, 0, 0, 0 },
	{ "filter", "containers", set_containers, 0, 0, 0 },
	{ "log", "level", set_level, 0, 0, 0 },
	{ "log", "target", set_target, 0, 0, 0 },
};

static const struct key_spec *spec_of(const char *sec, const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (!strcmp(keys[i].section, sec) && !strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

static bool known_section(const char *sec)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (!strcmp(keys[i].section, sec))
			return true;
	return false;
}

static char *keys_of(const char *sec)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (!strcmp(keys[i].section, sec))
			g_string_append_printf(s, "%s%s", s->len ? ", " : "", keys[i].key);
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
	for (int g = 0; groups[g]; g++) {
		gchar **ks;

		if (!known_section(groups[g])) {
			fail(&f, groups[g], NULL, err,
			     "unknown section (sections: output, flows, ipfix, containers, filter, log)");
			goto out;
		}
		ks = g_key_file_get_keys(f.kf, groups[g], NULL, NULL);
		for (int k = 0; ks && ks[k]; k++) {
			const struct key_spec *s = spec_of(groups[g], ks[k]);
			char *v;
			gboolean set_ok;

			if (!s) {
				char *known = keys_of(groups[g]);

				fail(&f, groups[g], ks[k], err, "unknown key (in [%s]: %s)", groups[g],
				     known);
				g_free(known);
				g_strfreev(ks);
				goto out;
			}
			v = g_key_file_get_value(f.kf, groups[g], ks[k], NULL);
			set_ok = s->set(&f, groups[g], ks[k], g_strstrip(v), err);
			g_free(v);
			if (!set_ok) {
				g_strfreev(ks);
				goto out;
			}
		}
		g_strfreev(ks);
	}
	ok = TRUE;
out:
	g_strfreev(groups);
	g_key_file_free(f.kf);
	g_hash_table_destroy(f.lines);
	g_free(text);
	return ok;
}
