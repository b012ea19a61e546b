// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fan-out of records to the outputs, and the lifecycle of the IPFIX
 * outputs and the ZMQ publisher: checked before anything is loaded, opened
 * at start, replaced whole on SIGHUP (the old ones flushed and their file
 * closed first, so no record is lost and the new stream follows the old one
 * whole; collectors kept keep their sockets), the IPFIX file rotated between
 * messages, a collector that resolves late given the templates first.
 */
#include "outputs.h"

#include <errno.h>
#include <string.h>
#include <time.h>
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
	bool started; /* IPFIX outputs were set once: later collectors resolve in a thread */
	bool rotate_failing; /* the IPFIX file's rotation failed: said once */
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

static void file_config(const struct ebpflow_config *cfg, struct ipfix_file_config *fc)
{
	fc->path = cfg->ipfix_file;
	fc->group = cfg->ipfix_file_group;
	fc->rotate_s = cfg->ipfix_file_rotate_s;
	fc->rotate_bytes = (uint64_t)cfg->ipfix_file_rotate_kib * 1024;
}

gboolean outputs_check_ipfix(const struct ebpflow_config *cfg, bool resolve, GError **err)
{
	struct ipfix_file_config fc;

	for (guint i = 0; resolve && i < cfg->collectors->len; i++)
		if (!transport_check_collector(g_ptr_array_index(cfg->collectors, i), err))
			return FALSE;
	if (cfg->ipfix_file_rotate_kib && cfg->ipfix_file_rotate_kib < IPFIX_FILE_ROTATE_MIN_KIB) {
		g_set_error(err, OUTPUTS_ERROR, 1,
			    "[ipfix] file_rotate_size: %u KiB is less than %u KiB (0: no rotation "
			    "by size)", cfg->ipfix_file_rotate_kib, IPFIX_FILE_ROTATE_MIN_KIB);
		return FALSE;
	}
	file_config(cfg, &fc);
	return !cfg->ipfix_file || ipfix_file_check(&fc, err);
}

/*
 * The old outputs send what they hold and close their file before the new
 * file is opened (the same path, most often: a new stream is appended after
 * the old one, which is whole). The file is the one part that can fail;
 * then the old file is opened again and the old outputs stay.
 */
gboolean outputs_set_ipfix(struct outputs *o, const struct ebpflow_config *cfg, GError **err)
{
	struct ipfix_config ic = {
		.profile = cfg->ie_profile,
		.pen = cfg->pen,
		.domain = cfg->observation_domain,
	};
	struct ipfix_file_config fc;
	struct transport *t = NULL;
	struct ipfix *x = NULL;
	GError *again = NULL;

	file_config(cfg, &fc);
	if (cfg->ipfix_file && !ipfix_file_check(&fc, err))
		return FALSE;
	if (cfg->collectors->len || cfg->ipfix_file) {
		t = transport_new();
		x = ipfix_new(&ic, transport_send, t, err);
		if (!x) {
			transport_free(t);
			return FALSE;
		}
	}
	outputs_flush(o);
	if (o->transport)
		transport_close_file(o->transport);
	if (cfg->ipfix_file && !transport_add_file(t, &fc, err)) {
		ipfix_free(x);
		transport_free(t);
		if (o->transport && !transport_reopen_file(o->transport, &again))
			warn_error("the IPFIX file of the running configuration", again);
		outputs_send_templates(o); /* the old file goes on with a new stream */
		return FALSE;
	}
	/* collectors kept keep their socket (its send buffer) and their counters */
	for (guint i = 0; t && i < cfg->collectors->len; i++) {
		const char *spec = g_ptr_array_index(cfg->collectors, i);

		if (!transport_adopt_collector(t, o->transport, spec))
			transport_add_collector(t, spec, !o->started, NULL);
	}
	close_ipfix(o);
	o->transport = t;
	o->ipfix = x;
	o->started = true;
	outputs_send_templates(o);
	return TRUE;
}

/*
 * Rotation goes between messages: what waits goes to the old file, then the
 * new file starts with the templates (the collectors get them too, as a
 * refresh), so that every file decodes on its own.
 */
static void rotate_if_due(struct outputs *o)
{
	time_t now = time(NULL);
	GError *err = NULL;

	if (!transport_file_rotation_due(o->transport, now))
		return;
	if (!ipfix_flush(o->ipfix, &err))
		warn_error("cannot emit an IPFIX message", err);
	if (!transport_rotate_file(o->transport, now, &err)) {
		if (!o->rotate_failing)
			warn_error("IPFIX file rotation (tried again every few seconds)", err);
		g_clear_error(&err);
		o->rotate_failing = true;
		return;
	}
	if (o->rotate_failing)
		pr_info("IPFIX file rotation works again\n");
	o->rotate_failing = false;
	outputs_send_templates(o);
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
	*out = zmq_export_new(cfg->zmq_endpoint, cfg->observation_domain, cfg->zmq_format, err);
	return *out != NULL;
}

void outputs_set_zmq(struct outputs *o, const struct ebpflow_config *cfg, struct zmq_export *z)
{
	if (keeps_zmq(o, cfg)) {
		zmq_export_set_source_id(o->zmq, cfg->observation_domain);
		zmq_export_set_format(o->zmq, cfg->zmq_format);
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
	/* read once a record: its JSON, IPFIX and ZMQ forms carry the same times */
	int64_t epoch_offset_ns = o->json || o->ipfix || o->zmq ? clock_epoch_offset_ns() : 0;

	if (o->json)
		json_write_record(rec, epoch_offset_ns, o->out);
	if (o->console)
		console_record(o->console, rec);
	if (o->ipfix) {
		GError *err = NULL;

		rotate_if_due(o);
		if (!ipfix_add(o->ipfix, rec, epoch_offset_ns, &err))
			warn_error("cannot encode an IPFIX record", err);
	}
	if (o->zmq)
		zmq_export_add(o->zmq, rec, epoch_offset_ns);
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
	/* a collector that just resolved gets the templates before any record */
	if (transport_poll(o->transport))
		outputs_send_templates(o);
	rotate_if_due(o);
}

void outputs_send_templates(struct outputs *o)
{
	GError *err = NULL;

	if (!o->ipfix)
		return;
	if (!ipfix_send_templates(o->ipfix, &err))
		warn_error("cannot send the IPFIX templates", err);
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
