// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Engine API client (Docker, Podman's compatible API, cri-dockerd's
 * Docker): one GET of /v1.41/containers/<id>/json over the runtime's unix
 * socket with libcurl, bounded in time and size, and the reply's name.
 */
#include <curl/curl.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "containers.h"
#include "resolvers.h"

static const char *label(JsonObject *labels, const char *key)
{
	JsonNode *n = labels ? json_object_get_member(labels, key) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		   ? json_node_get_string(n)
		   : NULL;
}

char *containers_parse_inspect(const char *body, size_t len)
{
	JsonParser *p = json_parser_new();
	JsonObject *root, *config = NULL, *labels = NULL;
	const char *n = NULL, *pod, *ns, *cname;
	JsonNode *node;
	char *name = NULL;

	if (!body || !json_parser_load_from_data(p, body, (gssize)len, NULL))
		goto out;
	node = json_parser_get_root(p);
	if (!node || !JSON_NODE_HOLDS_OBJECT(node))
		goto out;
	root = json_node_get_object(node);
	node = json_object_get_member(root, "Config");
	if (node && JSON_NODE_HOLDS_OBJECT(node))
		config = json_node_get_object(node);
	node = config ? json_object_get_member(config, "Labels") : NULL;
	if (node && JSON_NODE_HOLDS_OBJECT(node))
		labels = json_node_get_object(node);
	pod = label(labels, "io.kubernetes.pod.name");
	ns = label(labels, "io.kubernetes.pod.namespace");
	cname = label(labels, "io.kubernetes.container.name");
	if (pod && ns && cname) {
		name = g_strdup_printf("%s/%s/%s", ns, pod, cname);
		goto out;
	}
	node = json_object_get_member(root, "Name");
	if (node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		n = json_node_get_string(node);
	if (n && *n == '/')
		n++;
	if (n && *n)
		name = g_strdup(n);
out:
	g_object_unref(p);
	if (name && strlen(name) > CONTAINERS_NAME_MAX)
		g_clear_pointer(&name, g_free);
	return name;
}

struct body {
	GString *buf;
	bool too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;

	if (b->buf->len + size * n > CONTAINERS_MAX_REPLY) {
		b->too_big = true;
		return 0; /* curl stops with a write error */
	}
	g_string_append_len(b->buf, data, (gssize)(size * n));
	return size * n;
}

void docker_lookup(const char *socket, unsigned int timeout_ms, const char *id, struct lookup *r)
{
	struct body b = {g_string_new(NULL), false};
	CURL *curl = curl_easy_init();
	char url[160];
	long status = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "http://localhost/v1.41/containers/%s/json", id);
	if (!curl) {
		snprintf(r->error, sizeof(r->error), "cannot start an HTTP request");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (b.too_big) {
		/* about this container: another one's reply may be fine */
		snprintf(r->error, sizeof(r->error), "reply larger than %u bytes",
			 CONTAINERS_MAX_REPLY);
		r->bad_reply = true;
	} else if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
		r->runtime_fault = true;
	} else if (status == 404) {
		snprintf(r->error, sizeof(r->error), "container %.12s unknown to the runtime", id);
	} else if (status != 200) {
		snprintf(r->error, sizeof(r->error), "HTTP status %ld", status);
		r->runtime_fault = true;
	} else if (!(r->name = containers_parse_inspect(b.buf->str, b.buf->len))) {
		snprintf(r->error, sizeof(r->error),
			 "a reply that is not a container description (or a name over %u bytes)",
			 CONTAINERS_NAME_MAX);
		r->bad_reply = true;
	}
	curl_easy_cleanup(curl);
out:
	g_string_free(b.buf, TRUE);
}
