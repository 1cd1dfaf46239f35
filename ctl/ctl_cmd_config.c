/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_cmd_config.c - `meshgwctl config`: the effective config of the
 * running generation (what it was built from, discovered endpoints
 * included), with its generation and content hash.
 */
#include <stdio.h>

#include "ctl_daemon.h"

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
int
ctl_cmd_config(void *arg, json_t *args, json_t **result, struct ctl_error *err)
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
