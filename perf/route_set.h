/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * route_set.h - the benchmark's route set: a generated REST API gateway
 * table of any size, and requests that hit a chosen route or miss them all.
 * Deterministic (no randomness): route i is a function of i alone, so the
 * 10-route table is the first 10 routes of the 10,000-route one's pattern.
 *
 * Route i belongs to service "svc<i>" (so no two routes overlap and a
 * request built for route i matches route i and no other):
 *   i % 10 in 0..3  path regex  "/api/v<1+i%3>/svc<i>/items/[0-9]+"        40%
 *   i % 10 in 4..5  path regex  "/api/v1/svc<i>/users/[a-z0-9-]{1,32}/orders(/[0-9]+)?" 20%
 *   i % 10 in 6..7  path prefix "/api/v1/svc<i>/static/"                   20%
 *   i % 10 in 8..9  path exact  "/api/v1/svc<i>/health"                    20%
 *   i % 8 == 3      host exact  "svc<i>.api.example.com"
 *   i % 8 == 7      host suffix "*.tenant<i>.example.com"
 *   i % 5 == 1      method POST; i % 5 == 2 method GET; otherwise any
 *   i % 16 == 5     header x-api-version exact "2"
 *   i % 16 == 13    header x-canary present
 *   i % 32 == 9     header x-user-id regex "[0-9]{1,10}"
 * Every request carries host, method, path and four headers (user-agent,
 * accept, x-request-id, and the ones its route needs).
 */
#ifndef MESHGW_ROUTE_SET_H
#define MESHGW_ROUTE_SET_H

#include "gw_route.h"

#define RS_STR	  96 /* longest generated string, NUL included */
#define RS_HDRS	  6  /* headers per request */
#define RS_MISSES 4  /* kinds of miss */

/* A route definition with the storage its strings point into. */
struct rs_route {
	struct gw_route_def def;
	char path[RS_STR], host[RS_STR];
};

/* A request with its storage; want is the route it must select or -1. */
struct rs_req {
	struct gw_route_req req;
	struct gw_route_hdr hdrs[RS_HDRS];
	char path[RS_STR], host[RS_STR], hv[RS_HDRS][RS_STR];
	int want;
};

/* Fills r with route i. */
void rs_route(struct rs_route *r, unsigned int i);

/* A request that selects route i. */
void rs_hit(struct rs_req *q, unsigned int i);

/* Miss kind k (0..RS_MISSES-1) near route i of an n-route table (n >= 10):
 * 0 a path that almost matches route i ("/items/12x"), 1 an unknown service,
 * 2 the path of the host-pinned route nearest i with another host, 3 the
 * path of the POST route nearest i with GET. Selects no route. */
void rs_miss(struct rs_req *q, unsigned int k, unsigned int i, unsigned int n);

#endif /* MESHGW_ROUTE_SET_H */
