/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration, and the one table of its options: for each, its
 * command-line names, its ebpflow.conf section and key, its type and range,
 * the field it sets, its default and its help. The command line (cmdline.c),
 * the file's schema (conffile.c), --help and the tests of the man pages are
 * all derived from the table (options.c); adding an option is one entry
 * there and its field here.
 */
#ifndef EBPFLOW_OPTIONS_H
#define EBPFLOW_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "templates.h"

enum output_mode { OUTPUT_CONSOLE, OUTPUT_JSON, OUTPUT_NONE };
enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };
/* Debian's libfixbuf has neither TLS nor SCTP: UDP is the one transport. */
enum ipfix_transport { IPFIX_TRANSPORT_UDP };
/* Which kernel hooks count the calls: auto picks the best the kernel offers.
 * The values match enum ebpflow_tier (bpf/ebpflow.h). */
enum hook_tier { HOOKS_AUTO, HOOKS_FENTRY, HOOKS_KPROBE, HOOKS_TRACEPOINT };
/* What --zmq publishes: nDPI's TLV (what ntopng 6.x community parses) or JSON. */
enum zmq_format { ZMQ_FORMAT_TLV, ZMQ_FORMAT_JSON };

/* Filter bits, as the kernel side reads them (bpf/ebpflow.h FILTER_*). */
#define FILTER_PROTO_TCP 1u
#define FILTER_PROTO_UDP 2u
#define FILTER_DIR_OUTBOUND 1u
#define FILTER_DIR_INBOUND 2u

/* Only flows that match every non-empty list are counted and exported. */
struct ebpflow_filter {
	GArray *pids;          /* uint32_t */
	GArray *uids;          /* uint32_t (user names resolved when read) */
	GArray *ports;         /* uint32_t: the responder's port */
	uint32_t protocols;    /* FILTER_PROTO_* bits; 0: all */
	uint32_t directions;   /* FILTER_DIR_* bits; 0: all */
	GPtrArray *containers; /* char *: container names (or ids) */
};

struct ebpflow_config {
	enum output_mode output;
	uint32_t interval_s;       /* read the kernel / refresh the console */
	uint32_t ended_rows;       /* the console keeps this many ended flows at most */
	uint32_t duration_s;       /* 0: until a signal */
	uint32_t idle_timeout_s;
	uint32_t active_timeout_s;
	uint32_t map_entries;
	uint32_t cmdline_bytes; /* of a command line kept at exec; 0: none */
	bool dns_names;         /* peers named from the DNS answers processes receive */
	uint32_t dns_names_max; /* addresses the name table holds */
	uint32_t dns_grace_s;   /* a name outlives its answer's TTL by this much */
	uint32_t map_memory_max_mib; /* the flow map's kernel memory may not exceed this */
	enum hook_tier hooks;
	uint32_t uid_flow_budget; /* flow entries per uid (root aside); 0: map_entries / 8 */
	enum log_level log_level;
	enum log_target log_target;
	char *config_path; /* NULL: no file */
	char *user;        /* switch to this user once attached; NULL: keep the uid */
	bool check_config; /* --check-config: validate and exit */
	bool peer_names;   /* --names: the console shows the peer's DNS name (issue 22) */
	/* IPFIX */
	GPtrArray *collectors; /* char *: HOST:PORT */
	enum ipfix_transport ipfix_transport;
	char *ipfix_file;
	char *ipfix_file_group;       /* NULL: the file is 0600 */
	uint32_t ipfix_file_rotate_s; /* 0: never by time */
	uint32_t ipfix_file_rotate_kib; /* 0: never by size */
	uint32_t template_refresh_s;
	uint32_t observation_domain;
	uint32_t pen;
	enum ie_profile ie_profile;
	bool application_ids; /* RFC 6759 ids naming each record's process */
	/* ntopng */
	char *zmq_endpoint; /* NULL: no ZMQ publisher */
	enum zmq_format zmq_format;
	/* containers */
	bool container_names; /* ask the runtimes for container names */
	char *docker_socket;
	char *podman_socket;
	char *containerd_state;
	char *crio_root;
	char *crio_runroot;
	struct ebpflow_filter filter;
};

#define EBPFLOW_EXIT_USAGE 2

/* How an option's value is read, and what its field is. */
enum opt_type {
	OPT_FLAG,      /* bool: set by the bare flag; true/false (yes/no, on/off) in the file */
	OPT_UINT,      /* uint32_t in [min, max] */
	OPT_ENUM,      /* an enum: the index of one of names[] */
	OPT_PATH,      /* char *; empty: refused on the command line, the default in the file */
	OPT_LIST,      /* GPtrArray of char *, comma-separated */
	OPT_HOSTPORTS, /* OPT_LIST of HOST:PORT ([IPv6]:PORT), syntax checked */
	OPT_UINT_LIST, /* GArray of uint32_t, each in [min, max] */
	OPT_BITS,      /* uint32_t: a set of names[], bit i for names[i] */
	/* command line only, no value */
	OPT_SET,     /* sets an enum field to `value` (-v, -q) */
	OPT_CONFIG,  /* -c FILE: read before the other options, which win over it */
	OPT_HELP,    /* --help */
	OPT_VERSION, /* --version */
};

/* flags */
#define OPT_RESTART 1u /* a reload (SIGHUP) keeps the running value; it takes effect at restart */
#define OPT_IPFIX 2u   /* a new value replaces the IPFIX outputs (on SIGHUP) */
#define OPT_ZMQ 4u     /* a new value replaces the ZMQ publisher (on SIGHUP) */

struct option_def;
/*
 * A parser of one's own for an option whose text is not its type's (user
 * names for uids); the field is still stored as its type says. An error says
 * what is wrong with the value (the caller says where).
 */
typedef gboolean (*option_parse_fn)(const struct option_def *o, const char *text, void *field,
				    GError **err);

struct option_def {
	const char *name;    /* --name; NULL: only in the file */
	char short_name;     /* -x; 0: none */
	const char *section; /* [section] key of ebpflow.conf; NULL: only on the command line */
	const char *key;
	enum opt_type type;
	size_t offset, size; /* of the field in struct ebpflow_config */
	uint32_t min, max;            /* OPT_UINT, OPT_UINT_LIST */
	const char *const *names;     /* OPT_ENUM, OPT_BITS */
	int value;                    /* OPT_SET */
	option_parse_fn parse;        /* NULL: the type's parser */
	const char *def;              /* the default, as text (NULL: none, or 0) */
	const char *metavar;          /* what --help calls the value */
	const char *help;             /* range and default are added to it */
	const char *group;            /* a heading in --help, before this option */
	const char *example;          /* a valid value, where the type says none (parse) */
	unsigned int max_items;       /* lists: at most this many (0: no limit) */
	unsigned int flags;
};

/*
 * In the manner of xdp-tools' DEFINE_OPTION: the field's offset and size
 * come from its name, and the rest are designated initializers.
 */
#define DEFINE_OPTION(_name, _type, _field, ...)                                            \
	{                                                                                   \
		.name = _name, .type = _type,                                               \
		.offset = offsetof(struct ebpflow_config, _field),                          \
		.size = sizeof(((struct ebpflow_config *)0)->_field), __VA_ARGS__           \
	}

/* The table, in --help order; n set to its length. */
const struct option_def *options_table(size_t *n);
/* Does the option take a value on the command line? */
bool option_has_arg(const struct option_def *o);
/* The option called --name (exact), or NULL. */
const struct option_def *option_by_name(const char *name);
const struct option_def *option_by_key(const char *section, const char *key);
/*
 * Set o's field in c from text. append: add to a list instead of replacing
 * it (an option repeated on the command line); from_file: where an empty
 * value means the default.
 */
gboolean option_set(const struct option_def *o, struct ebpflow_config *c, const char *text,
		    bool append, bool from_file, GError **err);
/* o's value in c as text, as the file would say it ("" for an empty list). */
char *option_format(const struct option_def *o, const struct ebpflow_config *c);
/* "a, b or c" for --help, "a, b, c" for errors */
char *option_names(const struct option_def *o, const char *last_sep);

void config_defaults(struct ebpflow_config *c);
void config_clear(struct ebpflow_config *c);

/* cmdline.c */
/*
 * The whole configuration: defaults, then the file named by -c/--config
 * (however it is spelled: getopt_long reads the command line, once for
 * -c, once for the rest), then the other options, which win over the file.
 * Returns 1 when it printed the help or the version (nothing left to do), 0
 * to run, -1 on an error set in err (exit status 2).
 */
int config_load(struct ebpflow_config *c, int argc, char **argv, GError **err);
/* The command line alone on top of c (no file read): as config_load. */
int config_parse_args(struct ebpflow_config *c, int argc, char **argv, GError **err);
/* --help, from the table */
void config_usage(FILE *out);

#endif
