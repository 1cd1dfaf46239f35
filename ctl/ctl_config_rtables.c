/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_rtables.c - the `route_tables` group: ordered HTTP routes with
 * their matchers and actions (README "route_tables"), kept in one heap
 * object the config owns.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r() */
#endif

#include "ctl_config_rtables.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_route.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define HOST_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_"
#define TCHARS	   "!#$%&'*+-.^_`|~" NAME_CHARS
#define METHOD_MAX 64

_Static_assert(CTL_MAX_ROUTE_HEADERS == GW_ROUTE_MAX_HEADERS, "header matchers per route");
_Static_assert(CTL_MAX_HTTP_ROUTES <= GW_ROUTE_MAX_ROUTES, "routes per table");
_Static_assert((int)CTL_MATCH_PRESENT == (int)GW_ROUTE_PRESENT &&
		       (int)CTL_MATCH_REGEX == (int)GW_ROUTE_REGEX &&
		       (int)CTL_MATCH_SUFFIX == (int)GW_ROUTE_SUFFIX,
	       "ctl_match_kind mirrors gw_route_kind");

static void
str_match_free(struct ctl_str_match *m)
{
	free(m->value);
	m->value = NULL;
}

static void
edits_free(struct ctl_header_edit *e, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].value);
		e[i].name = e[i].value = NULL;
	}
}

static void
route_free(struct ctl_http_route *r)
{
	str_match_free(&r->host);
	str_match_free(&r->path);
	free(r->method);
	for (unsigned int i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		str_match_free(&r->headers[i].m);
	}
	free(r->location);
	free(r->body);
	free(r->prefix_rewrite);
	edits_free(r->req_add, r->n_req_add);
	edits_free(r->req_remove, r->n_req_remove);
	edits_free(r->resp_add, r->n_resp_add);
	edits_free(r->resp_remove, r->n_resp_remove);
}

void
ctl_rtables_free(struct ctl_rtables *rt)
{
	if (rt == NULL)
		return;
	for (unsigned int i = 0; i < rt->n_routes; i++)
		route_free(&rt->routes[i]);
	free(rt->routes);
	free(rt);
}

/* ---- helpers shared with ctl_config_rtables_act.c ---------------------- */

int
rt_check_name(struct cfg_parse *ps, const config_setting_t *s, const char *key, const char **out)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] == '\0' || strlen(v) >= CTL_NAME_MAX ||
	    strspn(v, NAME_CHARS) != strlen(v))
		return cfg_fail(ps, s,
				"'%s' expected 1 to %d characters from A-Z, a-z, 0-9, '.', '_' "
				"and '-'",
				key, CTL_NAME_MAX - 1);
	*out = v;
	return 0;
}

bool
rt_is_token(const char *v)
{
	return v[0] != '\0' && strspn(v, TCHARS) == strlen(v);
}

/* Whether every byte is allowed by flags (see RT_*). */
static bool
clean_text(const char *v, unsigned int flags)
{
	if (flags & RT_ANY_BYTES)
		return true;
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == ' ' && (flags & RT_SPACE))
			continue;
		if (*p == '\t' && (flags & RT_TAB))
			continue;
		if (*p <= ' ' || *p == 0x7f)
			return false;
	}
	return true;
}

/* A heap copy into *out; -ENOMEM after a message. */
static int
dup_into(struct cfg_parse *ps, const config_setting_t *s, const char *v, char **out)
{
	*out = strdup(v);
	if (*out != NULL)
		return 0;
	cfg_fail(ps, s, "out of memory");
	return -ENOMEM;
}

int
rt_text(struct cfg_parse *ps, const config_setting_t *s, const char *key, size_t max,
	unsigned int flags, char **out)
{
	const char *v = config_setting_get_string(s);
	size_t min = (flags & RT_EMPTY) ? 0 : 1;

	if (v == NULL || strlen(v) < min || strlen(v) > max)
		return cfg_fail(ps, s, "'%s' expected a string of %zu to %zu characters", key, min,
				max);
	if (!clean_text(v, flags))
		return cfg_fail(ps, s, "'%s' must not contain control characters%s", key,
				(flags & RT_SPACE) ? "" : " or spaces");
	return dup_into(ps, s, v, out);
}

int
rt_header_name(struct cfg_parse *ps, const config_setting_t *s, const char *key, char **out)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || strlen(v) > CTL_ROUTE_HNAME_MAX || !rt_is_token(v))
		return cfg_fail(ps, s,
				"'%s' expected a header name: 1 to %d letters, digits or "
				"!#$%%&'*+-.^_`|~",
				key, CTL_ROUTE_HNAME_MAX);
	int rc = dup_into(ps, s, v, out);
	for (char *p = *out; rc == 0 && *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return rc;
}

/* ---- match ------------------------------------------------------------- */

/* Labels of letters, digits, '-' and '_' between single dots; "*." first
 * makes it a suffix wildcard. No port: the matcher sees the host without it. */
static int
host_match(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	const char *v = config_setting_get_string(s);
	const char *name = v != NULL && strncmp(v, "*.", 2) == 0 ? v + 2 : v;

	if (v != NULL && strchr(v, ':') != NULL)
		return cfg_fail(ps, s, "'%s' must not carry a port (the port is not matched)",
				kw->name);
	if (v == NULL || name[0] == '\0' || strlen(v) > CTL_ROUTE_HOST_MAX ||
	    strspn(name, HOST_CHARS) != strlen(name) || name[0] == '.' ||
	    name[strlen(name) - 1] == '.' || strstr(name, "..") != NULL)
		return cfg_fail(ps, s,
				"'%s' expected a host name such as \"api.example.com\" or "
				"\"*.example.com\" (at most %d characters)",
				kw->name, CTL_ROUTE_HOST_MAX);
	r->host.kind = name == v ? CTL_MATCH_EXACT : CTL_MATCH_SUFFIX;
	return dup_into(ps, s, v, &r->host.value);
}

static int
regex_check(struct cfg_parse *ps, const config_setting_t *s, const char *key)
{
	char why[256];
	int rc = gw_route_check_regex(config_setting_get_string(s), why, sizeof(why));

	if (rc == -ENOMEM) {
		cfg_fail(ps, s, "out of memory");
		return rc;
	}
	if (rc < 0)
		return cfg_fail(ps, s, "'%s' is not supported by the matcher: %s", key, why);
	return 0;
}

static const enum ctl_match_kind kind_exact = CTL_MATCH_EXACT, kind_prefix = CTL_MATCH_PREFIX,
				 kind_regex = CTL_MATCH_REGEX;

/* path, path_prefix, path_regex (kw->arg: the kind); one of them per route. */
static int
path_match(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	enum ctl_match_kind kind = *(const enum ctl_match_kind *)kw->arg;
	const char *v = config_setting_get_string(s);
	int rc;

	if (r->path.kind != CTL_MATCH_ANY)
		return cfg_fail(ps, s,
				"only one of 'path', 'path_prefix' and 'path_regex' per route");
	if (kind == CTL_MATCH_REGEX) {
		rc = rt_text(ps, s, kw->name, CTL_ROUTE_REGEX_MAX, RT_SPACE, &r->path.value);
		if (rc == 0)
			rc = regex_check(ps, s, kw->name);
	} else {
		if (v != NULL && v[0] != '/')
			return cfg_fail(ps, s, "'%s' must start with '/'", kw->name);
		rc = rt_text(ps, s, kw->name, CTL_ROUTE_PATH_MAX, 0, &r->path.value);
	}
	if (rc == 0)
		r->path.kind = kind;
	return rc;
}

static int
method_match(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	const char *v = config_setting_get_string(s);

	if (v == NULL || strlen(v) > METHOD_MAX || !rt_is_token(v))
		return cfg_fail(ps, s, "'%s' expected an HTTP method such as \"GET\"", kw->name);
	return dup_into(ps, s, v, &r->method);
}

/* exact, regex, present: one per header. */
static int
hdr_value(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_hdr_match *h = obj;
	enum ctl_match_kind kind = *(const enum ctl_match_kind *)kw->arg;
	int rc;

	if (h->m.kind != CTL_MATCH_ANY)
		return cfg_fail(ps, s, "only one of 'exact', 'regex' and 'present' per header");
	if (kind == CTL_MATCH_PRESENT) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL || !config_setting_get_bool(s))
			return cfg_fail(ps, s, "'%s' expected true (leave it out otherwise)",
					kw->name);
		rc = 0;
	} else if (kind == CTL_MATCH_REGEX) {
		rc = rt_text(ps, s, kw->name, CTL_ROUTE_REGEX_MAX, RT_SPACE, &h->m.value);
		if (rc == 0)
			rc = regex_check(ps, s, kw->name);
	} else {
		rc = rt_text(ps, s, kw->name, CTL_ROUTE_HVALUE_MAX, RT_SPACE | RT_TAB | RT_EMPTY,
			     &h->m.value);
	}
	if (rc == 0)
		h->m.kind = kind;
	return rc;
}

int
rt_hdr_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_hdr_match *h = obj;

	return rt_header_name(ps, s, kw->name, &h->name);
}

static const enum ctl_match_kind kind_present = CTL_MATCH_PRESENT;

static const struct cfg_kw hdr_kws[] = {
	{"name", rt_hdr_name},
	{"exact", hdr_value, .arg = &kind_exact},
	{"regex", hdr_value, .arg = &kind_regex},
	{"present", hdr_value, .arg = &kind_present},
	{NULL},
};

static int
hdr_check(struct cfg_parse *ps, const config_setting_t *e, const struct ctl_hdr_match *hs,
	  const struct ctl_hdr_match *h, const char *what, const char *kinds)
{
	if (h->name == NULL)
		return cfg_fail(ps, e, "'name' is required for a header matcher");
	if (h->m.kind == CTL_MATCH_ANY)
		return cfg_fail(ps, e, "header '%s' needs one of %s", h->name, kinds);
	for (const struct ctl_hdr_match *o = hs; o < h; o++)
		if (strcmp(o->name, h->name) == 0)
			return cfg_fail(ps, config_setting_get_member(e, "name"),
					"header '%s' is matched twice in one %s", h->name, what);
	return 0;
}

int
rt_header_list(struct cfg_parse *ps, const config_setting_t *s, const char *key,
	       const struct cfg_kw *kws, const char *what, const char *kinds,
	       struct ctl_hdr_match *hs, unsigned int *n)
{
	int len = config_setting_length(s);
	int rc = cfg_need_group_list(ps, s, key);

	if (rc < 0)
		return rc;
	if (len > CTL_MAX_ROUTE_HEADERS)
		return cfg_fail(ps, s, "'%s' expected at most %d header matchers per %s", key,
				CTL_MAX_ROUTE_HEADERS, what);
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		struct ctl_hdr_match *h = &hs[(*n)++]; /* zeroed; freed on error */

		if ((rc = cfg_walk(ps, e, kws, h)) < 0 ||
		    (rc = hdr_check(ps, e, hs, h, what, kinds)) < 0)
			return rc;
	}
	return 0;
}

static int
headers_match(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;

	return rt_header_list(ps, s, kw->name, hdr_kws, "route", "'exact', 'regex' or 'present'",
			      r->headers, &r->n_headers);
}

static const struct cfg_kw match_kws[] = {
	{"host", host_match},
	{"path", path_match, .arg = &kind_exact},
	{"path_prefix", path_match, .arg = &kind_prefix},
	{"path_regex", path_match, .arg = &kind_regex},
	{"method", method_match},
	{"headers", headers_match},
	{NULL},
};

/* ---- routes ------------------------------------------------------------ */

static int
route_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_http_route *r = obj;
	const char *v = NULL;
	int rc = rt_check_name(ps, s, kw->name, &v);

	if (rc == 0)
		snprintf(r->name, sizeof(r->name), "%s", v);
	return rc;
}

static int
route_match(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	int rc = cfg_need_group(ps, s, kw->name);

	return rc < 0 ? rc : cfg_walk(ps, s, match_kws, obj);
}

static const struct cfg_kw route_kws[] = {
	{"name", route_name},
	{"match", route_match},
	{NULL},
};

static const struct cfg_kw *
find_kw(const struct cfg_kw *kws, const char *name)
{
	for (const struct cfg_kw *kw = kws; kw->name != NULL; kw++)
		if (strcmp(kw->name, name) == 0)
			return kw;
	return NULL;
}

/* cfg_walk over two tables: the route's own keys and its action's. */
static int
route_walk(struct cfg_parse *ps, const config_setting_t *s, struct ctl_http_route *r)
{
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned int)i);
		const char *name = config_setting_name(m);
		const struct cfg_kw *kw = find_kw(route_kws, name);
		if (kw == NULL)
			kw = find_kw(cfg_route_act_kws, name);
		if (kw == NULL) {
			const char *hint = cfg_suggest(name, route_kws);
			if (hint == NULL)
				hint = cfg_suggest(name, cfg_route_act_kws);
			if (hint != NULL)
				return cfg_fail(ps, m, "unknown setting '%s' (did you mean '%s'?)",
						name, hint);
			return cfg_fail(ps, m, "unknown setting '%s'", name);
		}
		int rc = kw->parse(ps, m, kw, r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A free slot at the end of the routes array. */
static struct ctl_http_route *
route_slot(struct ctl_rtables *rt)
{
	if (rt->n_routes == rt->cap_routes) {
		unsigned int cap = rt->cap_routes ? rt->cap_routes * 2 : 64;
		if (cap > CTL_MAX_HTTP_ROUTES)
			cap = CTL_MAX_HTTP_ROUTES;
		struct ctl_http_route *grown = realloc(rt->routes, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		rt->routes = grown;
		rt->cap_routes = cap;
	}
	return &rt->routes[rt->n_routes];
}

static int
route_parse(struct cfg_parse *ps, const config_setting_t *e, unsigned int idx)
{
	struct ctl_rtables *rt = ps->c->rtables;
	struct ctl_http_route *r = route_slot(rt);

	if (r == NULL) {
		cfg_fail(ps, e, "out of memory");
		return -ENOMEM;
	}
	memset(r, 0, sizeof(*r));
	rt->n_routes++; /* from here on its strings are freed with the tables */
	r->line = config_setting_source_line(e);
	snprintf(r->name, sizeof(r->name), "%u", idx);
	int rc = route_walk(ps, e, r);
	return rc < 0 ? rc : rt_action_check(ps, e, r);
}

static int
cmp_route_name(const void *a, const void *b, void *arg)
{
	const struct ctl_http_route *routes = arg;
	unsigned int i = *(const unsigned int *)a, j = *(const unsigned int *)b;
	int c = strcmp(routes[i].name, routes[j].name);

	return c != 0 ? c : (i > j) - (i < j);
}

/* Route names are unique within a table: sorted, not compared pairwise, as
 * tables hold thousands. Reports the earliest second occurrence. */
static int
route_names_unique(struct cfg_parse *ps, const config_setting_t *list,
		   const struct ctl_route_table_conf *t)
{
	struct ctl_http_route *routes = &ps->c->rtables->routes[t->first_route];
	unsigned int *ix = malloc(t->n_routes * sizeof(*ix));
	unsigned int dup = UINT32_MAX, first = 0;

	if (ix == NULL) {
		cfg_fail(ps, list, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < t->n_routes; i++)
		ix[i] = i;
	qsort_r(ix, t->n_routes, sizeof(*ix), cmp_route_name, routes);
	for (unsigned int i = 1; i < t->n_routes; i++) {
		if (strcmp(routes[ix[i - 1]].name, routes[ix[i]].name) == 0 && ix[i] < dup) {
			dup = ix[i];
			first = ix[i - 1];
		}
	}
	free(ix);
	ix = NULL;
	if (dup == UINT32_MAX)
		return 0;
	return cfg_fail(ps, config_setting_get_elem(list, dup),
			"duplicate route name '%s' (first at line %d)", routes[dup].name,
			routes[first].line);
}

/* ---- tables ------------------------------------------------------------ */

static int
table_name(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_route_table_conf *t = obj;
	const char *v = NULL;
	int rc = rt_check_name(ps, s, kw->name, &v);

	if (rc == 0)
		snprintf(t->name, sizeof(t->name), "%s", v);
	return rc;
}

static int
table_routes(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	struct ctl_route_table_conf *t = obj;
	struct ctl_rtables *rt = ps->c->rtables;
	int n = config_setting_length(s);
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (n < 1)
		return cfg_fail(ps, s, "'%s' expected 1 to %d routes", kw->name,
				CTL_MAX_HTTP_ROUTES);
	if (rt->n_routes + (unsigned int)n > CTL_MAX_HTTP_ROUTES)
		return cfg_fail(ps, s,
				"'%s' brings the route tables to %u routes (at most %d in all)",
				kw->name, rt->n_routes + (unsigned int)n, CTL_MAX_HTTP_ROUTES);
	t->first_route = rt->n_routes;
	for (int i = 0; i < n; i++) {
		if ((rc = route_parse(ps, config_setting_get_elem(s, (unsigned int)i),
				      (unsigned int)i)) < 0)
			return rc;
		t->n_routes++;
	}
	return route_names_unique(ps, s, t);
}

static const struct cfg_kw table_kws[] = {
	{"name", table_name},
	{"routes", table_routes},
	{NULL},
};

/* The matcher compiles one database per distinct header name in a table. */
static int
header_fields(struct cfg_parse *ps, const struct ctl_route_table_conf *t)
{
	const struct ctl_http_route *routes = &ps->c->rtables->routes[t->first_route];
	const char *seen[GW_ROUTE_MAX_HDR_FIELDS];
	unsigned int n = 0;

	for (unsigned int i = 0; i < t->n_routes; i++) {
		for (unsigned int h = 0; h < routes[i].n_headers; h++) {
			const char *name = routes[i].headers[h].name;
			unsigned int k = 0;
			while (k < n && strcmp(seen[k], name) != 0)
				k++;
			if (k < n)
				continue;
			if (n == GW_ROUTE_MAX_HDR_FIELDS)
				return cfg_fail_at(ps, routes[i].line,
						   "route table '%s' matches more than %d distinct "
						   "header names",
						   t->name, GW_ROUTE_MAX_HDR_FIELDS);
			seen[n++] = name;
		}
	}
	return 0;
}

static int
table_check(struct cfg_parse *ps, const config_setting_t *s, const void *elem, unsigned int idx)
{
	const struct ctl_route_table_conf *t = elem;
	const struct ctl_rtables *rt = ps->c->rtables;

	(void)idx;
	if (t->name[0] == '\0')
		return cfg_fail(ps, s, "'name' is required for a route table");
	for (unsigned int i = 0; i < rt->n_tables; i++)
		if (strcmp(rt->tables[i].name, t->name) == 0)
			return cfg_fail(ps, config_setting_get_member(s, "name"),
					"duplicate route table name '%s' (first at line %d)",
					t->name, rt->tables[i].line);
	if (config_setting_get_member(s, "routes") == NULL)
		return cfg_fail(ps, s, "'routes' is required for route table '%s'", t->name);
	return header_fields(ps, t);
}

int
cfg_sec_rtables(struct cfg_parse *ps, const config_setting_t *s, const struct cfg_kw *kw, void *obj)
{
	static const struct cfg_list_spec spec = {
		.what = "route tables",
		.max = CTL_MAX_ROUTE_TABLES,
		.size = sizeof(struct ctl_route_table_conf),
		.line_off = offsetof(struct ctl_route_table_conf, line),
		.kws = table_kws,
		.check = table_check,
	};
	struct ctl_config *c = obj;
	int rc = cfg_need_group_list(ps, s, kw->name);

	if (rc < 0)
		return rc;
	if (config_setting_length(s) < 1)
		return cfg_fail(ps, s, "'%s' expected 1 to %d route tables", kw->name,
				CTL_MAX_ROUTE_TABLES);
	c->rtables = calloc(1, sizeof(*c->rtables));
	if (c->rtables == NULL) {
		cfg_fail(ps, s, "out of memory");
		return -ENOMEM;
	}
	rc = cfg_group_list(ps, s, kw, &spec, c->rtables->tables, &c->rtables->n_tables);
	if (rc == 0)
		ps->rtables = s;
	return rc;
}

/* ---- after the walk ---------------------------------------------------- */

int
cfg_rtables_resolve(struct cfg_parse *ps)
{
	struct ctl_rtables *rt = ps->c->rtables;

	for (unsigned int i = 0; rt != NULL && i < rt->n_tables; i++) {
		const config_setting_t *t = config_setting_get_elem(ps->rtables, i);
		const config_setting_t *list = config_setting_get_member(t, "routes");
		for (unsigned int j = 0; j < rt->tables[i].n_routes; j++) {
			struct ctl_http_route *r = &rt->routes[rt->tables[i].first_route + j];
			int rc = rt_action_resolve(ps, config_setting_get_elem(list, j), r);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}
