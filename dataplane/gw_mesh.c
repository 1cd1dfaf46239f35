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
#include <rte_memory.h>

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct stk_vips *
vips_build(const struct ctl_config *conf)
{
	unsigned int n = 0, k = 0;
	struct stk_vips *v;

	for (unsigned int i = 0; i < conf->n_services; i++)
		n += conf->services[i].n_vips;
	v = malloc(sizeof(*v) + (n + 1) * sizeof(uint32_t));
	if (v == NULL)
		return NULL;
	for (unsigned int i = 0; i < conf->n_services; i++)
		for (unsigned int j = 0; j < conf->services[i].n_vips; j++)
			v->addr[k++] = conf->services[i].vips[j].addr;
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

struct gw_mesh *
gw_mesh_build(const struct ctl_config *conf)
{
	struct gw_mesh *m = calloc(1, sizeof(*m));
	unsigned int workers = RTE_MAX(conf->workers.count, 1u);

	if (m == NULL)
		return NULL;
	m->node = conf->node;
	m->http = conf->http;
	m->n_services = conf->n_services;
	m->n_clusters = conf->n_clusters;
	m->n_endpoints = conf->n_endpoints;
	m->services = calloc(conf->n_services + 1, sizeof(*m->services));
	m->clusters = calloc(conf->n_clusters + 1, sizeof(*m->clusters));
	m->endpoints = calloc(conf->n_endpoints + 1, sizeof(*m->endpoints));
	m->vips = vips_build(conf);
	if (m->services == NULL || m->clusters == NULL || m->endpoints == NULL || m->vips == NULL)
		goto fail;
	memcpy(m->services, conf->services, conf->n_services * sizeof(*m->services));
	for (unsigned int c = 0; c < conf->n_clusters; c++) {
		const struct ctl_cluster_conf *cc = &conf->clusters[c];
		struct gw_cluster *gc = &m->clusters[c];
		struct gw_lb_ep eps[CTL_MAX_CLUSTER_EPS];

		gc->conf = *cc;
		gc->worker_max_conns = share(cc->max_connections, workers);
		gc->worker_max_pending = share(cc->max_pending, workers);
		gc->max_ejected =
			RTE_MAX(1u, cc->n_endpoints * cc->outlier.max_ejection_percent / 100);
		for (unsigned int i = 0; i < cc->n_endpoints; i++) {
			const struct ctl_endpoint_conf *e =
				&conf->endpoints[cc->first_endpoint + i];
			struct gw_endpoint *ge = &m->endpoints[cc->first_endpoint + i];

			ge->conf = *e;
			ge->cluster = c;
			ge->tier = tier_of(&conf->node, e);
			eps[i] = (struct gw_lb_ep){
				.addr = e->addr, .port = e->port, .weight = e->weight};
		}
		gc->lb =
			gw_lb_build(cc->policy, eps, cc->n_endpoints, cc->ring_size, SOCKET_ID_ANY);
		if (gc->lb == NULL)
			goto fail;
	}
	if (gw_mesh_routes_build(m, conf) < 0)
		goto fail;
	return m;
fail:
	gw_mesh_free(m);
	errno = errno ? errno : ENOMEM;
	return NULL;
}

void
gw_mesh_free(struct gw_mesh *m)
{
	if (m == NULL)
		return;
	for (unsigned int c = 0; m->clusters != NULL && c < m->n_clusters; c++)
		gw_lb_free(m->clusters[c].lb);
	gw_mesh_routes_free(m);
	free(m->services);
	free(m->clusters);
	free(m->endpoints);
	free(m->vips);
	free(m);
}
