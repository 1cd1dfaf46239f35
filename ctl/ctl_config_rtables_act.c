/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_rtables_act.c - a route's action (cluster, weighted_clusters,
 * redirect, direct_response) and the options around it: header edits,
 * prefix rewrite, timeout, retries and fault injection (README
 * "route_tables"). Cluster names are checked for form here and looked up by
 * rt_action_resolve() once the whole file is read (`clusters` may come later).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_config_rtables.h"

#define R(f)	 CFG_AT(struct ctl_http_route, f)
#define RETRY(f) CFG_AT(struct ctl_retry_conf, f)
#define FAULT(f) CFG_AT(struct ctl_fault_conf, f)
#define WGT(f)	 CFG_AT(struct ctl_weighted, f)

#define MS  1000LL
#define SEC 1000000LL

static const char *const action_keys[] = {"cluster", "weighted_clusters", "redirect",
					  "direct_response", NULL};
#define ACTIONS "'cluster', 'weighted_clusters', 'redirect' or 'direct_response'"

static bool
upstream(const struct ctl_http_route *r)
{
	return r->action == CTL_ACT_CLUSTER || r->action == CTL_ACT_WEIGHTED;
}

/* ---- the four actions -------------------------------------------------- */

static int
act_cluster(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	const char *v = NULL;
	int rc = rt_check_name(ps, s, kw->name, &v);

	if (rc == 0) {
		r->action = CTL_ACT_CLUSTER;
		r->clusters[0].weight = 1;
		r->n_clusters = 1;
	}
	return rc;
}

/* The form only; rt_action_resolve() looks the name up. */
static int
wgt_cluster(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	const char *v = NULL;

	(void)obj;
	return rt_check_name(ps, s, kw->name, &v);
}

static const struct cfg_kw weighted_kws[] = {
	{"cluster", wgt_cluster},
	{"weight", cfg_uint, WGT(weight), .min = 1, .max = 10000},
	{NULL},
};

static int
weighted_check(struct cfg_parse *ps, const config_setting_t *list, unsigned int i)
{
	const config_setting_t *e = config_setting_get_elem(list, i);
	const config_setting_t *m = config_setting_get_member(e, "cluster");

	if (m == NULL)
		return cfg_fail(ps, e, "'cluster' is required in each of 'weighted_clusters'");
	if (config_setting_get_member(e, "weight") == NULL)
		return cfg_fail(ps, e, "'weight' is required in each of 'weighted_clusters'");
	for (unsigned int j = 0; j < i; j++) {
		const config_setting_t *o = config_setting_get_elem(list, j);
		const char *name = config_setting_get_string(m);
		if (strcmp(config_setting_get_string(config_setting_get_member(o, "cluster")),
			   name) == 0)
			return cfg_fail(
				ps, m, "cluster '%s' is listed twice in 'weighted_clusters'", name);
	}
	return 0;
}

static int
act_weighted(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	int n = config_setting_length(s);
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (n < 1 || n > CTL_MAX_WEIGHTED)
		return cfg_fail(ps, s, "'%s' expected 1 to %d clusters", kw->name,
				CTL_MAX_WEIGHTED);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		if ((rc = cfg_walk(ps, e, weighted_kws, &r->clusters[i])) < 0 ||
		    (rc = weighted_check(ps, s, (unsigned int)i)) < 0)
			return rc;
	}
	r->action = CTL_ACT_WEIGHTED;
	r->n_clusters = (unsigned int)n;
	return 0;
}

static int
redirect_status(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	int v = config_setting_type(s) == CONFIG_TYPE_INT ? config_setting_get_int(s) : 0;

	if (v != 301 && v != 302 && v != 303 && v != 307 && v != 308)
		return cfg_fail(ps, s, "'%s' expected one of 301, 302, 303, 307, 308", kw->name);
	r->status = (uint16_t)v;
	return 0;
}

static int
location(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;

	return rt_text(ps, s, kw->name, CTL_ROUTE_PATH_MAX, 0, &r->location);
}

static const struct cfg_kw redirect_kws[] = {
	{"location", location},
	{"status", redirect_status},
	{NULL},
};

static int
act_redirect(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	int rc = cfg_need_group(ps, s, kw->name);

	r->status = 302;
	if (rc == 0)
		rc = cfg_walk(ps, s, redirect_kws, r);
	if (rc == 0 && r->location == NULL)
		rc = cfg_fail(ps, s, "'location' is required for a redirect");
	if (rc == 0)
		r->action = CTL_ACT_REDIRECT;
	return rc;
}

static int
body(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;

	return rt_text(ps, s, kw->name, CTL_ROUTE_BODY_MAX, RT_EMPTY | RT_ANY_BYTES, &r->body);
}

static const struct cfg_kw direct_kws[] = {
	{"status", cfg_uint, R(status), .min = 200, .max = 599},
	{"body", body},
	{NULL},
};

static int
act_direct(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	int rc = cfg_need_group(ps, s, kw->name);

	r->status = 0;
	if (rc == 0)
		rc = cfg_walk(ps, s, direct_kws, r);
	if (rc == 0 && r->status == 0)
		rc = cfg_fail(ps, s, "'status' is required for a direct response (200 to 599)");
	if (rc == 0)
		r->action = CTL_ACT_DIRECT;
	return rc;
}

/* ---- header edits, rewrite, timeout ------------------------------------ */

/* kw->off: the edit array; kw->arg: the offset of its count. */
static struct ctl_header_edit *
edit_slot(void *obj, const struct cfg_kw *kw, unsigned int **count)
{
	*count = (unsigned int *)((char *)obj + *(const size_t *)kw->arg);
	return cfg_field(obj, kw);
}

static int
edit_value(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_header_edit *e = obj;

	return rt_text(ps, s, kw->name, CTL_ROUTE_HVALUE_MAX, RT_SPACE | RT_TAB | RT_EMPTY,
		       &e->value);
}

static int
edit_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_header_edit *e = obj;

	return rt_header_name(ps, s, kw->name, &e->name);
}

/* Fields the proxy owns: framing, hop-by-hop and Host. An edit of one could
 * give the next hop a second, conflicting framing (smuggling). */
static bool
reserved_name(const char *n)
{
	static const char *const names[] = {"content-length",
					    "transfer-encoding",
					    "connection",
					    "keep-alive",
					    "proxy-connection",
					    "upgrade",
					    "te",
					    "trailer",
					    "host"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(n, names[i]) == 0)
			return true;
	return false;
}

static const struct cfg_kw edit_kws[] = {
	{"name", edit_name},
	{"value", edit_value},
	{NULL},
};

static int
headers_add(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	unsigned int *count;
	struct ctl_header_edit *edits = edit_slot(obj, kw, &count);
	int n = config_setting_length(s);
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (n > CTL_MAX_HEADER_EDITS)
		return cfg_fail(ps, s, "'%s' expected at most %d headers", kw->name,
				CTL_MAX_HEADER_EDITS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		struct ctl_header_edit *h = &edits[(*count)++]; /* zeroed; freed on error */
		if ((rc = cfg_walk(ps, e, edit_kws, h)) < 0)
			return rc;
		if (h->name == NULL || h->value == NULL)
			return cfg_fail(ps, e, "'name' and 'value' are required in each of '%s'",
					kw->name);
		if (reserved_name(h->name))
			return cfg_fail(ps, e, "'%s' cannot edit '%s': the proxy owns that field",
					kw->name, h->name);
	}
	return 0;
}

static int
headers_remove(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	unsigned int *count;
	struct ctl_header_edit *edits = edit_slot(obj, kw, &count);
	int n = config_setting_length(s);

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return cfg_fail(ps, s, "'%s' expected a list of header names such as [ \"x-a\" ]",
				kw->name);
	if (n > CTL_MAX_HEADER_EDITS)
		return cfg_fail(ps, s, "'%s' expected at most %d headers", kw->name,
				CTL_MAX_HEADER_EDITS);
	for (int i = 0; i < n; i++) {
		int rc = rt_header_name(ps, config_setting_get_elem(s, (unsigned int)i), kw->name,
					&edits[*count].name);
		if (rc < 0)
			return rc;
		if (reserved_name(edits[(*count)++].name))
			return cfg_fail(ps, config_setting_get_elem(s, (unsigned int)i),
					"'%s' cannot edit '%s': the proxy owns that field",
					kw->name, edits[*count - 1].name);
	}
	return 0;
}

static int
prefix_rewrite(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	const char *v = config_setting_get_string(s);

	if (v != NULL && v[0] != '/')
		return cfg_fail(ps, s, "'%s' must start with '/'", kw->name);
	return rt_text(ps, s, kw->name, CTL_ROUTE_PATH_MAX, 0, &r->prefix_rewrite);
}

/* ---- retries ----------------------------------------------------------- */

static const char *const retry_on_words[] = {"connect_failure",	 "reset", "5xx", "gateway_error",
					     "retriable_status", NULL};

static int
retry_on(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_retry_conf *rc = obj;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return cfg_fail(ps, s, "'%s' expected a list such as [ \"5xx\", \"reset\" ]",
				kw->name);
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *v = config_setting_get_string(e);
		unsigned int w = 0;
		while (v != NULL && retry_on_words[w] != NULL && strcmp(v, retry_on_words[w]) != 0)
			w++;
		if (v == NULL || retry_on_words[w] == NULL)
			return cfg_fail(ps, e,
					"'%s' expected words from \"connect_failure\", \"reset\", "
					"\"5xx\", \"gateway_error\", \"retriable_status\"",
					kw->name);
		rc->on |= 1u << w;
	}
	return 0;
}

static int
retry_statuses(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_retry_conf *rc = obj;
	int n = config_setting_length(s);

	if ((!config_setting_is_array(s) && !config_setting_is_list(s)) || n < 1 ||
	    n > CTL_MAX_RETRY_STATUSES)
		return cfg_fail(ps, s, "'%s' expected a list of 1 to %d statuses such as [ 503 ]",
				kw->name, CTL_MAX_RETRY_STATUSES);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		int v = config_setting_type(e) == CONFIG_TYPE_INT ? config_setting_get_int(e) : 0;
		if (v < 100 || v > 599)
			return cfg_fail(ps, e, "'%s' expected statuses between 100 and 599",
					kw->name);
		rc->statuses[rc->n_statuses++] = (uint16_t)v;
	}
	rc->on |= CTL_RETRY_RETRIABLE_STATUS;
	return 0;
}

static const struct cfg_kw retry_kws[] = {
	{"on", retry_on},
	{"statuses", retry_statuses},
	{"count", cfg_uint, RETRY(count), .min = 0, .max = 10},
	{"per_try_timeout", cfg_duration, RETRY(per_try_timeout_us), .min = 0, .max = 3600 * SEC},
	{"backoff_base", cfg_duration, RETRY(backoff_base_us), .min = 1 * MS, .max = 3600 * SEC},
	{"backoff_max", cfg_duration, RETRY(backoff_max_us), .min = 1 * MS, .max = 3600 * SEC},
	{NULL},
};

static int
retries(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	struct ctl_retry_conf *rc = &r->retries;
	int err = cfg_need_group(ps, s, kw->name);

	*rc = (struct ctl_retry_conf){.count = 1, .backoff_base_us = 25 * MS};
	if (err == 0)
		err = cfg_walk(ps, s, retry_kws, rc);
	if (err < 0)
		return err;
	if (rc->on == 0)
		return cfg_fail(ps, s, "'on' is required for retries (a non-empty list)");
	if (config_setting_get_member(s, "backoff_max") == NULL)
		rc->backoff_max_us = 10 * rc->backoff_base_us;
	else if (rc->backoff_max_us < rc->backoff_base_us)
		return cfg_fail(ps, config_setting_get_member(s, "backoff_max"),
				"'backoff_max' is below 'backoff_base'");
	r->has_retries = true;
	return 0;
}

/* ---- fault injection --------------------------------------------------- */

/* A share in percent (integer or float, 0..100) into parts per million. */
static int
percent_ppm(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	double v = -1;

	if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	if (!(v >= 0 && v <= 100)) /* also false for NaN */
		return cfg_fail(ps, s, "'%s' expected a percentage between 0 and 100 (such as 2.5)",
				kw->name);
	*(uint32_t *)cfg_field(obj, kw) = (uint32_t)(v * 10000 + 0.5);
	return 0;
}

static const struct cfg_kw fault_kws[] = {
	{"delay", cfg_duration, FAULT(delay_us), .min = 1 * MS, .max = 3600 * SEC},
	{"delay_percent", percent_ppm, FAULT(delay_ppm)},
	{"abort_status", cfg_uint, FAULT(abort_status), .min = 200, .max = 599},
	{"abort_percent", percent_ppm, FAULT(abort_ppm)},
	{NULL},
};

/* The keys come in pairs: one without the other never applies. */
static int
fault_pairs(struct cfg_parse *ps, const config_setting_t *s)
{
	static const char *const pairs[][2] = {{"delay", "delay_percent"},
					       {"abort_status", "abort_percent"}};

	for (unsigned int i = 0; i < 2; i++)
		for (unsigned int k = 0; k < 2; k++)
			if (config_setting_get_member(s, pairs[i][k]) != NULL &&
			    config_setting_get_member(s, pairs[i][!k]) == NULL)
				return cfg_fail(ps, s, "'%s' is required with '%s' in a fault",
						pairs[i][!k], pairs[i][k]);
	return 0;
}

static int
fault(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	int rc = cfg_need_group(ps, s, kw->name);

	r->fault = (struct ctl_fault_conf){0};
	if (rc == 0)
		rc = cfg_walk(ps, s, fault_kws, &r->fault);
	if (rc == 0)
		rc = fault_pairs(ps, s);
	if (rc == 0)
		r->has_fault = true;
	return rc;
}

/* ---- the route's keys -------------------------------------------------- */

#define EDITS(list, count)                                                                         \
	R(list), .arg = &(const size_t)                                                            \
	{                                                                                          \
		offsetof(struct ctl_http_route, count)                                             \
	}

const struct cfg_kw cfg_route_act_kws[] = {
	{"cluster", act_cluster},
	{"weighted_clusters", act_weighted},
	{"redirect", act_redirect},
	{"direct_response", act_direct},
	{"prefix_rewrite", prefix_rewrite},
	{"request_headers_add", headers_add, EDITS(req_add, n_req_add)},
	{"request_headers_remove", headers_remove, EDITS(req_remove, n_req_remove)},
	{"response_headers_add", headers_add, EDITS(resp_add, n_resp_add)},
	{"response_headers_remove", headers_remove, EDITS(resp_remove, n_resp_remove)},
	{"timeout", cfg_duration, R(timeout_us), .min = 1 * MS, .max = 3600 * SEC},
	{"retries", retries},
	{"fault", fault},
	{NULL},
};

static bool
is_action(const char *name)
{
	for (unsigned int i = 0; action_keys[i] != NULL; i++)
		if (strcmp(name, action_keys[i]) == 0)
			return true;
	return false;
}

/* Keys that only make sense when the request goes to an upstream. */
static int
upstream_only(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_http_route *r)
{
	static const char *const keys[] = {"prefix_rewrite",
					   "request_headers_add",
					   "request_headers_remove",
					   "timeout",
					   "retries",
					   NULL};
	const config_setting_t *m;

	for (unsigned int i = 0; keys[i] != NULL && !upstream(r); i++)
		if ((m = config_setting_get_member(s, keys[i])) != NULL)
			return cfg_fail(ps, m,
					"'%s' applies only to routes with 'cluster' or "
					"'weighted_clusters'",
					keys[i]);
	m = config_setting_get_member(s, "prefix_rewrite");
	if (m != NULL && r->path.kind != CTL_MATCH_PREFIX)
		return cfg_fail(ps, m, "'prefix_rewrite' needs a 'path_prefix' match");
	return 0;
}

int
rt_action_check(struct cfg_parse *ps, const config_setting_t *s, const struct ctl_http_route *r)
{
	const char *first = NULL;

	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned int)i);
		const char *name = config_setting_name(m);
		if (!is_action(name))
			continue;
		if (first != NULL)
			return cfg_fail(ps, m,
					"route '%s' has two actions, '%s' and '%s' (exactly one "
					"of " ACTIONS ")",
					r->name, first, name);
		first = name;
	}
	if (first == NULL)
		return cfg_fail(ps, s, "route '%s' has no action (one of " ACTIONS " is required)",
				r->name);
	return upstream_only(ps, s, r);
}

/* ---- after the walk ---------------------------------------------------- */

static int
cluster_index(struct cfg_parse *ps, const config_setting_t *m, const struct ctl_http_route *r,
	      unsigned int *idx)
{
	const struct ctl_config *c = ps->c;
	const char *want = config_setting_get_string(m);
	struct cfg_kw names[CTL_MAX_CLUSTERS + 1];
	const char *hint;

	for (unsigned int i = 0; i < c->n_clusters; i++) {
		if (strcmp(c->clusters[i].name, want) == 0) {
			*idx = i;
			return 0;
		}
	}
	for (unsigned int i = 0; i < c->n_clusters; i++)
		names[i] = (struct cfg_kw){.name = c->clusters[i].name};
	names[c->n_clusters] = (struct cfg_kw){0};
	hint = cfg_suggest(want, names);
	if (hint != NULL)
		return cfg_fail(ps, m,
				"'cluster' \"%s\" of route '%s' is not a defined cluster (did you "
				"mean '%s'?)",
				want, r->name, hint);
	return cfg_fail(ps, m, "'cluster' \"%s\" of route '%s' is not a defined cluster%s", want,
			r->name, c->n_clusters ? "" : " (there is no 'clusters' list)");
}

int
rt_action_resolve(struct cfg_parse *ps, const config_setting_t *s, struct ctl_http_route *r)
{
	const config_setting_t *list;
	int rc = 0;

	if (r->action == CTL_ACT_CLUSTER)
		return cluster_index(ps, config_setting_get_member(s, "cluster"), r,
				     &r->clusters[0].cluster);
	if (r->action != CTL_ACT_WEIGHTED)
		return 0;
	list = config_setting_get_member(s, "weighted_clusters");
	for (unsigned int i = 0; rc == 0 && i < r->n_clusters; i++) {
		const config_setting_t *e = config_setting_get_elem(list, i);
		rc = cluster_index(ps, config_setting_get_member(e, "cluster"), r,
				   &r->clusters[i].cluster);
	}
	return rc;
}
