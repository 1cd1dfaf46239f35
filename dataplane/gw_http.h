/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_http.h - the HTTP/1.1 proxy of one worker, for services with
 * protocol "http": the client's connection is accepted on the VIP by the L4
 * proxy and handed here; every request is parsed (gw_h1.h), checked against
 * the limits, sent with a normalised head on an upstream connection taken
 * from the worker's idle pool for the chosen endpoint (or a new one), and
 * its body and the response's flow as mbuf chains without copies. Keep-alive
 * on both legs; pipelined requests are answered in order (one at a time).
 * The gateway answers itself (400, 408, 413, 431, 501, 502, 503, 504, 505)
 * with a short body and a counter each.
 *
 * Worker only, except create/free (control thread, worker stopped) and the
 * stats reader (any thread).
 */
#ifndef MESHGW_GW_HTTP_H
#define MESHGW_GW_HTTP_H

#include <stdint.h>

#include <rte_common.h>

#include "stk.h"

/* Per-worker counters (single writer: the worker). */
#define GW_HTTP_COUNTERS(X)                                                                        \
	X(requests)	 /* request heads parsed and accepted */                                   \
	X(active)	 /* gauge: requests in flight */                                           \
	X(responses_1xx) /* informational responses forwarded */                                   \
	X(responses_2xx) /* final responses to clients, by class (generated included) */           \
	X(responses_3xx)                                                                           \
	X(responses_4xx)                                                                           \
	X(responses_5xx)                                                                           \
	X(generated_400)	 /* malformed request (smuggling cases included) */                \
	X(generated_408)	 /* request_header_timeout / stream_idle_timeout */                \
	X(generated_413)	 /* body above max_request_body */                                 \
	X(generated_431)	 /* head above max_request_headers_kb, or too many fields */       \
	X(generated_501)	 /* unknown transfer coding */                                     \
	X(generated_502)	 /* upstream reset, closed early, or a bad response */             \
	X(generated_503)	 /* no endpoint, circuit open, every connect failed */             \
	X(generated_504)	 /* request_timeout */                                             \
	X(generated_505)	 /* HTTP version */                                                \
	X(upstream_new)		 /* requests sent on a new upstream connection */                  \
	X(upstream_reused)	 /* ... on a pooled one */                                         \
	X(upstream_idle)	 /* gauge: pooled idle upstream connections */                     \
	X(upstream_idle_expired) /* closed by us after upstream_idle_timeout */                    \
	X(upstream_idle_closed)	 /* closed by the endpoint while idle */                           \
	X(upstream_pool_full)	 /* not pooled: upstream_max_idle reached */                       \
	X(upstream_replayed)	 /* a pooled connection closed under a request: sent again */      \
	X(header_timeouts)                                                                         \
	X(idle_timeouts) /* client keep-alive connections closed for idle_timeout */               \
	X(stream_idle_timeouts)                                                                    \
	X(request_timeouts)                                                                        \
	X(upgrades)		  /* tunnels after 101 or a 2xx to CONNECT */                      \
	X(pipelined)		  /* requests that came before the previous response ended */      \
	X(client_aborts)	  /* clients that reset or left mid-request */                     \
	X(upstream_aborts)	  /* upstream legs reset or closed mid-response */                 \
	X(log_sampled_out)	  /* requests not logged (access_log_sample) */                    \
	X(conn_pool_full)	  /* no client connection state left: reset */                     \
	X(mbuf_alloc_failures)	  /* a generated or rewritten head found no mbuf */                \
	X(no_route)		  /* no route of the service's table matched: 404 */               \
	X(redirects)		  /* answered by a route's redirect */                             \
	X(direct_responses)	  /* answered by a route's direct_response */                      \
	X(fault_delays)		  /* requests held back by fault injection */                      \
	X(fault_aborts)		  /* requests answered by fault injection */                       \
	X(retries)		  /* requests sent again by a route's retry policy */              \
	X(retry_budget_exhausted) /* retries refused: the cluster's budget was used up */          \
	X(retries_exhausted)	  /* retryable failures after the last retry */                    \
	X(retry_not_buffered)	  /* retryable, but the request did not fit retry_buffer */        \
	X(per_try_timeouts)	  /* tries that got no response head within per_try_timeout */     \
	X(rebinds)		  /* keep-alive connections moved to a new snapshot */             \
	X(scratch_failures)	  /* a reload's tables found no memory for their scratch */
struct gw_http_stats {
#define GW_HTTP_FIELD(n) uint64_t n;
	GW_HTTP_COUNTERS(GW_HTTP_FIELD)
#undef GW_HTTP_FIELD
} __rte_cache_aligned;

/* Request duration buckets (upper bounds, µs): 1-2-5 steps from 50 µs to
 * 60 s, then +Inf. Fixed, so per-worker histograms merge by adding. */
#define GW_HTTP_LAT_BOUNDS                                                                         \
	50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000, \
		2000000, 5000000, 10000000, 30000000, 60000000
#define GW_HTTP_LAT_N 20 /* the bounds above and +Inf */
extern const uint64_t gw_http_lat_bounds_us[GW_HTTP_LAT_N - 1];

/* Per service and worker (single writer): final responses by class
 * (1xx..5xx; generated ones included) and the duration of requests from
 * their first byte to the end of the response. */
struct gw_http_svc_stats {
	uint64_t responses[5];
	uint64_t lat[GW_HTTP_LAT_N];
	uint64_t lat_sum_us;
};

/* Per route (by slot: gw_mesh.route_slot) and worker, single writer. */
struct gw_http_route_stats {
	uint64_t requests;     /* matched this route */
	uint64_t responses[5]; /* final responses by class, generated ones included */
	uint64_t retries;
	uint64_t retry_budget_exhausted;
	uint64_t fault_delays, fault_aborts;
	uint64_t timeouts; /* the route's timeout or per_try_timeout answered 504 */
};

struct gw_proxy;
struct gw_http;

/* Control thread, worker stopped: state for up to max_conns client
 * connections (and as many upstream ones) of p's HTTP services, with the
 * limits of p's mesh. NULL + errno. */
struct gw_http *gw_http_create(struct gw_proxy *p, uint32_t max_conns, int socket);
/* After the worker stopped and stk_free(). Accepts NULL. */
void gw_http_free(struct gw_http *h);

/* Worker: c was accepted on a VIP of HTTP service `service`. 0 (h owns c
 * now), or <0 to have the stack reset it (no state left; counted). */
int gw_http_accept(struct gw_http *h, unsigned int service, struct stk_conn *c);
/* Worker: draining (SIGTERM): idle client connections close now, the
 * others after their current response (Connection: close). */
void gw_http_drain(struct gw_http *h);
/* Worker: the snapshot changed to mesh (gw_proxy_set_mesh). */
struct gw_mesh;
void gw_http_set_mesh(struct gw_http *h, const struct gw_mesh *mesh);
/* Worker, at exit: resets every connection. */
void gw_http_stop(struct gw_http *h);
/* Worker: is ci one of h's connections? Fills the leg like gw_proxy_describe. */
struct gw_proxy_leg;
void gw_http_describe(const struct gw_http *h, const struct stk_conn_info *ci,
		      struct gw_proxy_leg *leg);

/* Any thread. */
const struct gw_http_stats *gw_http_get_stats(const struct gw_http *h);
/* Indexed like the mesh's services. */
const struct gw_http_svc_stats *gw_http_get_svc_stats(const struct gw_http *h);
/* Indexed like the mesh's routes; NULL when there are none. */
const struct gw_http_route_stats *gw_http_get_route_stats(const struct gw_http *h);
/* Requests no route matched, indexed like the mesh's route tables. */
const uint64_t *gw_http_get_no_route(const struct gw_http *h);

#endif /* MESHGW_GW_HTTP_H */
