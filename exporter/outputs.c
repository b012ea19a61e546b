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
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appids.h"
#include "clock.h"
#include "ipfix.h"
#include "json.h"
#include "jsonout.h"
#include "log.h"
#include "transport.h"
#include "zmq_export.h"

#define OUTPUTS_ERROR g_quark_from_static_string("ebpflow-outputs")

struct outputs {
	struct json_out *json; /* NULL without -o json */
	GString *json_line;    /* one record's line, kept from record to record */
	bool json_failing;     /* a JSON write failed: said once, until it recovers */
	bool json_stopping;    /* its reader went away: SIGTERM raised */
	uint64_t json_failed_ns, json_records_at_failure;
	struct console *console;
	struct transport *transport; /* NULL without IPFIX */
	struct ipfix *ipfix;
	struct zmq_export *zmq; /* NULL without --zmq */
	bool started; /* IPFIX outputs were set once: collectors resolve in a thread at once */
	bool rotate_failing; /* the IPFIX file's rotation failed: said once */
	bool appids_full;    /* the application id table refused a process: said once */
};

struct outputs *outputs_new(FILE *out, bool json, struct console *console)
{
	struct outputs *o = g_new0(struct outputs, 1);

	if (json) {
		o->json = json_out_new(fileno(out));
		o->json_line = g_string_sized_new(384);
	}
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
	json_out_free(o->json);
	if (o->json_line)
		g_string_free(o->json_line, TRUE);
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
	fc->user = cfg->user;
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
		.application_ids = cfg->application_ids,
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
	/* at start outputs_start sends them, once the collectors' names had a moment */
	if (o->started)
		outputs_send_templates(o);
	o->started = true;
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

/* As the IPFIX file does: an incident ends after 30 s of lines written whole. */
#define JSON_RECOVERED_AFTER_NS (30ull * 1000000000ull)

/*
 * What a JSON write met: said once per incident. A reader that went away
 * (EPIPE, `ebpflow -o json | head`) is a way to stop, as SIGTERM is: the
 * other outputs still get every record, and the exit status is 0.
 */
static void json_result(struct outputs *o, int e)
{
	const struct json_out_stats *js = json_out_stats(o->json);
	uint64_t now = clock_mono_ns();

	if (e == EPIPE) {
		if (!o->json_stopping) {
			pr_info("JSON output: its reader went away: stopping\n");
			raise(SIGTERM);
		}
		o->json_stopping = true;
	} else if (e) {
		if (!o->json_failing)
			pr_warn("JSON output: %s; records are counted as lost until it recovers\n",
				g_strerror(e));
		o->json_failing = true;
		o->json_failed_ns = now;
		o->json_records_at_failure = js->records;
	} else if (o->json_failing && !js->gone && js->records > o->json_records_at_failure &&
		   now - o->json_failed_ns >= JSON_RECOVERED_AFTER_NS) {
		pr_info("JSON output: writing again (%llu records lost so far)\n",
			(unsigned long long)js->records_lost);
		o->json_failing = false;
	}
}

static void json_add(struct outputs *o, const GString *line, bool record, uint64_t calls)
{
	json_result(o, json_out_add(o->json, line, record, calls));
}

static void json_flush(struct outputs *o)
{
	if (o->json)
		json_result(o, json_out_flush(o->json));
}

void outputs_record(const struct flow_record *rec, void *ctx)
{
	struct outputs *o = ctx;
	/* read once a record: its JSON, IPFIX and ZMQ forms carry the same times */
	int64_t epoch_offset_ns = o->json || o->ipfix || o->zmq ? clock_epoch_offset_ns() : 0;

	if (o->json) {
		g_string_truncate(o->json_line, 0);
		json_format_record(o->json_line, rec, epoch_offset_ns);
		json_add(o, o->json_line, true, rec->count);
	}
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

/* Start the due look-ups, take the answers: a collector just reached gets the templates first. */
static void poll_collectors(struct outputs *o)
{
	if (o->transport && transport_poll(o->transport))
		outputs_send_templates(o);
}

/* How long the start waits for the collectors' names (a name in /etc/hosts takes microseconds). */
#define START_LOOKUP_WAIT_MS 250

void outputs_start(struct outputs *o)
{
	uint64_t until = clock_mono_ns() + START_LOOKUP_WAIT_MS * 1000000ull;

	if (!o->transport)
		return;
	/*
	 * The templates wait a moment for the names that resolve at once, so
	 * that the collectors get them now rather than at the next refresh
	 * (each collector reached later gets them then); a slow name server
	 * does not hold the start longer.
	 */
	transport_poll(o->transport);
	while (transport_resolving(o->transport) && clock_mono_ns() < until) {
		g_usleep(2000);
		transport_poll(o->transport);
	}
	outputs_send_templates(o);
}

void outputs_flush(struct outputs *o)
{
	GError *err = NULL;

	json_flush(o);
	if (o->zmq)
		zmq_export_flush(o->zmq);
	if (!o->ipfix)
		return;
	if (!ipfix_flush(o->ipfix, &err))
		warn_error("cannot emit an IPFIX message", err);
	if (ipfix_stats(o->ipfix)->appids_refused && !o->appids_full) {
		pr_warn("IPFIX: the application id table is full (%u processes): the records of "
			"newer processes carry their id unnamed; counted at exit\n", APPIDS_MAX);
		o->appids_full = true;
	}
	poll_collectors(o);
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

void outputs_count(struct outputs *o, struct ebpflow_stats *s)
{
	const struct ipfix_stats *is;

	if (o->json) {
		const struct json_out_stats *js;

		json_flush(o); /* the lines waiting met their fate: counted */
		js = json_out_stats(o->json);
		s->json_records_lost = js->records_lost;
		s->json_calls_lost = js->calls_lost;
	}
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
		json_add(o, j, false, 0);
		json_flush(o);
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

bool outputs_lost(const struct outputs *o)
{
	return o->json && json_out_stats(o->json)->lost_by_error;
}

void outputs_log(const struct outputs *o)
{
	const struct ipfix_stats *s;

	if (o->json) {
		const struct json_out_stats *js = json_out_stats(o->json);

		pr_info("JSON: %llu records written; %llu records (%llu calls) lost%s\n",
			(unsigned long long)js->records, (unsigned long long)js->records_lost,
			(unsigned long long)js->calls_lost,
			js->gone ? " (its reader went away)" : "");
		if (js->lost_by_error)
			pr_warn("JSON output: %llu lines lost to write errors: exit status 1\n",
				(unsigned long long)js->lost_by_error);
	}
	outputs_log_zmq(o);
	if (!o->ipfix)
		return;
	s = ipfix_stats(o->ipfix);
	pr_info("IPFIX: %llu records (%llu calls) in %llu messages, %llu octets, templates sent "
		"%llu times\n",
		(unsigned long long)s->records, (unsigned long long)s->calls,
		(unsigned long long)s->messages, (unsigned long long)s->octets,
		(unsigned long long)s->template_sends);
	if (s->appids_refused)
		pr_info("IPFIX: %llu processes left unnamed (application id table full)\n",
			(unsigned long long)s->appids_refused);
	for (unsigned int i = 0; i < transport_count(o->transport); i++) {
		struct transport_dest_stats d = transport_stats(o->transport, i);

		pr_info("%s: %llu messages sent, %llu lost\n", d.name, (unsigned long long)d.sent,
			(unsigned long long)d.failed);
	}
}
