/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_metrics.c - admin HTTP paths: /metrics renders the `stats` document in
 * the Prometheus text format (one family per counter, samples labelled by
 * port, worker, reason), /stats serves the document itself. Deriving both
 * from one document keeps them in agreement. Control thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_daemon.h"

/* Keys that hold a level rather than a running total. */
static bool
is_gauge(const char *key)
{
	static const char *const gauges[] = {"held",   "curr_estab", "time_wait_count",
					     "active", "mbufs_held", "upstream_idle"};

	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if (strcmp(key, gauges[i]) == 0)
			return true;
	return false;
}

/* One family: meshgw_<family>_<key>_total (gauges: meshgw_<family>_<key>)
 * over every element of arr, labelled label=<elem[labkey]>. Keys are those
 * of the first element; labkey itself is not a sample. */
static void
emit_family(FILE *f, const char *family, json_t *arr, const char *label, const char *labkey)
{
	json_t *first = json_array_get(arr, 0);
	const char *key;
	json_t *v;

	if (first == NULL)
		return;
	json_object_foreach (first, key, v) {
		if (!json_is_integer(v) || strcmp(key, labkey) == 0 || strcmp(key, "id") == 0)
			continue;
		bool gauge = is_gauge(key);
		const char *suffix = gauge ? "" : "_total";
		fprintf(f, "# TYPE meshgw_%s_%s%s %s\n", family, key, suffix,
			gauge ? "gauge" : "counter");
		size_t i;
		json_t *e;
		json_array_foreach (arr, i, e) {
			json_t *lv = json_object_get(e, labkey);
			json_t *x = json_object_get(e, key);
			if (json_is_string(lv))
				fprintf(f, "meshgw_%s_%s%s{%s=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
					family, key, suffix, label, json_string_value(lv),
					json_integer_value(x));
			else
				fprintf(f,
					"meshgw_%s_%s%s{%s=\"%" JSON_INTEGER_FORMAT
					"\"} %" JSON_INTEGER_FORMAT "\n",
					family, key, suffix, label, json_integer_value(lv),
					json_integer_value(x));
		}
	}
}

/* Nested per-worker objects (stack counters) flattened as their own family. */
static void
emit_nested(FILE *f, const char *family, json_t *workers, const char *sub)
{
	json_t *arr = json_array();
	size_t i;
	json_t *w;

	json_array_foreach (workers, i, w) {
		json_t *o = json_deep_copy(json_object_get(w, sub));
		if (o == NULL)
			continue;
		json_object_set(o, "id", json_object_get(w, "id"));
		json_array_append_new(arr, o);
	}
	emit_family(f, family, arr, "worker", "id");
	json_decref(arr);
}

static void
emit_drops(FILE *f, json_t *workers)
{
	size_t i;
	json_t *w;

	fprintf(f, "# HELP meshgw_drops_total Frames dropped by the stack, by reason.\n"
		   "# TYPE meshgw_drops_total counter\n");
	json_array_foreach (workers, i, w) {
		const char *reason;
		json_t *v;
		json_object_foreach (json_object_get(w, "drops"), reason, v) {
			fprintf(f,
				"meshgw_drops_total{worker=\"%" JSON_INTEGER_FORMAT
				"\",reason=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
				json_integer_value(json_object_get(w, "id")), reason,
				json_integer_value(v));
		}
	}
}

static void
emit_impair(FILE *f, json_t *ports)
{
	size_t i;
	json_t *p;

	fprintf(f, "# HELP meshgw_impair_packets_total Impairment layer decisions.\n"
		   "# TYPE meshgw_impair_packets_total counter\n");
	json_array_foreach (ports, i, p) {
		const char *dir;
		json_t *d;
		json_object_foreach (json_object_get(p, "impair"), dir, d) {
			const char *what;
			json_t *v;
			json_object_foreach (d, what, v) {
				fprintf(f,
					"meshgw_impair_packets_total{port=\"%s\",dir=\"%s\",what="
					"\"%s\"} %" JSON_INTEGER_FORMAT "\n",
					json_string_value(json_object_get(p, "name")), dir, what,
					json_integer_value(v));
			}
		}
	}
}

/* meshgw_diag_<key>_total{worker,service}: the diagnostic services. */
static void
emit_diag(FILE *f, json_t *workers)
{
	json_t *first =
		json_object_get(json_object_get(json_array_get(workers, 0), "diag"), "echo");
	const char *key, *app;
	json_t *v, *w, *a;
	size_t i;

	json_object_foreach (first, key, v) {
		bool gauge = is_gauge(key);
		fprintf(f, "# TYPE meshgw_diag_%s%s %s\n", key, gauge ? "" : "_total",
			gauge ? "gauge" : "counter");
		json_array_foreach (workers, i, w) {
			json_object_foreach (json_object_get(w, "diag"), app, a) {
				fprintf(f,
					"meshgw_diag_%s%s{worker=\"%" JSON_INTEGER_FORMAT
					"\",service=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
					key, gauge ? "" : "_total",
					json_integer_value(json_object_get(w, "id")), app,
					json_integer_value(json_object_get(a, key)));
			}
		}
	}
}

static void
emit_mbufs(FILE *f, json_t *mbufs)
{
	size_t i;
	json_t *p;
	const char *owner;
	json_t *v;

	fprintf(f, "# HELP meshgw_mbufs_in_use Mbufs taken from each pool.\n"
		   "# TYPE meshgw_mbufs_in_use gauge\n");
	json_array_foreach (json_object_get(mbufs, "pools"), i, p)
		fprintf(f, "meshgw_mbufs_in_use{pool=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
			json_string_value(json_object_get(p, "name")),
			json_integer_value(json_object_get(p, "in_use")));
	fprintf(f, "# HELP meshgw_mbufs_baseline Mbufs in use when the daemon became ready.\n"
		   "# TYPE meshgw_mbufs_baseline gauge\n");
	fprintf(f, "meshgw_mbufs_baseline %" JSON_INTEGER_FORMAT "\n",
		json_integer_value(json_object_get(mbufs, "baseline")));
	fprintf(f, "# HELP meshgw_mbufs_held Mbufs held, by owner.\n"
		   "# TYPE meshgw_mbufs_held gauge\n");
	json_object_foreach (json_object_get(mbufs, "by_owner"), owner, v)
		fprintf(f, "meshgw_mbufs_held{owner=\"%s\"} %" JSON_INTEGER_FORMAT "\n", owner,
			json_integer_value(v));
}

static char *
metrics_text(struct ctl_daemon *d, size_t *len)
{
	json_t *st = ctl_stats_json(d);
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL) {
		json_decref(st);
		return NULL;
	}
	fprintf(f, "# TYPE meshgw_up gauge\nmeshgw_up 1\n");
	fprintf(f, "# TYPE meshgw_ready gauge\nmeshgw_ready %d\n", gw_dp_ready(&d->dp) ? 1 : 0);
	fprintf(f, "# TYPE meshgw_config_generation gauge\nmeshgw_config_generation %" PRIu64 "\n",
		gw_snapmgr_generation(d->dp.snap));
	emit_family(f, "port", json_object_get(st, "ports"), "port", "name");
	emit_family(f, "worker", json_object_get(st, "workers"), "worker", "id");
	emit_nested(f, "stack", json_object_get(st, "workers"), "stack");
	emit_nested(f, "tcp", json_object_get(st, "workers"), "tcp");
	emit_nested(f, "proxy", json_object_get(st, "workers"), "proxy");
	emit_nested(f, "http", json_object_get(st, "workers"), "http");
	emit_diag(f, json_object_get(st, "workers"));
	emit_drops(f, json_object_get(st, "workers"));
	emit_impair(f, json_object_get(st, "ports"));
	emit_mbufs(f, json_object_get(st, "mbufs"));
	if (d->dp.snap != NULL) {
		ctl_metrics_mesh(f, d);
		ctl_metrics_routes(f, d);
	}
	fclose(f);
	json_decref(st);
	return buf;
}

/* For orchestration. /healthz: the control loop answers and no worker
 * failed (a liveness probe). /ready: running, every worker in its loop and
 * on the current generation, not draining (a readiness probe: take traffic
 * away while it says 503). */
static int
probe(const struct ctl_daemon *d, bool ready, char **body)
{
	const char *why = NULL;

	if (gw_dp_failed(&d->dp))
		why = "a worker failed\n";
	else if (ready && d->state == CTL_STATE_DRAINING)
		why = "draining\n";
	else if (ready && (d->state != CTL_STATE_RUNNING || !gw_dp_ready(&d->dp)))
		why = "starting\n";
	*body = strdup(why ? why : "ok\n");
	return why ? 503 : 200;
}

int
ctl_metrics_http(void *arg, const char *path, char **body, size_t *len, const char **ctype)
{
	struct ctl_daemon *d = arg;

	if (strcmp(path, "/metrics") == 0) {
		*body = metrics_text(d, len);
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		return *body ? 200 : 500;
	}
	if (strcmp(path, "/stats") == 0) {
		json_t *st = ctl_stats_json(d);
		*body = json_dumps(st, JSON_COMPACT);
		json_decref(st);
		*len = *body ? strlen(*body) : 0;
		*ctype = "application/json";
		return *body ? 200 : 500;
	}
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/ready") == 0) {
		int code = probe(d, path[1] == 'r', body);

		*len = *body ? strlen(*body) : 0;
		*ctype = "text/plain";
		return *body ? code : 500;
	}
	*body = strdup("not found\n");
	*len = *body ? strlen(*body) : 0;
	*ctype = "text/plain";
	return 404;
}
