/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_metrics_mesh.c - the service, cluster and endpoint families of
 * /metrics, rendered from the same JSON the `services`, `clusters` and
 * `endpoints` commands answer with, so both always agree. Control thread only.
 */
#include <stdio.h>
#include <string.h>

#include "ctl_daemon.h"

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
	json_decref(m);
}
