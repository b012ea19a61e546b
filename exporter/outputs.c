// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fan-out of records to the outputs, and the lifecycle of the IPFIX
 * outputs and the ZMQ publisher: checked before anything is loaded, opened
 * at start, replaced whole on SIGHUP (the old ones flushed first, so no
 * record is lost).
 */
#include "outputs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "ipfix.h"
#include "json.h"
#include "log.h"
#include "transport.h"
#include "zmq_export.h"

#define OUTPUTS_ERROR g_quark_from_static_string("ebpflow-outputs")

struct outputs {
	FILE *out;
	bool json;
	struct console *console;
	struct transport *transport; /* NULL without IPFIX */
	struct ipfix *ipfix;
	struct zmq_export *zmq; /* NULL without --zmq */
};

struct outputs *outputs_new(FILE *out, bool json, struct console *console)
{
	struct outputs *o = g_new0(struct outputs, 1);

	o->out = out;
	o->json = json;
	o->console = console;
	return o;
}

static void close_ipfix(struct outputs *o)
{
	g_clear_pointer(&o->ipfix, ipfix_free);
	g_clear_pointer(&o->transport, transport_free);
}

void outputs_free(struct outputs *o)
{
	if (!o)
		return;
	close_ipfix(o);
	zmq_export_free(o->zmq);
	g_free(o);
}

static void warn_error(const char *what, GError *err)
{
	pr_warn("%s: %s\n", what, err ? err->message : "unknown error");
	g_clear_error(&err);
}

/* As transport_add_file will open it: "we", created or truncated. */
static gboolean check_file(const char *path, GError **err)
{
	char *dir = g_path_get_dirname(path);
	struct stat st;
	int e;

	if (stat(path, &st) == 0)
		e = S_ISDIR(st.st_mode) ? EISDIR : access(path, W_OK) ? errno : 0;
	else if (errno == ENOENT)
		e = access(dir, W_OK) ? errno : 0;
	else
		e = errno;
	g_free(dir);
	if (e)
		g_set_error(err, OUTPUTS_ERROR, 1, "IPFIX file '%s': %s", path, g_strerror(e));
	return !e;
}

gboolean outputs_check_ipfix(const struct ebpflow_config *cfg, GError **err)
{
	struct transport *t = transport_new();
	gboolean ok = TRUE;

	for (guint i = 0; ok && i < cfg->collectors->len; i++)
		ok = transport_add_collector(t, g_ptr_array_index(cfg->collectors, i), err);
	if (ok && cfg->ipfix_file)
		ok = check_file(cfg->ipfix_file, err);
	transport_free(t);
	return ok;
}

gboolean outputs_set_ipfix(struct outputs *o, const struct ebpflow_config *cfg, GError **err)
{
	struct ipfix_config ic = {
		.profile = cfg->ie_profile,
		.pen = cfg->pen,
		.domain = cfg->observation_domain,
	};
	struct transport *t = NULL;
	struct ipfix *x = NULL;

	if (cfg->collectors->len || cfg->ipfix_file) {
		t = transport_new();
		for (guint i = 0; i < cfg->collectors->len; i++)
			if (!transport_add_collector(t, g_ptr_array_index(cfg->collectors, i), err))
				goto fail;
		if (cfg->ipfix_file && !transport_add_file(t, cfg->ipfix_file, err))
			goto fail;
		x = ipfix_new(&ic, transport_send, t, err);
		if (!x)
			goto fail;
	}
	/* what the old outputs hold goes out first: no record is lost */
	outputs_flush(o);
	close_ipfix(o);
	o->transport = t;
	o->ipfix = x;
	outputs_send_templates(o);
	return TRUE;
fail:
	transport_free(t);
	return FALSE;
}

gboolean outputs_check_zmq(const struct ebpflow_config *cfg, GError **err)
{
	return !cfg->zmq_endpoint || zmq_export_check(cfg->zmq_endpoint, err);
}

static bool keeps_zmq(const struct outputs *o, const struct ebpflow_config *cfg)
{
	return o->zmq && cfg->zmq_endpoint &&
	       !strcmp(zmq_export_endpoint(o->zmq), cfg->zmq_endpoint);
}

gboolean outputs_open_zmq(const struct outputs *o, const struct ebpflow_config *cfg,
			  struct zmq_export **out, GError **err)
{
	*out = NULL;
	/* the same endpoint stays open: a second bind of it would fail */
	if (!cfg->zmq_endpoint || keeps_zmq(o, cfg))
		return TRUE;
	*out = zmq_export_new(cfg->zmq_endpoint, cfg->observation_domain, err);
	return *out != NULL;
}

void outputs_set_zmq(struct outputs *o, const struct ebpflow_config *cfg, struct zmq_export *z)
{
	if (keeps_zmq(o, cfg)) {
		zmq_export_set_source_id(o->zmq, cfg->observation_domain);
		return;
	}
	if (o->zmq) {
		outputs_log_zmq(o);
		zmq_export_free(o->zmq); /* sends what it holds first */
	}
	o->zmq = z;
}

bool outputs_have_ipfix(const struct outputs *o)
{
	return o->ipfix != NULL;
}

void outputs_record(const struct flow_record *rec, void *ctx)
{
	struct outputs *o = ctx;

	if (o->json)
		json_write_record(rec, o->out);
	if (o->console)
		console_record(o->console, rec);
	if (o->ipfix) {
		GError *err = NULL;

		if (!ipfix_add(o->ipfix, rec, clock_epoch_offset_ns(), &err))
			warn_error("cannot encode an IPFIX record", err);
	}
	if (o->zmq)
		zmq_export_add(o->zmq, rec, clock_epoch_offset_ns());
}

void outputs_flush(struct outputs *o)
{
	GError *err = NULL;

	if (o->zmq)
		zmq_export_flush(o->zmq);
	if (!o->ipfix)
		return;
	if (!ipfix_flush(o->ipfix, &err))
		warn_error("cannot emit an IPFIX message", err);
	transport_flush(o->transport);
}

void outputs_send_templates(struct outputs *o)
{
	GError *err = NULL;

	if (!o->ipfix)
		return;
	if (!ipfix_send_templates(o->ipfix, &err))
		warn_error("cannot send the IPFIX templates", err);
	transport_flush(o->transport);
}

void outputs_count(const struct outputs *o, struct ebpflow_stats *s)
{
	const struct ipfix_stats *is;

	if (!o->ipfix)
		return;
	is = ipfix_stats(o->ipfix);
	s->ipfix_messages = is->messages;
	s->ipfix_records = is->records;
	s->ipfix_octets = is->octets;
	for (unsigned int i = 0; i < transport_count(o->transport); i++)
		s->ipfix_messages_lost += transport_stats(o->transport, i).failed;
}

void outputs_stats(struct outputs *o, const struct ebpflow_stats *s)
{
	if (o->json) {
		GString *j = g_string_new(NULL);

		stats_json(j, s);
		g_string_append_c(j, '\n');
		fwrite(j->str, 1, j->len, o->out);
		fflush(o->out);
		g_string_free(j, TRUE);
	}
	if (o->ipfix) {
		struct ipfix_stats_rec r;
		GError *err = NULL;

		stats_ipfix(&r, s, (uint32_t)getpid());
		if (!ipfix_add_exporter_stats(o->ipfix, &r, &err))
			warn_error("cannot encode the IPFIX statistics", err);
	}
}

void outputs_log_zmq(const struct outputs *o)
{
	const struct zmq_export_stats *z;

	if (!o->zmq)
		return;
	z = zmq_export_stats(o->zmq);
	pr_info("ZMQ %s: %llu records in %llu messages, %llu octets; %llu messages (%llu records) "
		"lost\n",
		zmq_export_endpoint(o->zmq), (unsigned long long)z->records,
		(unsigned long long)z->messages, (unsigned long long)z->octets,
		(unsigned long long)z->lost, (unsigned long long)z->lost_records);
}

void outputs_log(const struct outputs *o)
{
	const struct ipfix_stats *s;

	outputs_log_zmq(o);
	if (!o->ipfix)
		return;
	s = ipfix_stats(o->ipfix);
	pr_info("IPFIX: %llu records (%llu calls) in %llu messages, %llu octets, templates sent "
		"%llu times\n",
		(unsigned long long)s->records, (unsigned long long)s->calls,
		(unsigned long long)s->messages, (unsigned long long)s->octets,
		(unsigned long long)s->template_sends);
	for (unsigned int i = 0; i < transport_count(o->transport); i++) {
		struct transport_dest_stats d = transport_stats(o->transport, i);

		pr_info("%s: %llu messages sent, %llu lost\n", d.name, (unsigned long long)d.sent,
			(unsigned long long)d.failed);
	}
}
