/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_cmds_mesh.c - the service ctl commands. Control thread only; workers'
 * counters are single-writer and read here with relaxed loads (summed).
 *
 *   services   every service: VIPs, cluster, connections, active
 *   clusters   every cluster: policy, limits, active and pending
 *              connections, ejected endpoints, the Maglev table digest
 *   endpoints  every endpoint (args.cluster: one cluster's): weight,
 *              labels, locality tier, active and total connections, bytes,
 *              failures, ejection and drain state
 *   drain / undrain  args {cluster, endpoint: "a.b.c.d:port"}: the endpoint
 *              takes no new connections (established ones go on)
 *   log-reopen reopens the access log file (after rotation)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "ctl_daemon.h"
#include "gw_http.h"

static const char *const tier_names[] = {"node", "zone", "other"};

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static const struct gw_mesh *
mesh_of(struct ctl_daemon *d)
{
	return d->dp.snap != NULL ? gw_snapmgr_current(d->dp.snap)->mesh : NULL;
}

static json_t *
addr_port(uint32_t addr, uint16_t port)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u.%u.%u.%u:%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff, port);
	return json_string(buf);
}

static void
set_u64(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* ---- proxy counters in `stats` ------------------------------------------- */

json_t *
ctl_proxy_stats_json(const struct gw_worker *w)
{
	const struct gw_proxy_stats *s = gw_proxy_get_stats(w->proxy);
	json_t *o = json_object();

#define PROXY_STAT(n) set_u64(o, #n, LOAD(s->n));
	GW_PROXY_COUNTERS(PROXY_STAT)
#undef PROXY_STAT
	return o;
}

/* The HTTP proxy's counters (zeros when no service is HTTP: the same keys
 * on every gateway). */
json_t *
ctl_http_stats_json(const struct gw_worker *w)
{
	static const struct gw_http_stats none;
	const struct gw_http_stats *s = gw_proxy_http_stats(w->proxy);
	json_t *o = json_object();

	if (s == NULL)
		s = &none;
#define HTTP_STAT(n) set_u64(o, #n, LOAD(s->n));
	GW_HTTP_COUNTERS(HTTP_STAT)
#undef HTTP_STAT
	return o;
}

/* An HTTP service's responses by class and request durations, merged over
 * the workers: {"responses": {"1xx".."5xx"}, "latency_us": {p50, p90, p99}
 * (a bucket's upper bound; -1 past the last), "latency_buckets": counts per
 * bucket of gw_http_lat_bounds_us and +Inf, "latency_sum_us"}. */
static json_t *
http_service_json(const struct ctl_daemon *d, unsigned int s)
{
	static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
	static const double qs[] = {0.5, 0.9, 0.99};
	static const char *const qn[] = {"p50", "p90", "p99"};
	uint64_t resp[5] = {0}, lat[GW_HTTP_LAT_N] = {0}, sum = 0, n = 0;
	json_t *r = json_object(), *q = json_object(), *b = json_array();

	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		const struct gw_http_svc_stats *ss =
			gw_proxy_http_svc_stats(d->dp.workers[i]->proxy);

		if (ss == NULL)
			continue;
		for (int k = 0; k < 5; k++)
			resp[k] += LOAD(ss[s].responses[k]);
		for (int k = 0; k < GW_HTTP_LAT_N; k++)
			lat[k] += LOAD(ss[s].lat[k]);
		sum += LOAD(ss[s].lat_sum_us);
	}
	for (int k = 0; k < 5; k++)
		set_u64(r, classes[k], resp[k]);
	for (int k = 0; k < GW_HTTP_LAT_N; k++) {
		n += lat[k];
		json_array_append_new(b, json_integer((json_int_t)lat[k]));
	}
	for (int i = 0; i < 3; i++) {
		uint64_t want = (uint64_t)(qs[i] * (double)n + 0.999999), seen = 0;
		json_int_t v = 0;

		for (int k = 0; n > 0 && k < GW_HTTP_LAT_N; k++) {
			seen += lat[k];
			if (seen >= want) {
				v = k < GW_HTTP_LAT_N - 1 ? (json_int_t)gw_http_lat_bounds_us[k]
							  : -1;
				break;
			}
		}
		json_object_set_new(q, qn[i], json_integer(v));
	}
	return json_pack("{s:o, s:I, s:o, s:o, s:I}", "responses", r, "requests", (json_int_t)n,
			 "latency_us", q, "latency_buckets", b, "latency_sum_us", (json_int_t)sum);
}

/* ---- services -------------------------------------------------------------- */

static int
cmd_services(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	const struct gw_mesh *m = mesh_of(d);
	json_t *rows = json_array();

	(void)args;
	(void)err;
	for (unsigned int s = 0; m != NULL && s < m->n_services; s++) {
		const struct ctl_service_conf *sc = &m->services[s];
		json_t *vips;
		uint64_t conns = 0, active = 0;

		if (!gw_mesh_has_service(m, s))
			continue; /* an unused slot */
		vips = json_array();
		for (unsigned int v = 0; v < sc->n_vips; v++)
			json_array_append_new(vips, addr_port(sc->vips[v].addr, sc->vips[v].port));
		for (unsigned int i = 0; i < d->dp.n_workers; i++) {
			const struct gw_proxy_service_stats *ss =
				&gw_proxy_get_service_stats(d->dp.workers[i]->proxy)[s];
			conns += LOAD(ss->connections);
			active += LOAD(ss->active);
		}
		json_t *row = json_pack(
			"{s:s, s:s, s:o, s:s, s:I, s:I}", "name", sc->name, "protocol",
			sc->protocol == CTL_PROTO_HTTP ? "http" : "tcp", "vips", vips, "cluster",
			sc->route_table ? "" : m->clusters[sc->cluster].conf.name, "connections",
			(json_int_t)conns, "active", (json_int_t)active);
		if (sc->route_table)
			json_object_set_new(row, "route_table",
					    json_string(m->rtables[sc->route_table - 1].name));
		if (sc->protocol == CTL_PROTO_HTTP)
			json_object_set_new(row, "http", http_service_json(d, s));
		json_array_append_new(rows, row);
	}
	*result = json_pack("{s:o}", "services", rows);
	return 0;
}

/* ---- clusters ---------------------------------------------------------------- */

static bool
is_ejected(const struct gw_ep_shared *s, uint64_t now)
{
	return LOAD(s->ejected_until) > now;
}

static int
cmd_clusters(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	const struct gw_mesh *m = mesh_of(d);
	uint64_t now = rte_rdtsc();
	json_t *rows = json_array();

	(void)args;
	(void)err;
	for (unsigned int c = 0; m != NULL && c < m->n_clusters; c++) {
		const struct gw_cluster *gc = &m->clusters[c];
		const struct ctl_cluster_conf *cc = &gc->conf;
		uint64_t active = 0, pending = 0, ejected = 0, drained = 0;
		char digest[24];
		json_t *row;

		if (!gw_mesh_has_cluster(m, c))
			continue;
		for (unsigned int i = 0; i < d->dp.n_workers; i++) {
			const struct gw_proxy_cluster_stats *cs =
				&gw_proxy_get_cluster_stats(d->dp.workers[i]->proxy)[c];
			active += LOAD(cs->active);
			pending += LOAD(cs->pending);
		}
		for (unsigned int k = 0; k < gc->n_eps; k++) {
			ejected += is_ejected(&d->dp.ep_shared[gc->eps[k]], now);
			drained += LOAD(d->dp.ep_shared[gc->eps[k]].drained) != 0;
		}
		snprintf(digest, sizeof(digest), "%016" PRIx64, gw_lb_digest(gc->lb));
		row = json_pack(
			"{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "name", cc->name,
			"policy", ctl_lb_policy_name(cc->policy), "endpoints",
			(json_int_t)cc->n_endpoints, "active", (json_int_t)active, "pending",
			(json_int_t)pending, "ejected", (json_int_t)ejected, "drained",
			(json_int_t)drained, "max_connections", (json_int_t)cc->max_connections,
			"max_pending", (json_int_t)cc->max_pending, "connect_attempts",
			(json_int_t)cc->connect_attempts, "proxy_protocol", cc->proxy_protocol);
		if (cc->policy == CTL_LB_MAGLEV || cc->policy == CTL_LB_RING_HASH) {
			json_object_set_new(row, "hash_key",
					    json_string(ctl_hash_key_name(cc->hash_key)));
			json_object_set_new(row, "table_digest", json_string(digest));
		}
		json_array_append_new(rows, row);
	}
	/* ejection requests the control thread granted or refused (at the
	 * cluster's max_ejection_percent, or already ejected) */
	*result = json_pack("{s:o, s:I, s:I}", "clusters", rows, "ejections",
			    (json_int_t)d->dp.ejections, "ejections_refused",
			    (json_int_t)d->dp.ejections_refused);
	return 0;
}

/* ---- endpoints ------------------------------------------------------------------ */

static int
find_cluster(const struct gw_mesh *m, json_t *args, struct ctl_error *err)
{
	const char *name = NULL;

	if (args != NULL && json_object_get(args, "cluster") != NULL) {
		name = json_string_value(json_object_get(args, "cluster"));
		if (name == NULL)
			return (ctl_error_set(err, EINVAL, "'cluster' must be a string"), -EINVAL);
	}
	if (name == NULL)
		return -1; /* every cluster */
	for (unsigned int c = 0; m != NULL && c < m->n_clusters; c++)
		if (gw_mesh_has_cluster(m, c) && strcmp(m->clusters[c].conf.name, name) == 0)
			return (int)c;
	return (ctl_error_set(err, EINVAL, "no cluster '%s'", name), -EINVAL);
}

static json_t *
endpoint_row(struct ctl_daemon *d, const struct gw_mesh *m, unsigned int e, uint64_t now)
{
	const struct gw_endpoint *ge = &m->endpoints[e];
	const struct gw_ep_shared *sh = &d->dp.ep_shared[e];
	uint64_t v[6] = {0};
	uint64_t until = LOAD(sh->ejected_until);
	json_t *row;

	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		const struct gw_proxy_ep_stats *es =
			&gw_proxy_get_ep_stats(d->dp.workers[i]->proxy)[e];
		v[0] += LOAD(es->active);
		v[1] += LOAD(es->connections);
		v[2] += LOAD(es->connect_failures);
		v[3] += LOAD(es->resets);
		v[4] += LOAD(es->bytes_sent);
		v[5] += LOAD(es->bytes_received);
	}
	row = json_pack(
		"{s:s, s:o, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I, "
		"s:I, s:b}",
		"cluster", m->clusters[ge->cluster].conf.name, "endpoint",
		addr_port(ge->conf.addr, ge->conf.port), "weight", (json_int_t)ge->conf.weight,
		"node", ge->conf.node, "zone", ge->conf.zone, "tier", tier_names[ge->tier],
		"active", (json_int_t)v[0], "connections", (json_int_t)v[1], "connect_failures",
		(json_int_t)v[2], "resets", (json_int_t)v[3], "bytes_sent", (json_int_t)v[4],
		"bytes_received", (json_int_t)v[5], "ejected", until > now, "ejected_ms_left",
		(json_int_t)(until > now ? (until - now) / (d->dp.hz / 1000) : 0), "ejections",
		(json_int_t)LOAD(sh->ejections), "drained", LOAD(sh->drained) != 0);
	json_object_set_new(row, "source", json_string(ctl_ep_source_name(ge->conf.source)));
	ctl_hcheck_row(d, m, e, row);
	return row;
}

static int
cmd_endpoints(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	const struct gw_mesh *m = mesh_of(d);
	uint64_t now = rte_rdtsc();
	json_t *rows;
	int c = find_cluster(m, args, err);

	if (c < -1)
		return c;
	rows = json_array();
	for (unsigned int e = 0; m != NULL && e < m->n_endpoints; e++)
		if (gw_mesh_has_endpoint(m, e) &&
		    (c < 0 || m->endpoints[e].cluster == (unsigned int)c))
			json_array_append_new(rows, endpoint_row(d, m, e, now));
	*result = json_pack("{s:o}", "endpoints", rows);
	return 0;
}

/* ---- drain / undrain ------------------------------------------------------------- */

static int
set_drain(struct ctl_daemon *d, json_t *args, json_t **result, struct ctl_error *err, uint8_t to)
{
	const struct gw_mesh *m = mesh_of(d);
	const char *ep = json_string_value(json_object_get(args, "endpoint"));
	int c = find_cluster(m, args, err);
	char host[32];
	unsigned int port = 0, n = 0;
	struct in_addr a;
	char extra;

	if (c < -1)
		return c;
	if (ep == NULL || sscanf(ep, "%31[0-9.]:%u%c", host, &port, &extra) != 2 || port == 0 ||
	    port > 65535 || inet_pton(AF_INET, host, &a) != 1)
		return (ctl_error_set(err, EINVAL, "'endpoint' must be a string \"a.b.c.d:port\""),
			-EINVAL);
	for (unsigned int e = 0; m != NULL && e < m->n_endpoints; e++) {
		const struct gw_endpoint *ge = &m->endpoints[e];

		if (ge->live && (c < 0 || ge->cluster == (unsigned int)c) &&
		    ge->conf.addr == ntohl(a.s_addr) && ge->conf.port == port) {
			__atomic_store_n(&d->dp.ep_shared[e].drained, to, __ATOMIC_RELAXED);
			n++;
		}
	}
	if (n == 0)
		return (ctl_error_set(err, EINVAL, "no endpoint %s%s%s", ep,
				      c >= 0 ? " in cluster " : "",
				      c >= 0 ? m->clusters[c].conf.name : ""),
			-EINVAL);
	*result = json_pack("{s:s, s:I, s:b}", "endpoint", ep, "matched", (json_int_t)n, "drained",
			    to != 0);
	return 0;
}

static int
cmd_drain(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	return set_drain(arg, args, result, err, 1);
}

static int
cmd_undrain(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	return set_drain(arg, args, result, err, 0);
}

/* ---- log reopen ------------------------------------------------------------------ */

static int
cmd_log_reopen(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	uint64_t lines, errors, drops = 0;
	int rc;

	(void)args;
	rc = ctl_alog_reopen(d);
	if (rc == -ENOENT)
		return (ctl_error_set(err, ENOENT, "no access log is configured (log.access_log)"),
			rc);
	if (rc != 0)
		return (ctl_error_set(err, -rc, "cannot reopen %s: %s", d->conf->log.access_log,
				      strerror(-rc)),
			rc);
	ctl_alog_counters(&lines, &errors);
	for (unsigned int i = 0; i < d->dp.n_workers; i++)
		drops += LOAD(d->dp.workers[i]->alog.drops);
	*result = json_pack("{s:s, s:I, s:I, s:I}", "access_log", d->conf->log.access_log, "lines",
			    (json_int_t)lines, "write_errors", (json_int_t)errors, "dropped",
			    (json_int_t)drops);
	return 0;
}

json_t *
ctl_mesh_json(struct ctl_daemon *d)
{
	json_t *out = json_object(), *r;
	struct ctl_error err;

	if (cmd_services(d, NULL, &r, &err) == 0)
		json_object_update(out, r), json_decref(r);
	if (cmd_clusters(d, NULL, &r, &err) == 0)
		json_object_update(out, r), json_decref(r);
	if (cmd_endpoints(d, NULL, &r, &err) == 0)
		json_object_update(out, r), json_decref(r);
	return out;
}

int
ctl_cmds_mesh_register(struct ctl_server *srv, struct ctl_daemon *d)
{
	int rc = ctl_server_register(srv, "services", cmd_services, d);

	rc = rc ?: ctl_server_register(srv, "clusters", cmd_clusters, d);
	rc = rc ?: ctl_server_register(srv, "endpoints", cmd_endpoints, d);
	rc = rc ?: ctl_server_register(srv, "drain", cmd_drain, d);
	rc = rc ?: ctl_server_register(srv, "undrain", cmd_undrain, d);
	rc = rc ?: ctl_server_register(srv, "log-reopen", cmd_log_reopen, d);
	return rc;
}
