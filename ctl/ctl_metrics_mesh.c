/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_metrics_mesh.c - the service, cluster and endpoint families of
 * /metrics, rendered from the same JSON the `services`, `clusters` and
 * `endpoints` commands answer with, so both always agree. Control thread only.
 */
#include <stdio.h>
#include <string.h>

#include "ctl_daemon.h"
#include "gw_http.h"

struct family {
	const char *key;  /* in the command's row */
	const char *name; /* meshgw_<name> */
	bool gauge;
	const char *help;
};

static const struct family service_families[] = {
	{"connections", "service_connections_total", false,
	 "Client connections accepted on the service's VIPs."},
	{"active", "service_active_connections", true, "Proxied connections open now."},
};

static const struct family cluster_families[] = {
	{"active", "cluster_active_connections", true, "Proxied connections open now."},
	{"pending", "cluster_pending_connects", true, "Upstream connects in progress."},
	{"ejected", "cluster_ejected_endpoints", true, "Endpoints ejected by outlier detection."},
	{"drained", "cluster_drained_endpoints", true, "Endpoints drained by meshgwctl drain."},
	{"endpoints", "cluster_endpoints", true, "Configured endpoints."},
	{"max_connections", "cluster_max_connections", true,
	 "Circuit breaker: the active connection limit."},
	{"max_pending", "cluster_max_pending", true, "Circuit breaker: the pending connect limit."},
};

static const struct family endpoint_families[] = {
	{"active", "endpoint_active_connections", true, "Upstream legs open now."},
	{"connections", "endpoint_connections_total", false, "Upstream legs that connected."},
	{"connect_failures", "endpoint_connect_failures_total", false,
	 "Connects refused, reset, unreachable or timed out."},
	{"resets", "endpoint_resets_total", false, "Established upstream legs the endpoint reset."},
	{"bytes_sent", "endpoint_sent_bytes_total", false, "Bytes sent to the endpoint."},
	{"bytes_received", "endpoint_received_bytes_total", false,
	 "Bytes received from the endpoint."},
	{"ejected", "endpoint_ejected", true, "1 while outlier detection ejects the endpoint."},
	{"ejections", "endpoint_ejections_total", false, "Times the endpoint was ejected."},
	{"drained", "endpoint_drained", true, "1 while the endpoint is drained."},
	{"weight", "endpoint_weight", true, "Configured weight."},
	{"healthy", "endpoint_healthy", true,
	 "0 while active health checks hold the endpoint unhealthy (unchecked: 1)."},
	{"health_checks", "endpoint_health_checks_total", false, "Health check results."},
	{"health_failures", "endpoint_health_failures_total", false, "Failed health checks."},
};

/* Label values are config names and addresses: checked at load to be
 * printable without quotes or backslashes, so no escaping is needed. */
static void
labels(FILE *f, json_t *row, const char *const *keys, const char *const *names, unsigned int n)
{
	fputc('{', f);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s%s=\"%s\"", i ? "," : "", names[i],
			json_string_value(json_object_get(row, keys[i])) ?: "");
	fputc('}', f);
}

static long long
number(json_t *v)
{
	if (json_is_boolean(v))
		return json_is_true(v);
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void
emit_table(FILE *f, json_t *rows, const struct family *fam, unsigned int n_fam,
	   const char *const *keys, const char *const *names, unsigned int n_labels)
{
	size_t i;
	json_t *row;

	for (unsigned int k = 0; k < n_fam; k++) {
		fprintf(f, "# HELP meshgw_%s %s\n# TYPE meshgw_%s %s\n", fam[k].name, fam[k].help,
			fam[k].name, fam[k].gauge ? "gauge" : "counter");
		json_array_foreach (rows, i, row) {
			fprintf(f, "meshgw_%s", fam[k].name);
			labels(f, row, keys, names, n_labels);
			fprintf(f, " %lld\n", number(json_object_get(row, fam[k].key)));
		}
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* HTTP services: responses by class and the request duration histogram. */
static void
emit_http(FILE *f, json_t *services)
{
	static const char *const classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
	size_t i;
	json_t *row;

	fprintf(f, "# HELP meshgw_http_responses_total HTTP responses to clients, by class "
		   "(generated ones included).\n# TYPE meshgw_http_responses_total counter\n");
	json_array_foreach (services, i, row) {
		json_t *r = json_object_get(json_object_get(row, "http"), "responses");

		for (int k = 0; r != NULL && k < 5; k++)
			fprintf(f,
				"meshgw_http_responses_total{service=\"%s\",class=\"%s\"} %lld\n",
				json_string_value(json_object_get(row, "name")), classes[k],
				number(json_object_get(r, classes[k])));
	}
	fprintf(f, "# HELP meshgw_http_request_duration_seconds From a request's first byte to "
		   "the end of its response.\n"
		   "# TYPE meshgw_http_request_duration_seconds histogram\n");
	json_array_foreach (services, i, row) {
		json_t *h = json_object_get(row, "http");
		json_t *b = json_object_get(h, "latency_buckets");
		const char *name = json_string_value(json_object_get(row, "name"));
		long long cum = 0;

		if (h == NULL)
			continue;
		for (size_t k = 0; k < json_array_size(b); k++) {
			cum += number(json_array_get(b, k));
			if (k + 1 < json_array_size(b))
				fprintf(f,
					"meshgw_http_request_duration_seconds_bucket{service=\"%"
					"s\","
					"le=\"%g\"} %lld\n",
					name, (double)gw_http_lat_bounds_us[k] / 1e6, cum);
			else
				fprintf(f,
					"meshgw_http_request_duration_seconds_bucket{service=\"%"
					"s\","
					"le=\"+Inf\"} %lld\n",
					name, cum);
		}
		fprintf(f, "meshgw_http_request_duration_seconds_sum{service=\"%s\"} %.6f\n", name,
			(double)number(json_object_get(h, "latency_sum_us")) / 1e6);
		fprintf(f, "meshgw_http_request_duration_seconds_count{service=\"%s\"} %lld\n",
			name, cum);
	}
}

void
ctl_metrics_mesh(FILE *f, struct ctl_daemon *d)
{
	static const char *const svc_keys[] = {"name", "cluster"};
	static const char *const svc_names[] = {"service", "cluster"};
	static const char *const cl_keys[] = {"name", "policy"};
	static const char *const cl_names[] = {"cluster", "policy"};
	static const char *const ep_keys[] = {"cluster", "endpoint", "zone"};
	static const char *const ep_names[] = {"cluster", "endpoint", "zone"};
	json_t *m = ctl_mesh_json(d);

	emit_table(f, json_object_get(m, "services"), service_families, N(service_families),
		   svc_keys, svc_names, N(svc_keys));
	emit_http(f, json_object_get(m, "services"));
	emit_table(f, json_object_get(m, "clusters"), cluster_families, N(cluster_families),
		   cl_keys, cl_names, N(cl_keys));
	emit_table(f, json_object_get(m, "endpoints"), endpoint_families, N(endpoint_families),
		   ep_keys, ep_names, N(ep_keys));
	fprintf(f,
		"# HELP meshgw_outlier_ejections_total Ejection requests granted.\n"
		"# TYPE meshgw_outlier_ejections_total counter\n"
		"meshgw_outlier_ejections_total %lld\n"
		"# HELP meshgw_outlier_ejections_refused_total Ejection requests refused "
		"(max_ejection_percent reached, or already ejected).\n"
		"# TYPE meshgw_outlier_ejections_refused_total counter\n"
		"meshgw_outlier_ejections_refused_total %lld\n",
		number(json_object_get(m, "ejections")),
		number(json_object_get(m, "ejections_refused")));
	ctl_hcheck_metrics(f, d);
	ctl_certs_metrics(f, d);
	json_decref(m);
}
