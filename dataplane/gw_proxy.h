/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_proxy.h - the L4 proxy of one worker: it listens on every service VIP,
 * accepts the client's connection, picks an endpoint of the service's
 * cluster and opens the upstream leg from the same worker, then splices the
 * two: mbuf chains move from one leg to the other without copies, a leg's
 * data is consumed (its window reopens) only once the other leg took it,
 * FIN travels both ways (half-close), and a reset on one leg resets the other.
 *
 * Fault isolation: connect attempts (each to another endpoint where
 * possible) bounded per cluster, connect and idle timeouts, circuit breakers
 * (active connections, pending connects: a worker enforces its share), and
 * passive outlier detection: consecutive connect failures or resets on an
 * endpoint raise an ejection request the control thread decides on.
 *
 * One struct gw_proxy per worker; everything but create/free (control
 * thread, worker stopped) and the *_stats readers (any thread) runs on the
 * worker. Connection state comes from a fixed pool taken at creation.
 */
#ifndef MESHGW_GW_PROXY_H
#define MESHGW_GW_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "gw_alog.h"
#include "gw_mesh.h"
#include "stk.h"

/* Per-worker counters (single writer: the worker). */
#define GW_PROXY_COUNTERS(X)                                                                       \
	X(accepted)		      /* client connections accepted on a VIP */                   \
	X(active)		      /* gauge: proxied connections not yet closed */              \
	X(upstream_connects)	      /* connection attempts to endpoints */                       \
	X(upstream_connect_failures)  /* refused, reset, unreachable or timed out */               \
	X(upstream_connect_timeouts)  /* of those, the cluster's connect_timeout */                \
	X(upstream_connect_exhausted) /* every attempt failed: the client got a reset */           \
	X(no_endpoint)		      /* nothing eligible (all ejected or drained): reset */       \
	X(cb_max_connections)	      /* circuit breaker: the cluster's active share full */       \
	X(cb_max_pending)	      /* circuit breaker: the cluster's pending share full */      \
	X(pool_full)		      /* no proxy connection state left: reset */                  \
	X(client_resets)	      /* the client reset: upstream reset too */                   \
	X(upstream_resets)	      /* the endpoint reset: client reset too */                   \
	X(idle_timeouts)	      /* the cluster's idle_timeout: both reset */                 \
	X(ejection_requests)	      /* consecutive failures reached: sent to control */          \
	X(ejection_requests_5xx)      /* ... of them for consecutive 5xx responses */              \
	X(ejection_requests_gateway)  /* ... for consecutive gateway errors (502-504) */           \
	X(panic_picks)		 /* endpoint choices in panic mode (too few healthy: all used) */  \
	X(policy_denied)	 /* connections or requests a policy denied (reset / 403) */       \
	X(policy_unknown_source) /* ... from a local source without a declared identity */         \
	X(policy_dry_run_denied) /* ... a dry-run policy would have denied (let through) */        \
	X(tls_failures)		 /* TLS ingress: no TLS state for an accepted client (reset) */    \
	X(listen_failures)	 /* a reload's new VIP could not be listened on */                 \
	X(http_unavailable)	 /* HTTP client reset: the HTTP state found no memory */           \
	X(bytes_to_upstream)                                                                       \
	X(bytes_to_client)                                                                         \
	X(mbufs_held) /* gauge: received on one leg, not yet taken by the other */
struct gw_proxy_stats {
#define GW_PROXY_FIELD(n) uint64_t n;
	GW_PROXY_COUNTERS(GW_PROXY_FIELD)
#undef GW_PROXY_FIELD
} __rte_cache_aligned;

/* Per endpoint and worker (single writer); indexed by slot like
 * gw_mesh.endpoints (GW_SLOTS_ENDPOINTS of them). */
struct gw_proxy_ep_stats {
	uint64_t connections; /* upstream legs that connected */
	uint64_t active;      /* gauge */
	uint64_t connect_failures;
	uint64_t resets;	 /* upstream legs the endpoint reset */
	uint64_t bytes_sent;	 /* towards the endpoint */
	uint64_t bytes_received; /* from the endpoint */
	uint32_t consecutive_failures;
	uint32_t consecutive_5xx, consecutive_gateway_errors; /* HTTP responses */
};

/* Per cluster and service (single writer), by slot. */
struct gw_proxy_cluster_stats {
	uint64_t active;	 /* gauge: proxied connections of this cluster */
	uint64_t pending;	 /* gauge: connects in progress */
	uint64_t retries_active; /* gauge: HTTP requests being retried (the budget) */
};
struct gw_proxy_service_stats {
	uint64_t connections;
	uint64_t active; /* gauge */
};

/* Worker → control: endpoint ep (slot) reached its cluster's
 * consecutive-failure threshold. */
typedef void (*gw_proxy_eject_fn)(void *arg, unsigned int ep);

struct gw_proxy;

/* Control thread, worker stopped: state for up to max_conns proxied
 * connections (each takes two stack connections). mesh is the first
 * snapshot's; shared is the control thread's per-endpoint drain/ejection state; pool
 * feeds PROXY protocol headers; alog (NULL: none) takes a record per
 * connection for the access log. NULL + errno. */
struct gw_proxy *gw_proxy_create(struct stk_ctx *stk, const struct gw_mesh *mesh,
				 const struct gw_ep_shared *shared, struct rte_mempool *pool,
				 struct gw_alog_q *alog, uint32_t max_conns, unsigned int worker_id,
				 uint64_t hz, gw_proxy_eject_fn eject, void *eject_arg, int socket);
/* After the worker stopped and stk_free(). Accepts NULL. */
void gw_proxy_free(struct gw_proxy *p);

/* Worker, at start: listens on every VIP. 0 or -errno with err filled. */
int gw_proxy_start(struct gw_proxy *p, char *err, size_t errlen);
/* Worker: the snapshot changed to mesh. New connections start on it; a
 * connection keeps the mesh it started on (held until it ends), except that
 * an HTTP client connection moves to the new one between requests while its
 * service exists there. Listeners follow the VIPs (a VIP that cannot be
 * listened on is logged and counted). Clears the counters of slots the
 * mesh (re)assigned. */
void gw_proxy_set_mesh(struct gw_proxy *p, const struct gw_mesh *mesh);
/* The worker's TLS state, for services that terminate TLS (before start). */
struct gw_tls_worker;
void gw_proxy_set_tls(struct gw_proxy *p, struct gw_tls_worker *tls);
/* Worker: stops listening on the VIPs (SYNs are reset from now on);
 * proxied connections go on. */
void gw_proxy_unlisten(struct gw_proxy *p);
/* Worker, on SIGTERM: stops listening; HTTP keep-alive connections close
 * when idle or after their current response. */
void gw_proxy_drain(struct gw_proxy *p);
/* Worker, at exit: resets every proxied connection, stops listening. */
void gw_proxy_stop(struct gw_proxy *p);
/* Worker, every loop turn: due connect and idle timeouts. Returns work done. */
unsigned int gw_proxy_poll(struct gw_proxy *p, uint64_t now);

/* One leg of a proxied connection, for `meshgwctl conns`: which leg, the
 * proxied connection's id (worker-local pool index), its service, cluster
 * and endpoint (slots), and the other leg's
 * addresses (0 while the upstream leg does not exist yet). */
enum gw_proxy_leg_role { GW_LEG_NONE, GW_LEG_CLIENT, GW_LEG_UPSTREAM };
struct gw_proxy_leg {
	uint8_t role; /* enum gw_proxy_leg_role */
	uint32_t id;
	uint16_t service, cluster;
	int ep; /* -1: none picked yet */
	uint32_t peer_laddr, peer_raddr;
	uint16_t peer_lport, peer_rport;
};
/* Worker: fills *leg if ci (from stk_tcp_foreach) is one of this proxy's
 * legs; otherwise leg->role is GW_LEG_NONE. */
void gw_proxy_describe(const struct gw_proxy *p, const struct stk_conn_info *ci,
		       struct gw_proxy_leg *leg);

/* Any thread. The HTTP proxy's counters, NULL when no service is HTTP. */
struct gw_http_stats;
const struct gw_http_stats *gw_proxy_http_stats(const struct gw_proxy *p);
struct gw_http_svc_stats;
const struct gw_http_svc_stats *gw_proxy_http_svc_stats(const struct gw_proxy *p);
struct gw_http_route_stats;
const struct gw_http_route_stats *gw_proxy_http_route_stats(const struct gw_proxy *p);
const uint64_t *gw_proxy_http_no_route(const struct gw_proxy *p);
const struct gw_proxy_stats *gw_proxy_get_stats(const struct gw_proxy *p);
const struct gw_proxy_ep_stats *gw_proxy_get_ep_stats(const struct gw_proxy *p);
const struct gw_proxy_cluster_stats *gw_proxy_get_cluster_stats(const struct gw_proxy *p);
const struct gw_proxy_service_stats *gw_proxy_get_service_stats(const struct gw_proxy *p);

#endif /* MESHGW_GW_PROXY_H */
