/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_proxy_internal.h - what the L4 proxy (gw_proxy.c) shares with the
 * HTTP/1.1 proxy (gw_http*.c) of the same worker: the per-worker state
 * (listeners on the VIPs, counters per endpoint, cluster and service,
 * balancer state) and endpoint choice. Worker only, except where noted.
 */
#ifndef MESHGW_GW_PROXY_INTERNAL_H
#define MESHGW_GW_PROXY_INTERNAL_H

#include "gw_proxy.h"

#define MAX_ATTEMPTS 16

struct gw_http;

/* listeners[service slot * CTL_MAX_SERVICE_VIPS + vip index] */
struct vip_listener {
	struct gw_proxy *p;
	unsigned int service; /* slot */
	uint32_t addr;
	uint16_t port;
	struct stk_listener *l; /* NULL: not listening */
};

struct gw_proxy {
	struct gw_proxy_stats stats; /* first: cache aligned */
	struct stk_ctx *stk;
	const struct gw_mesh *mesh; /* the current snapshot's: new connections start on it */
	const struct gw_ep_shared *shared;
	struct gw_alog_q *alog; /* NULL: no access log */
	gw_proxy_eject_fn eject;
	void *eject_arg;
	uint64_t hz, now;
	struct rte_mempool *pool;  /* PROXY protocol headers, generated HTTP heads */
	struct gw_tls_worker *tls; /* the worker's TLS state (ingress legs) */
	/* by slot (gw_slots.h) */
	struct gw_proxy_ep_stats *ep_stats;
	struct gw_proxy_cluster_stats *cl_stats;
	struct gw_proxy_service_stats *svc_stats;
	uint32_t n_conns, n_free;
	struct pconn *conns;
	uint32_t *free_idx;
	struct vip_listener *listeners;
	bool draining; /* no listening any more, reloads included */
	unsigned int worker_id;
	int socket;
	struct gw_http *http; /* the HTTP/1.1 services' state; NULL until a generation has one */
};

static inline uint64_t
us_to_tsc(const struct gw_proxy *p, uint64_t us)
{
	return us * (p->hz / 1000000);
}

/* One endpoint choice: the mesh and cluster (slot), the endpoints this connection or
 * request already tried (indices within the cluster; avoided while another
 * is left), and the flow for the hashing policies. */
struct gw_pick {
	const struct gw_mesh *mesh;
	unsigned int cluster;
	const uint16_t *tried;
	unsigned int n_tried;
	uint32_t saddr, vaddr;
	uint16_t sport, vport;
};

/* An eligible endpoint of pk->cluster (index within the cluster: the slot
 * is clusters[].eps[i]) by its policy, or -1 when none is (all ejected,
 * drained, or out of locality). */
int gw_proxy_pick(struct gw_proxy *p, const struct gw_pick *pk);
/* A connect failure or reset on endpoint ep (slot) of cluster (slot) in
 * mesh: counts towards its outlier threshold, asking control for an
 * ejection. */
void gw_proxy_ep_failed(struct gw_proxy *p, const struct gw_mesh *mesh, unsigned int cluster,
			int ep);
/* An HTTP response status from (or on behalf of) endpoint ep: consecutive
 * 5xx and gateway errors count towards their outlier thresholds. */
void gw_proxy_ep_status(struct gw_proxy *p, const struct gw_mesh *mesh, unsigned int cluster,
			int ep, uint16_t status);

#endif /* MESHGW_GW_PROXY_INTERNAL_H */
