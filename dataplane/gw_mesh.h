/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_mesh.h - services, clusters and endpoints as the workers see them: an
 * immutable part of the config snapshot (copies of the config, the VIP set
 * for the stack, a balancing table per cluster, each endpoint's locality
 * tier), and the small per-endpoint state the control thread writes and the
 * workers read (drain and ejection: one writer, relaxed atomics, no locks).
 */
#ifndef MESHGW_GW_MESH_H
#define MESHGW_GW_MESH_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_config.h"
#include "gw_lb.h"
#include "gw_route.h"
#include "stk.h"

/* Locality tiers, best first. */
enum gw_tier { GW_TIER_NODE, GW_TIER_ZONE, GW_TIER_OTHER, GW_TIER_N };

struct gw_endpoint {
	struct ctl_endpoint_conf conf;
	unsigned int cluster;
	enum gw_tier tier;
};

struct gw_cluster {
	struct ctl_cluster_conf conf;
	struct gw_lb *lb;
	/* circuit breakers split over the workers (each enforces its share) */
	uint32_t worker_max_conns, worker_max_pending;
	/* outlier detection: at most this many ejected at once */
	uint32_t max_ejected;
};

/* An HTTP route table: the config's routes (borrowed from the config's
 * struct ctl_rtables, which outlives every snapshot) and the compiled
 * matcher, shared through the compile cache. */
struct gw_rtable {
	char name[CTL_NAME_MAX];
	unsigned int first_route; /* into gw_mesh.routes */
	unsigned int n_routes;
	struct gw_route_table *match;
};

struct gw_mesh {
	struct ctl_node_conf node;
	struct ctl_http_conf http; /* limits and timeouts of the HTTP services */
	unsigned int n_services, n_clusters, n_endpoints;
	struct ctl_service_conf *services;
	struct gw_cluster *clusters;
	struct gw_endpoint *endpoints; /* clusters[c].conf.first_endpoint.. */
	struct stk_vips *vips;	       /* every service VIP address, sorted */
	unsigned int n_rtables, n_routes;
	struct gw_rtable *rtables;
	const struct ctl_http_route *routes; /* every table's, table after table */
};

/* Control thread: from a validated config. NULL + errno. Compiles the
 * route tables, or takes them from the compile cache when a table with the
 * same content was compiled before (gw_mesh_routes.c). */
struct gw_mesh *gw_mesh_build(const struct ctl_config *conf);
/* Accepts NULL. */
void gw_mesh_free(struct gw_mesh *m);

/* gw_mesh_routes.c: the route tables of m from conf (0, or -errno after
 * logging why), and their release. Control thread. */
int gw_mesh_routes_build(struct gw_mesh *m, const struct ctl_config *conf);
void gw_mesh_routes_free(struct gw_mesh *m);

/* The compile cache's counters (control thread). */
struct gw_route_cache_stats {
	uint64_t compiles;   /* tables compiled */
	uint64_t hits;	     /* tables taken from the cache */
	uint64_t compile_us; /* time spent compiling, in all */
	uint64_t last_compile_us;
	unsigned int cached; /* tables held */
};
void gw_route_cache_get_stats(struct gw_route_cache_stats *out);

/* Per endpoint, written by the control thread only, read by workers. Sized
 * CTL_MAX_ENDPOINTS, indexed like gw_mesh.endpoints. */
struct gw_ep_shared {
	uint64_t ejected_until; /* TSC; 0: not ejected */
	uint32_t ejections;	/* how many times so far (the next one lasts longer) */
	uint8_t drained;	/* `meshgwctl drain`: no new connections */
};

static inline bool
gw_ep_available(const struct gw_ep_shared *s, uint64_t now)
{
	return !__atomic_load_n(&s->drained, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&s->ejected_until, __ATOMIC_RELAXED) <= now;
}

#endif /* MESHGW_GW_MESH_H */
