/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * route_set.c - the benchmark's generated REST API route set and its
 * requests (the pattern is documented in route_set.h).
 */
#include "route_set.h"

#include <stdio.h>
#include <string.h>

void
rs_route(struct rs_route *r, unsigned int i)
{
	struct gw_route_def *d = &r->def;
	unsigned int kind = i % 10;

	memset(r, 0, sizeof(*r));
	if (kind <= 3) {
		snprintf(r->path, RS_STR, "/api/v%u/svc%u/items/[0-9]+", 1 + i % 3, i);
		d->path = (struct gw_route_str_match){GW_ROUTE_REGEX, r->path};
	} else if (kind <= 5) {
		snprintf(r->path, RS_STR, "/api/v1/svc%u/users/[a-z0-9-]{1,32}/orders(/[0-9]+)?",
			 i);
		d->path = (struct gw_route_str_match){GW_ROUTE_REGEX, r->path};
	} else if (kind <= 7) {
		snprintf(r->path, RS_STR, "/api/v1/svc%u/static/", i);
		d->path = (struct gw_route_str_match){GW_ROUTE_PREFIX, r->path};
	} else {
		snprintf(r->path, RS_STR, "/api/v1/svc%u/health", i);
		d->path = (struct gw_route_str_match){GW_ROUTE_EXACT, r->path};
	}
	if (i % 8 == 3) {
		snprintf(r->host, RS_STR, "svc%u.api.example.com", i);
		d->host = (struct gw_route_str_match){GW_ROUTE_EXACT, r->host};
	} else if (i % 8 == 7) {
		snprintf(r->host, RS_STR, "*.tenant%u.example.com", i);
		d->host = (struct gw_route_str_match){GW_ROUTE_SUFFIX, r->host};
	}
	if (i % 5 == 1)
		d->method = "POST";
	else if (i % 5 == 2)
		d->method = "GET";
	if (i % 16 == 5)
		d->headers[d->n_headers++] =
			(struct gw_route_hdr_match){"X-Api-Version", {GW_ROUTE_EXACT, "2"}};
	if (i % 16 == 13)
		d->headers[d->n_headers++] =
			(struct gw_route_hdr_match){"X-Canary", {GW_ROUTE_PRESENT, NULL}};
	if (i % 32 == 9)
		d->headers[d->n_headers++] =
			(struct gw_route_hdr_match){"X-User-Id", {GW_ROUTE_REGEX, "[0-9]{1,10}"}};
}

static void
add_hdr(struct rs_req *q, const char *name, const char *value)
{
	unsigned int k = q->req.n_headers++;

	snprintf(q->hv[k], RS_STR, "%s", value);
	q->hdrs[k].name = (struct gw_route_span){name, strlen(name)};
	q->hdrs[k].value = (struct gw_route_span){q->hv[k], strlen(q->hv[k])};
}

static void
set_span(struct gw_route_span *s, const char *p)
{
	s->p = p;
	s->len = strlen(p);
}

void
rs_hit(struct rs_req *q, unsigned int i)
{
	unsigned int kind = i % 10;
	char id[32];

	memset(q, 0, sizeof(*q));
	q->want = (int)i;
	if (kind <= 3)
		snprintf(q->path, RS_STR, "/api/v%u/svc%u/items/%u", 1 + i % 3, i,
			 i * 7919 % 100000);
	else if (kind <= 5)
		snprintf(q->path, RS_STR, "/api/v1/svc%u/users/user-%u/orders/%u", i, i % 977,
			 i % 31);
	else if (kind <= 7)
		snprintf(q->path, RS_STR, "/api/v1/svc%u/static/css/site-%u.css", i, i % 13);
	else
		snprintf(q->path, RS_STR, "/api/v1/svc%u/health", i);
	if (i % 8 == 3)
		snprintf(q->host, RS_STR, "SVC%u.api.example.com", i);
	else if (i % 8 == 7)
		snprintf(q->host, RS_STR, "eu-west.tenant%u.example.com", i);
	else
		snprintf(q->host, RS_STR, "api.example.com");
	set_span(&q->req.path, q->path);
	set_span(&q->req.host, q->host);
	set_span(&q->req.method, i % 5 == 1 ? "POST" : "GET");
	q->req.headers = q->hdrs;
	add_hdr(q, "User-Agent", "bench/1.0");
	add_hdr(q, "Accept", "application/json");
	snprintf(id, sizeof(id), "%08x-req", i * 2654435761u);
	add_hdr(q, "X-Request-Id", id);
	if (i % 16 == 5)
		add_hdr(q, "X-Api-Version", "2");
	if (i % 16 == 13)
		add_hdr(q, "X-Canary", "");
	if (i % 32 == 9)
		add_hdr(q, "x-user-id", "123456");
}

/* The route nearest i (at or below it when possible) with i % mod == rem. */
static unsigned int
nearest(unsigned int i, unsigned int mod, unsigned int rem, unsigned int n)
{
	unsigned int j = i - i % mod + rem;

	return j < n ? j : j - mod;
}

void
rs_miss(struct rs_req *q, unsigned int k, unsigned int i, unsigned int n)
{
	switch (k) {
	case 0:
		rs_hit(q, i);
		snprintf(q->path, RS_STR, "/api/v%u/svc%u/items/12x", 1 + i % 3, i);
		break;
	case 1:
		rs_hit(q, i);
		snprintf(q->path, RS_STR, "/api/v1/nosuch%u/items/1", i);
		break;
	case 2:
		rs_hit(q, nearest(i, 8, 3, n));
		snprintf(q->host, RS_STR, "other.example.com");
		break;
	default:
		rs_hit(q, nearest(i, 5, 1, n));
		set_span(&q->req.method, "GET");
		break;
	}
	set_span(&q->req.path, q->path);
	set_span(&q->req.host, q->host);
	q->want = -1;
}
