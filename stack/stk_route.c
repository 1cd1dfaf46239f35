/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stk_route.c - the IPv4 route table: an rte_lpm whose next-hop values index
 * an array of routes kept beside it for dump and replace. Built by the control
 * thread into a snapshot; workers only call stk_routes_lookup.
 *
 * rte_lpm takes depths 1..32 only, so the default route (plen 0) lives outside
 * it and answers when the LPM misses.
 */
#include <errno.h>

#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_malloc.h>

#include "stk.h"

#define NO_DEFAULT UINT32_MAX

struct stk_routes {
	struct rte_lpm *lpm;
	unsigned int max, n;
	uint32_t default_idx; /* index of 0.0.0.0/0 in routes, or NO_DEFAULT */
	struct stk_route_entry routes[];
};

struct stk_routes *
stk_routes_create(const char *name, unsigned int max_routes, int socket)
{
	struct rte_lpm_config lc = {
		.max_rules = max_routes,
		/* one tbl8 group per route longer than /24 at worst */
		.number_tbl8s = max_routes,
	};
	struct stk_routes *r;

	if (name == NULL || max_routes == 0 || max_routes > RTE_LPM_MAX_TBL8_NUM_GROUPS) {
		errno = EINVAL;
		rte_errno = EINVAL;
		return NULL;
	}
	r = rte_zmalloc_socket("stk_routes",
			       sizeof(*r) + (size_t)max_routes * sizeof(struct stk_route_entry), 0,
			       socket);
	if (r == NULL) {
		errno = ENOMEM;
		rte_errno = ENOMEM;
		return NULL;
	}
	r->max = max_routes;
	r->default_idx = NO_DEFAULT;
	r->lpm = rte_lpm_create(name, socket, &lc);
	if (r->lpm == NULL) {
		errno = rte_errno ? rte_errno : ENOMEM;
		rte_free(r);
		return NULL;
	}
	return r;
}

void
stk_routes_free(struct stk_routes *r)
{
	if (r == NULL)
		return;
	rte_lpm_free(r->lpm);
	rte_free(r);
}

static int
find(const struct stk_routes *r, uint32_t prefix, uint8_t plen)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (r->routes[i].prefix == prefix && r->routes[i].plen == plen)
			return (int)i;
	return -1;
}

int
stk_routes_add(struct stk_routes *r, uint32_t prefix, uint8_t plen, uint32_t gw, uint16_t port_idx)
{
	struct stk_route_entry *e;
	int idx, rc;

	if (r == NULL || plen > 32 || port_idx >= STK_MAX_PORTS)
		return -EINVAL;
	prefix &= plen == 0 ? 0 : ~0u << (32 - plen);
	idx = find(r, prefix, plen);
	if (idx < 0) {
		if (r->n >= r->max)
			return -ENOSPC;
		idx = (int)r->n;
	}
	if (plen != 0) {
		rc = rte_lpm_add(r->lpm, prefix, plen, (uint32_t)idx);
		if (rc != 0)
			return rc;
	} else {
		r->default_idx = (uint32_t)idx;
	}
	if ((unsigned int)idx == r->n)
		r->n++;
	e = &r->routes[idx];
	e->prefix = prefix;
	e->plen = plen;
	e->gw = gw;
	e->port_idx = port_idx;
	return 0;
}

int
stk_routes_lookup(const struct stk_routes *r, uint32_t dst, struct stk_nexthop *nh)
{
	const struct stk_route_entry *e;
	uint32_t idx;

	if (rte_lpm_lookup(r->lpm, dst, &idx) != 0) {
		if (r->default_idx == NO_DEFAULT)
			return -ENOENT;
		idx = r->default_idx;
	}
	e = &r->routes[idx];
	nh->gw = e->gw != 0 ? e->gw : dst;
	nh->port_idx = e->port_idx;
	nh->connected = e->gw == 0;
	return 0;
}

unsigned int
stk_routes_dump(const struct stk_routes *r, struct stk_route_entry *out, unsigned int max)
{
	for (unsigned int i = 0; i < r->n && i < max; i++)
		out[i] = r->routes[i];
	return r->n;
}
