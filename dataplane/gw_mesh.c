/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_mesh.c - builds the services/clusters/endpoints part of a snapshot
 * (see gw_mesh.h). Control thread only.
 */
#include "gw_mesh.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_memory.h>

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct stk_vips *
vips_build(const struct ctl_config *conf, const struct stk_vips *keep)
{
	unsigned int n = keep != NULL ? keep->n : 0, k = 0;
	struct stk_vips *v;

	for (unsigned int i = 0; i < conf->n_services; i++)
		n += conf->services[i].n_vips;
	v = malloc(sizeof(*v) + (n + 1) * sizeof(uint32_t));
	if (v == NULL)
		return NULL;
	for (unsigned int i = 0; i < conf->n_services; i++)
		for (unsigned int j = 0; j < conf->services[i].n_vips; j++)
			v->addr[k++] = conf->services[i].vips[j].addr;
	for (unsigned int i = 0; keep != NULL && i < keep->n; i++)
		v->addr[k++] = keep->addr[i];
	qsort(v->addr, k, sizeof(uint32_t), cmp_u32);
	v->n = 0;
	for (unsigned int i = 0; i < k; i++)
		if (v->n == 0 || v->addr[v->n - 1] != v->addr[i])
			v->addr[v->n++] = v->addr[i];
	return v;
}

static enum gw_tier
tier_of(const struct ctl_node_conf *node, const struct ctl_endpoint_conf *e)
{
	/* no node label: not a mesh node; it is reached directly, like ours */
	if (e->node[0] == '\0' || (node->name[0] != '\0' && strcmp(e->node, node->name) == 0))
		return GW_TIER_NODE;
	if (node->zone[0] != '\0' && strcmp(e->zone, node->zone) == 0)
		return GW_TIER_ZONE;
	return GW_TIER_OTHER;
}

static uint32_t
share(uint32_t total, unsigned int workers)
{
	return (uint32_t)RTE_MAX(1u, (total + workers - 1) / workers);
}

/* Records slot as (re)assigned in this generation when fresh. */
static int
take_slot(struct gw_mesh *m, struct gw_slots *sl, enum gw_slot_kind k, const char *a, const char *b,
	  uint32_t addr, uint16_t port)
{
	bool fresh = false;
	int slot = gw_slots_get(sl, k, a, b, addr, port, &fresh);

	if (slot < 0) {
		errno = ENOSPC;
		return -1;
	}
	if (fresh)
		m->fresh[k][m->n_fresh[k]++] = (uint16_t)slot;
	return slot;
}

static int
alloc_fresh(struct gw_mesh *m, const struct ctl_config *conf)
{
	const struct ctl_rtables *rt = conf->rtables;
	unsigned int n[GW_SLOT_KINDS] = {
		[GW_SLOT_SERVICE] = conf->n_services,
		[GW_SLOT_CLUSTER] = conf->n_clusters,
		[GW_SLOT_ENDPOINT] = conf->n_endpoints,
		[GW_SLOT_RTABLE] = rt != NULL ? rt->n_tables : 0,
		[GW_SLOT_ROUTE] = rt != NULL ? rt->n_routes : 0,
	};

	for (int k = 0; k < GW_SLOT_KINDS; k++) {
		m->fresh[k] = calloc(n[k] + 1, sizeof(uint16_t));
		if (m->fresh[k] == NULL)
			return -1;
	}
	return 0;
}

/* Slots for every service, cluster and endpoint; the arrays sized to the
 * highest. */
static int
assign_slots(struct gw_mesh *m, const struct ctl_config *conf, struct gw_slots *sl, int *svc,
	     int *cl, int *ep)
{
	unsigned int hi_s = 0, hi_c = 0, hi_e = 0;

	for (unsigned int c = 0; c < conf->n_clusters; c++) {
		const struct ctl_cluster_conf *cc = &conf->clusters[c];

		cl[c] = take_slot(m, sl, GW_SLOT_CLUSTER, cc->name, NULL, 0, 0);
		if (cl[c] < 0)
			return -1;
		hi_c = RTE_MAX(hi_c, (unsigned int)cl[c] + 1);
		for (unsigned int i = 0; i < cc->n_endpoints; i++) {
			unsigned int e = cc->first_endpoint + i;

			ep[e] = take_slot(m, sl, GW_SLOT_ENDPOINT, cc->name, NULL,
					  conf->endpoints[e].addr, conf->endpoints[e].port);
			if (ep[e] < 0)
				return -1;
			hi_e = RTE_MAX(hi_e, (unsigned int)ep[e] + 1);
		}
	}
	for (unsigned int s = 0; s < conf->n_services; s++) {
		svc[s] = take_slot(m, sl, GW_SLOT_SERVICE, conf->services[s].name, NULL, 0, 0);
		if (svc[s] < 0)
			return -1;
		hi_s = RTE_MAX(hi_s, (unsigned int)svc[s] + 1);
	}
	m->n_services = hi_s;
	m->n_clusters = hi_c;
	m->n_endpoints = hi_e;
	m->services = calloc(hi_s + 1, sizeof(*m->services));
	m->clusters = calloc(hi_c + 1, sizeof(*m->clusters));
	m->endpoints = calloc(hi_e + 1, sizeof(*m->endpoints));
	m->cluster_slot = calloc(conf->n_clusters + 1, sizeof(*m->cluster_slot));
	return m->services && m->clusters && m->endpoints && m->cluster_slot ? 0 : -1;
}

static int
build_cluster(struct gw_mesh *m, const struct ctl_config *conf, unsigned int c, const int *ep)
{
	const struct ctl_cluster_conf *cc = &conf->clusters[c];
	struct gw_cluster *gc = &m->clusters[m->cluster_slot[c]];
	struct gw_lb_ep eps[CTL_MAX_CLUSTER_EPS];

	gc->conf = *cc;
	gc->worker_max_conns = share(cc->max_connections, m->n_workers);
	gc->worker_max_pending = share(cc->max_pending, m->n_workers);
	gc->max_ejected = RTE_MAX(1u, cc->n_endpoints * cc->outlier.max_ejection_percent / 100);
	gc->eps = calloc(cc->n_endpoints + 1, sizeof(*gc->eps));
	gc->lb_state = calloc(m->n_workers, sizeof(*gc->lb_state));
	if (gc->eps == NULL || gc->lb_state == NULL)
		return -1;
	for (unsigned int i = 0; i < cc->n_endpoints; i++) {
		const struct ctl_endpoint_conf *e = &conf->endpoints[cc->first_endpoint + i];
		struct gw_endpoint *ge = &m->endpoints[ep[cc->first_endpoint + i]];

		ge->conf = *e;
		ge->cluster = m->cluster_slot[c];
		ge->tier = tier_of(&conf->node, e);
		ge->live = true;
		gc->eps[i] = (uint16_t)ep[cc->first_endpoint + i];
		eps[i] = (struct gw_lb_ep){.addr = e->addr, .port = e->port, .weight = e->weight};
	}
	gc->n_eps = cc->n_endpoints;
	gc->lb = gw_lb_build(cc->policy, eps, cc->n_endpoints, cc->ring_size, SOCKET_ID_ANY);
	if (gc->lb == NULL)
		return -1;
	for (unsigned int w = 0; w < m->n_workers; w++) {
		gc->lb_state[w] = rte_zmalloc("gw_lb_state", gw_lb_state_size(gc->lb) + 8,
					      RTE_CACHE_LINE_SIZE);
		if (gc->lb_state[w] == NULL)
			return -1;
		gw_lb_state_init(gc->lb, gc->lb_state[w],
				 (uint64_t)w << 32 | m->cluster_slot[c] | m->generation << 16);
	}
	return 0;
}

struct gw_mesh *
gw_mesh_build(const struct ctl_config *conf, struct gw_slots *sl, uint64_t generation,
	      const struct stk_vips *keep)
{
	struct gw_mesh *m = calloc(1, sizeof(*m));
	int *svc = calloc(conf->n_services + 1, sizeof(int));
	int *cl = calloc(conf->n_clusters + 1, sizeof(int));
	int *ep = calloc(conf->n_endpoints + 1, sizeof(int));

	errno = 0;
	if (m == NULL || svc == NULL || cl == NULL || ep == NULL)
		goto fail;
	m->generation = generation;
	m->node = conf->node;
	m->http = conf->http;
	m->n_workers = RTE_MAX(conf->workers.count, 1u);
	m->refs = rte_zmalloc("gw_mesh_refs", sizeof(*m->refs) * m->n_workers, RTE_CACHE_LINE_SIZE);
	m->vips = vips_build(conf, keep);
	if (m->refs == NULL || m->vips == NULL || alloc_fresh(m, conf) != 0 ||
	    assign_slots(m, conf, sl, svc, cl, ep) != 0)
		goto fail;
	for (unsigned int c = 0; c < conf->n_clusters; c++)
		m->cluster_slot[c] = (uint16_t)cl[c];
	for (unsigned int s = 0; s < conf->n_services; s++) {
		struct ctl_service_conf *sc = &m->services[svc[s]];

		*sc = conf->services[s];
		sc->cluster = (unsigned int)cl[conf->services[s].cluster];
	}
	for (unsigned int c = 0; c < conf->n_clusters; c++)
		if (build_cluster(m, conf, c, ep) != 0)
			goto fail;
	if (gw_mesh_routes_build(m, conf, sl) < 0 || gw_mesh_authz_build(m, conf, svc) < 0 ||
	    gw_mesh_tls_build(m, conf) < 0)
		goto fail;
	free(svc);
	free(cl);
	free(ep);
	return m;
fail:
	free(svc);
	free(cl);
	free(ep);
	gw_mesh_free(m);
	errno = errno ? errno : ENOMEM;
	return NULL;
}

bool
gw_mesh_unreferenced(const struct gw_mesh *m)
{
	for (unsigned int w = 0; w < m->n_workers; w++)
		if (__atomic_load_n(&m->refs[w].n, __ATOMIC_ACQUIRE) != 0)
			return false;
	return true;
}

void
gw_mesh_free(struct gw_mesh *m)
{
	if (m == NULL)
		return;
	for (unsigned int c = 0; m->clusters != NULL && c < m->n_clusters; c++) {
		struct gw_cluster *gc = &m->clusters[c];

		for (unsigned int w = 0; gc->lb_state != NULL && w < m->n_workers; w++)
			rte_free(gc->lb_state[w]);
		free(gc->lb_state);
		free(gc->eps);
		gw_lb_free(gc->lb);
	}
	gw_mesh_routes_free(m);
	gw_mesh_authz_free(m);
	gw_mesh_tls_free(m);
	for (int k = 0; k < GW_SLOT_KINDS; k++)
		free(m->fresh[k]);
	free(m->cluster_slot);
	free(m->services);
	free(m->clusters);
	free(m->endpoints);
	free(m->vips);
	rte_free(m->refs);
	free(m);
}
