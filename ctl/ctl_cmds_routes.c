/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_cmds_routes.c - `meshgwctl routes`: the HTTP route tables with their
 * routes (matchers, action) and per-route counters merged over the
 * workers, and the compile cache; and the route families of /metrics,
 * rendered from the same rows. Control thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_daemon.h"
#include "gw_http.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* /metrics keeps at most this many routes per table as series of their
 * own; the others are folded into route="_other" (and counted). */
#define METRIC_ROUTES_MAX 1000

static const char *const kind_names[] = {"any", "exact", "prefix", "suffix", "regex", "present"};
static const char *const action_names[] = {"cluster", "weighted_clusters", "redirect",
					   "direct_response"};
static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

static const struct gw_mesh *
mesh_of(struct ctl_daemon *d)
{
	return d->dp.snap != NULL ? gw_snapmgr_current(d->dp.snap)->mesh : NULL;
}

static json_t *
str_match(const struct ctl_str_match *m)
{
	return json_pack("{s:s, s:s?}", "kind", kind_names[m->kind], "value", m->value);
}

static json_t *
match_json(const struct ctl_http_route *r)
{
	json_t *o = json_object(), *hs = json_array();

	if (r->host.kind != CTL_MATCH_ANY)
		json_object_set_new(o, "host", str_match(&r->host));
	if (r->path.kind != CTL_MATCH_ANY)
		json_object_set_new(o, "path", str_match(&r->path));
	if (r->method != NULL)
		json_object_set_new(o, "method", json_string(r->method));
	for (unsigned int i = 0; i < r->n_headers; i++) {
		json_t *h = str_match(&r->headers[i].m);

		json_object_set_new(h, "name", json_string(r->headers[i].name));
		json_array_append_new(hs, h);
	}
	if (r->n_headers > 0)
		json_object_set_new(o, "headers", hs);
	else
		json_decref(hs);
	return o;
}

static json_t *
action_json(const struct gw_mesh *m, const struct ctl_http_route *r)
{
	json_t *o = json_pack("{s:s}", "type", action_names[r->action]);

	if (r->action == CTL_ACT_CLUSTER) {
		json_object_set_new(
			o, "cluster",
			json_string(
				m->clusters[m->cluster_slot[r->clusters[0].cluster]].conf.name));
	} else if (r->action == CTL_ACT_WEIGHTED) {
		json_t *w = json_array();

		for (unsigned int i = 0; i < r->n_clusters; i++)
			json_array_append_new(
				w, json_pack("{s:s, s:I}", "cluster",
					     m->clusters[m->cluster_slot[r->clusters[i].cluster]]
						     .conf.name,
					     "weight", (json_int_t)r->clusters[i].weight));
		json_object_set_new(o, "clusters", w);
	} else {
		json_object_set_new(o, "status", json_integer(r->status));
		if (r->location != NULL)
			json_object_set_new(o, "location", json_string(r->location));
	}
	if (r->timeout_us > 0)
		json_object_set_new(o, "timeout_ms",
				    json_integer((json_int_t)(r->timeout_us / 1000)));
	if (r->has_retries)
		json_object_set_new(o, "retries",
				    json_pack("{s:I, s:I}", "count", (json_int_t)r->retries.count,
					      "per_try_timeout_ms",
					      (json_int_t)(r->retries.per_try_timeout_us / 1000)));
	if (r->has_fault)
		json_object_set_new(o, "fault",
				    json_pack("{s:f, s:I, s:f, s:i}", "delay_percent",
					      r->fault.delay_ppm / 10000.0, "delay_ms",
					      (json_int_t)(r->fault.delay_us / 1000),
					      "abort_percent", r->fault.abort_ppm / 10000.0,
					      "abort_status", r->fault.abort_status));
	return o;
}

/* Route g's counters merged over the workers. */
static json_t *
route_counters(struct ctl_daemon *d, unsigned int g)
{
	struct gw_http_route_stats sum = {0};
	json_t *o, *resp = json_object();

	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		const struct gw_http_route_stats *rs =
			gw_proxy_http_route_stats(d->dp.workers[i]->proxy);

		if (rs == NULL)
			continue;
		sum.requests += LOAD(rs[g].requests);
		for (int k = 0; k < 5; k++)
			sum.responses[k] += LOAD(rs[g].responses[k]);
		sum.retries += LOAD(rs[g].retries);
		sum.retry_budget_exhausted += LOAD(rs[g].retry_budget_exhausted);
		sum.fault_delays += LOAD(rs[g].fault_delays);
		sum.fault_aborts += LOAD(rs[g].fault_aborts);
		sum.timeouts += LOAD(rs[g].timeouts);
	}
	for (int k = 0; k < 5; k++)
		json_object_set_new(resp, classes[k], json_integer((json_int_t)sum.responses[k]));
	o = json_pack("{s:I, s:o, s:I, s:I, s:I, s:I, s:I}", "requests", (json_int_t)sum.requests,
		      "responses", resp, "retries", (json_int_t)sum.retries,
		      "retry_budget_exhausted", (json_int_t)sum.retry_budget_exhausted,
		      "fault_delays", (json_int_t)sum.fault_delays, "fault_aborts",
		      (json_int_t)sum.fault_aborts, "timeouts", (json_int_t)sum.timeouts);
	return o;
}

static uint64_t
no_route(struct ctl_daemon *d, unsigned int t)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < d->dp.n_workers; i++) {
		const uint64_t *nr = gw_proxy_http_no_route(d->dp.workers[i]->proxy);

		if (nr != NULL)
			n += LOAD(nr[t]);
	}
	return n;
}

/* Rows [offset, offset + limit) of table t; `brief` leaves matchers and
 * actions out. */
static json_t *
table_json(struct ctl_daemon *d, const struct gw_mesh *m, unsigned int t, bool brief,
	   unsigned int offset, unsigned int limit)
{
	const struct gw_rtable *gt = &m->rtables[t];
	json_t *rows = json_array();
	char hash[17];

	for (unsigned int i = offset; i < gt->n_routes && i - offset < limit; i++) {
		unsigned int g = gt->first_route + i;
		const struct ctl_http_route *r = &m->routes[g];
		json_t *row = json_pack("{s:I, s:s, s:o}", "index", (json_int_t)i, "name", r->name,
					"counters", route_counters(d, m->route_slot[g]));

		if (!brief) {
			json_object_set_new(row, "match", match_json(r));
			json_object_set_new(row, "action", action_json(m, r));
		}
		json_array_append_new(rows, row);
	}
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)gw_route_table_hash(gt->match));
	return json_pack("{s:s, s:I, s:s, s:I, s:o}", "name", gt->name, "n_routes",
			 (json_int_t)gt->n_routes, "hash", hash, "no_route",
			 (json_int_t)no_route(d, gt->slot), "routes", rows);
}

static json_t *
cache_json(void)
{
	struct gw_route_cache_stats cs;

	gw_route_cache_get_stats(&cs);
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "compiles", (json_int_t)cs.compiles, "hits",
			 (json_int_t)cs.hits, "compile_ms", (json_int_t)(cs.compile_us / 1000),
			 "last_compile_ms", (json_int_t)(cs.last_compile_us / 1000), "cached",
			 (json_int_t)cs.cached);
}

/* A reply must fit the ctl server's output queue (1 MiB): a table's
 * routes come a page at a time. */
#define ROUTES_PAGE_DEFAULT 1000
#define ROUTES_PAGE_MAX	    2000

/* args: {"table": name} (optional), {"brief": true} (counters only),
 * {"offset": N, "limit": N} (a page of each table's routes). */
static int
cmd_routes(void *arg, json_t *args, json_t **result, struct ctl_error *err)
{
	struct ctl_daemon *d = arg;
	const struct gw_mesh *m = mesh_of(d);
	const char *want = json_string_value(json_object_get(args, "table"));
	bool brief = json_is_true(json_object_get(args, "brief"));
	json_t *jo = json_object_get(args, "offset"), *jl = json_object_get(args, "limit");
	json_int_t offset = jo != NULL ? json_integer_value(jo) : 0;
	json_int_t limit = jl != NULL ? json_integer_value(jl) : ROUTES_PAGE_DEFAULT;
	json_t *tables;
	bool found = want == NULL;

	if ((jo != NULL && (!json_is_integer(jo) || offset < 0)) ||
	    (jl != NULL && (!json_is_integer(jl) || limit < 1 || limit > ROUTES_PAGE_MAX))) {
		ctl_error_set(err, EINVAL, "'offset' must be >= 0 and 'limit' 1..%d",
			      ROUTES_PAGE_MAX);
		return -1;
	}
	tables = json_array();
	for (unsigned int t = 0; m != NULL && t < m->n_rtables; t++) {
		if (want != NULL && strcmp(want, m->rtables[t].name) != 0)
			continue;
		found = true;
		json_t *tj = table_json(d, m, t, brief,
					(unsigned int)RTE_MIN(offset, (json_int_t)UINT32_MAX),
					(unsigned int)limit);

		json_object_set_new(tj, "offset", json_integer(offset));
		json_array_append_new(tables, tj);
	}
	if (!found) {
		json_decref(tables);
		ctl_error_set(err, ENOENT, "no route table named '%s'", want);
		return -1;
	}
	*result = json_pack("{s:o, s:o}", "route_tables", tables, "compile_cache", cache_json());
	return 0;
}

int
ctl_cmds_routes_register(struct ctl_server *srv, struct ctl_daemon *d)
{
	return ctl_server_register(srv, "routes", cmd_routes, d);
}

/* ---- /metrics ---------------------------------------------------------------------- */

struct rfam {
	const char *key, *name, *help;
};

static const struct rfam route_families[] = {
	{"requests", "route_requests_total", "Requests that matched the route."},
	{"retries", "route_retries_total", "Tries sent again by the route's retry policy."},
	{"retry_budget_exhausted", "route_retry_budget_exhausted_total",
	 "Retries refused because the cluster's retry budget was used up."},
	{"fault_delays", "route_fault_delays_total", "Requests delayed by fault injection."},
	{"fault_aborts", "route_fault_aborts_total", "Requests answered by fault injection."},
	{"timeouts", "route_timeouts_total",
	 "Requests answered 504 by a route or per-try timeout."},
};

static long long
num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

void
ctl_metrics_routes(FILE *f, struct ctl_daemon *d)
{
	const struct gw_mesh *m = mesh_of(d);
	long long folded = 0;

	if (m == NULL || m->n_rtables == 0)
		return;
	json_t *all = json_array();

	for (unsigned int t = 0; t < m->n_rtables; t++)
		json_array_append_new(all, table_json(d, m, t, true, 0, UINT32_MAX));
	for (size_t k = 0; k <= sizeof(route_families) / sizeof(route_families[0]); k++) {
		bool resp = k == sizeof(route_families) / sizeof(route_families[0]);
		const char *name = resp ? "route_responses_total" : route_families[k].name;
		size_t ti;
		json_t *tj;

		fprintf(f, "# HELP meshgw_%s %s\n# TYPE meshgw_%s counter\n", name,
			resp ? "Final responses of the route's requests, by class."
			     : route_families[k].help,
			name);
		json_array_foreach (all, ti, tj) {
			const char *tn = json_string_value(json_object_get(tj, "name"));
			json_t *routes = json_object_get(tj, "routes"), *row;
			long long other[5] = {0};
			size_t i;

			json_array_foreach (routes, i, row) {
				json_t *c = json_object_get(row, "counters");
				const char *rn = json_string_value(json_object_get(row, "name"));

				for (int q = 0; q < (resp ? 5 : 1); q++) {
					long long v = resp ? num(json_object_get(c, "responses"),
								 classes[q])
							   : num(c, route_families[k].key);

					if (i >= METRIC_ROUTES_MAX) {
						other[q] += v;
						continue;
					}
					if (resp)
						fprintf(f,
							"meshgw_%s{table=\"%s\",route=\"%s\","
							"class=\"%s\"} %lld\n",
							name, tn, rn, classes[q], v);
					else
						fprintf(f,
							"meshgw_%s{table=\"%s\",route=\"%s\"} "
							"%lld\n",
							name, tn, rn, v);
				}
			}
			if (json_array_size(routes) <= METRIC_ROUTES_MAX)
				continue;
			if (k == 0)
				folded += (long long)(json_array_size(routes) - METRIC_ROUTES_MAX);
			for (int q = 0; q < (resp ? 5 : 1); q++) {
				if (resp)
					fprintf(f,
						"meshgw_%s{table=\"%s\",route=\"_other\",class=\"%"
						"s\"} "
						"%lld\n",
						name, tn, classes[q], other[q]);
				else
					fprintf(f,
						"meshgw_%s{table=\"%s\",route=\"_other\"} %lld\n",
						name, tn, other[q]);
			}
		}
	}
	fprintf(f, "# HELP meshgw_route_no_route_total Requests no route of the table matched.\n"
		   "# TYPE meshgw_route_no_route_total counter\n");
	size_t ti;
	json_t *tj;
	json_array_foreach (all, ti, tj)
		fprintf(f, "meshgw_route_no_route_total{table=\"%s\"} %lld\n",
			json_string_value(json_object_get(tj, "name")), num(tj, "no_route"));
	json_t *c = cache_json();
	fprintf(f,
		"# HELP meshgw_route_series_folded Routes folded into route=\"_other\" (over %d "
		"per table).\n# TYPE meshgw_route_series_folded gauge\n"
		"meshgw_route_series_folded %lld\n"
		"# HELP meshgw_route_compiles_total Route tables compiled.\n"
		"# TYPE meshgw_route_compiles_total counter\nmeshgw_route_compiles_total %lld\n"
		"# HELP meshgw_route_compile_cache_hits_total Route tables taken from the compile "
		"cache.\n# TYPE meshgw_route_compile_cache_hits_total counter\n"
		"meshgw_route_compile_cache_hits_total %lld\n"
		"# HELP meshgw_route_compile_seconds_total Time spent compiling route tables.\n"
		"# TYPE meshgw_route_compile_seconds_total counter\n"
		"meshgw_route_compile_seconds_total %.3f\n",
		METRIC_ROUTES_MAX, folded, num(c, "compiles"), num(c, "hits"),
		(double)num(c, "compile_ms") / 1e3);
	json_decref(c);
	json_decref(all);
}
