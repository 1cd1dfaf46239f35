/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_reload.c - `meshgwctl reload`, SIGHUP and `meshgwctl config`.
 *
 * A reload reads the file the daemon started with, validates all of it
 * (a bad file is refused with file:line, the running generation stays),
 * keeps the running values of settings only a restart can change (and says
 * which ones changed), and publishes the rest as the next generation.
 * Connections keep the generation they started on; the workers move new
 * ones to the new generation at their next loop turn. A reload is refused
 * while the previous one is not acknowledged by every worker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ctl_daemon.h"
#include "gw_log.h"

void
ctl_config_hash(const char *text, size_t len, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t k;

	if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 || outlen < 8) {
		snprintf(out, outlen, "?");
		return;
	}
	k = (size_t)snprintf(out, outlen, "sha256:");
	for (unsigned int i = 0; i < mdlen && k + 2 < outlen; i++)
		k += (size_t)snprintf(out + k, outlen - k, "%02x", md[i]);
}

/* Sections only a restart applies: the new file's value is replaced by the
 * running one, and named in `restart` when it differed. */
static void
keep_restart_only(const struct ctl_config *run, struct ctl_config *nc, json_t *restart)
{
#define KEEP(field, name)                                                                          \
	do {                                                                                       \
		if (memcmp(&run->field, &nc->field, sizeof(run->field)) != 0) {                    \
			json_array_append_new(restart, json_string(name));                         \
			memcpy(&nc->field, &run->field, sizeof(run->field));                       \
		}                                                                                  \
	} while (0)
	KEEP(eal, "eal");
	KEEP(workers, "workers");
	KEEP(n_ports, "ports");
	KEEP(ports, "ports");
	KEEP(arp, "arp");
	KEEP(tcp, "tcp");
	KEEP(n_listeners, "listeners");
	KEEP(listeners, "listeners");
	KEEP(ctl, "ctl");
	KEEP(admin, "admin");
	KEEP(log.access_log, "log.access_log");
	KEEP(discovery, "discovery");
	/* the workers' head buffers are sized at start */
	KEEP(http.max_request_headers_kb, "http.max_request_headers_kb");
	KEEP(http.max_response_headers_kb, "http.max_response_headers_kb");
#undef KEEP
}

int
ctl_publish_config(struct ctl_daemon *d, const char *text, size_t len, json_t *restart, char *err,
		   size_t errlen)
{
	json_t *changed = restart ? restart : json_array();
	struct ctl_config *nc = calloc(1, sizeof(*nc));
	int rc;

	if (nc == NULL) {
		snprintf(err, errlen, "no memory for the new config");
		rc = -ENOMEM;
		goto out;
	}
	rc = ctl_config_load_text(d->conf->path, text, len, nc, err, errlen);
	if (rc != 0) {
		free(nc);
		goto out;
	}
	keep_restart_only(d->conf, nc, changed);
	rc = ctl_disc_merge(d, nc, err, errlen);
	if (rc == 0)
		rc = gw_dp_publish(&d->dp, nc, err, errlen);
	if (rc != 0) {
		ctl_config_release(nc);
		free(nc);
		goto out;
	}
	d->conf = nc;
	ctl_disc_published(d);
	ctl_hcheck_sync(d);
out:
	if (restart == NULL)
		json_decref(changed);
	return rc;
}

static int
reload(struct ctl_daemon *d, json_t **result, char *err, size_t errlen)
{
	json_t *restart;
	char hash[72];
	size_t len = 0;
	char *text;
	uint64_t t0 = ctl_now_ms();
	int rc;

	if (d->state != CTL_STATE_RUNNING) {
		snprintf(err, errlen, "not running (starting or draining): nothing reloaded");
		return -EAGAIN;
	}
	if (!gw_snapmgr_all_acked(d->dp.snap)) {
		snprintf(err, errlen,
			 "a reload is pending: generation %" PRIu64
			 " is not acknowledged by every worker yet",
			 gw_snapmgr_generation(d->dp.snap));
		return -EBUSY;
	}
	text = ctl_config_read(d->conf->path, &len, err, errlen);
	if (text == NULL)
		return -errno;
	restart = json_array();
	rc = ctl_publish_config(d, text, len, restart, err, errlen);
	if (rc != 0) {
		json_decref(restart);
		free(text);
		return rc;
	}
	ctl_config_hash(text, len, hash, sizeof(hash));
	free(d->conf_text);
	d->conf_text = text;
	d->conf_len = len;
	snprintf(d->conf_hash, sizeof(d->conf_hash), "%s", hash);
	d->reloads++;
	GW_LOG(INFO, "reload: generation %" PRIu64 " (%s) published in %" PRIu64 " ms%s",
	       gw_snapmgr_generation(d->dp.snap), hash, ctl_now_ms() - t0,
	       json_array_size(restart) ? "; some changes need a restart" : "");
	*result = json_pack("{s:I, s:s, s:o, s:I}", "generation",
			    (json_int_t)gw_snapmgr_generation(d->dp.snap), "hash", hash,
			    "restart_required", restart, "ms", (json_int_t)(ctl_now_ms() - t0));
	return 0;
}

int
ctl_reload(struct ctl_daemon *d, json_t **result, char *err, size_t errlen)
{
	int rc = reload(d, result, err, errlen);

	if (rc != 0) {
		d->reload_failures++;
		GW_LOG(WARN, "reload refused: %s", err);
	}
	return rc;
}

static int
cmd_reload(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	char msg[600];
	int rc;

	(void)args;
	rc = ctl_reload(d, result, msg, sizeof(msg));
	if (rc != 0)
		ctl_error_set(err, -rc, "%s", msg);
	return rc;
}

static json_t *
endpoint_conf_json(const struct ctl_endpoint_conf *e)
{
	char ap[32];

	snprintf(ap, sizeof(ap), "%u.%u.%u.%u:%u", e->addr >> 24, (e->addr >> 16) & 0xff,
		 (e->addr >> 8) & 0xff, e->addr & 0xff, e->port);
	return json_pack("{s:s, s:I, s:s, s:s, s:s}", "endpoint", ap, "weight",
			 (json_int_t)e->weight, "node", e->node, "zone", e->zone, "source",
			 ctl_ep_source_name(e->source));
}

/* The effective config: what the running generation was built from. */
static int
cmd_config(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	const struct ctl_config *c = d->conf;
	json_t *svcs = json_array(), *cls = json_array(), *tables = json_array();

	(void)args;
	(void)err;
	for (unsigned int s = 0; s < c->n_services; s++) {
		const struct ctl_service_conf *sc = &c->services[s];
		json_t *vips = json_array();

		for (unsigned int v = 0; v < sc->n_vips; v++) {
			char ap[32];
			uint32_t a = sc->vips[v].addr;

			snprintf(ap, sizeof(ap), "%u.%u.%u.%u:%u", a >> 24, (a >> 16) & 0xff,
				 (a >> 8) & 0xff, a & 0xff, sc->vips[v].port);
			json_array_append_new(vips, json_string(ap));
		}
		json_array_append_new(
			svcs,
			json_pack("{s:s, s:s, s:o, s:s, s:s}", "name", sc->name, "protocol",
				  sc->protocol == CTL_PROTO_HTTP ? "http" : "tcp", "vips", vips,
				  "cluster", sc->route_table ? "" : c->clusters[sc->cluster].name,
				  "route_table",
				  sc->route_table && c->rtables
					  ? c->rtables->tables[sc->route_table - 1].name
					  : ""));
	}
	for (unsigned int k = 0; k < c->n_clusters; k++) {
		const struct ctl_cluster_conf *cc = &c->clusters[k];
		json_t *eps = json_array();

		for (unsigned int i = 0; i < cc->n_endpoints; i++)
			json_array_append_new(
				eps, endpoint_conf_json(&c->endpoints[cc->first_endpoint + i]));
		json_array_append_new(
			cls,
			json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "name", cc->name, "policy",
				  ctl_lb_policy_name(cc->policy), "connect_timeout_ms",
				  (json_int_t)(cc->connect_timeout_us / 1000), "idle_timeout_ms",
				  (json_int_t)(cc->idle_timeout_us / 1000), "connect_attempts",
				  (json_int_t)cc->connect_attempts, "max_connections",
				  (json_int_t)cc->max_connections, "endpoints", eps));
	}
	for (unsigned int t = 0; c->rtables != NULL && t < c->rtables->n_tables; t++)
		json_array_append_new(
			tables, json_pack("{s:s, s:I}", "name", c->rtables->tables[t].name,
					  "routes", (json_int_t)c->rtables->tables[t].n_routes));
	*result = json_pack("{s:I, s:s, s:s, s:I, s:I, s:{s:s, s:s}, s:{s:I, s:I, s:I, s:I}, "
			    "s:o, s:o, s:o}",
			    "generation", (json_int_t)gw_snapmgr_generation(d->dp.snap), "hash",
			    d->conf_hash, "path", c->path, "workers", (json_int_t)c->workers.count,
			    "ports", (json_int_t)c->n_ports, "node", "name", c->node.name, "zone",
			    c->node.zone, "http", "request_timeout_ms",
			    (json_int_t)(c->http.request_timeout_us / 1000), "idle_timeout_ms",
			    (json_int_t)(c->http.idle_timeout_us / 1000), "max_request_headers_kb",
			    (json_int_t)c->http.max_request_headers_kb, "retry_buffer",
			    (json_int_t)c->http.retry_buffer, "services", svcs, "clusters", cls,
			    "route_tables", tables);
	return 0;
}

int
ctl_cmds_reload_register(struct ctl_server *srv, struct ctl_daemon *d)
{
	int rc = ctl_server_register(srv, "reload", cmd_reload, d);

	return rc ?: ctl_server_register(srv, "config", cmd_config, d);
}
