/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_rtables.c - the `route_tables` group: ordered HTTP routes with
 * their matchers and actions (README "route_tables"), kept in one heap
 * object the config owns.
 */
#include <stdlib.h>

#include "ctl_config_parse.h"

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
