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
#include "gw_policy.h"
#include "gw_route.h"
#include "gw_slots.h"
#include "stk.h"

/* Locality tiers, best first. */
enum gw_tier { GW_TIER_NODE, GW_TIER_ZONE, GW_TIER_OTHER, GW_TIER_N };

struct gw_endpoint {
	struct ctl_endpoint_conf conf;
	unsigned int cluster; /* slot */
	enum gw_tier tier;
	bool live; /* false: a slot this mesh does not use */
};

struct gw_cluster {
	struct ctl_cluster_conf conf; /* first_endpoint/n_endpoints: the config's */
	struct gw_lb *lb;
	uint16_t *eps; /* endpoint slots in the balancer's order (n_eps) */
	unsigned int n_eps;
	void **lb_state; /* per worker: the balancer's state, owned by that worker */
	/* circuit breakers split over the workers (each enforces its share) */
	uint32_t worker_max_conns, worker_max_pending;
	/* outlier detection: at most this many ejected at once */
	uint32_t max_ejected;
	struct gw_tls_ctx **tls; /* per worker: egress client contexts; NULL: plain */
};

/* An HTTP route table: the config's routes (borrowed from the config's
 * struct ctl_rtables, owned by the snapshot) and the compiled matcher,
 * shared through the compile cache. */
struct gw_rtable {
	char name[CTL_NAME_MAX];
	unsigned int slot;
	unsigned int first_route; /* into gw_mesh.routes */
	unsigned int n_routes;
	struct gw_route_table *match;
};

struct gw_tls_in;
struct gw_tls_ctx;

/* A local workload's declared identity (`identities.workloads`). */
struct gw_identity {
	uint32_t addr;
	uint16_t len;
	char id[CTL_IDENTITY_MAX];
};

/* A worker's references to a mesh: connections that started on it. Only
 * that worker writes its counter; the control thread frees a retired mesh
 * once every counter is 0. */
struct gw_mesh_ref {
	uint64_t n;
} __rte_cache_aligned;

/*
 * Services, clusters and endpoints are indexed by slot (gw_slots.h): an
 * entity keeps its index across reloads, and an array has holes where
 * slots are unused (services[s].name[0] == 0, clusters[c].conf.name[0] ==
 * 0, endpoints[e].live false). n_* are one past the highest slot in use.
 * Route tables and routes are dense; their slots are in rtables[].slot and
 * route_slot[].
 */
struct gw_mesh {
	uint64_t generation;
	struct ctl_node_conf node;
	struct ctl_http_conf http; /* limits and timeouts of the HTTP services */
	unsigned int n_services, n_clusters, n_endpoints;
	/* by slot; .cluster is a cluster slot, .route_table 1 + index in rtables */
	struct ctl_service_conf *services;
	struct gw_cluster *clusters;
	struct gw_endpoint *endpoints;
	struct stk_vips *vips; /* every service VIP address, sorted */
	unsigned int n_rtables, n_routes;
	struct gw_rtable *rtables;
	const struct ctl_http_route *routes; /* every table's, table after table */
	uint32_t *route_slot;		     /* per route */
	uint16_t *cluster_slot;		     /* by the config's cluster index (route actions) */
	/* slots (re)assigned in this generation: workers clear their counters */
	uint16_t *fresh[GW_SLOT_KINDS];
	unsigned int n_fresh[GW_SLOT_KINDS];
	struct gw_mesh_ref *refs; /* per worker */
	unsigned int n_workers;
	/* authorization (gw_mesh_authz.c) */
	struct gw_policy_set *policies;	     /* NULL: none */
	const struct gw_policy **svc_policy; /* by service slot; NULL: not restricted */
	uint64_t **policy_ctr;		     /* per worker: gw_policy_counter_slot() counts */
	struct gw_identity *ids;	     /* sorted by address */
	unsigned int n_ids;
	bool ids_enabled; /* `identities` present: undeclared local sources are denied */
	/* TLS ingress (gw_mesh_tls.c): per tls.ingress, per worker */
	struct gw_tls_in *tls_in;
	unsigned int n_tls_in;
};

static inline bool
gw_mesh_has_service(const struct gw_mesh *m, unsigned int s)
{
	return s < m->n_services && m->services[s].name[0] != '\0';
}

static inline bool
gw_mesh_has_cluster(const struct gw_mesh *m, unsigned int c)
{
	return c < m->n_clusters && m->clusters[c].conf.name[0] != '\0';
}

static inline bool
gw_mesh_has_endpoint(const struct gw_mesh *m, unsigned int e)
{
	return e < m->n_endpoints && m->endpoints[e].live;
}

/* Worker w: a connection starts or ends on m. */
static inline void
gw_mesh_hold(const struct gw_mesh *m, unsigned int w)
{
	__atomic_store_n(&m->refs[w].n, m->refs[w].n + 1, __ATOMIC_RELAXED);
}

static inline void
gw_mesh_release(const struct gw_mesh *m, unsigned int w)
{
	__atomic_store_n(&m->refs[w].n, m->refs[w].n - 1, __ATOMIC_RELEASE);
}

/* Control thread: no worker holds m. */
bool gw_mesh_unreferenced(const struct gw_mesh *m);

/* Control thread: from a validated config, with slots from sl (begun for
 * generation). keep: VIPs still answered for connections of older meshes
 * (NULL: none). NULL + errno (ENOSPC: out of slots). Compiles the route
 * tables, or takes them from the compile cache when a table with the same
 * content was compiled before (gw_mesh_routes.c). */
struct gw_mesh *gw_mesh_build(const struct ctl_config *conf, struct gw_slots *sl,
			      uint64_t generation, const struct stk_vips *keep);
/* Accepts NULL. */
void gw_mesh_free(struct gw_mesh *m);

/* gw_mesh_routes.c: the route tables of m from conf (0, or -errno after
 * logging why), and their release. Control thread. */
int gw_mesh_routes_build(struct gw_mesh *m, const struct ctl_config *conf, struct gw_slots *sl);
void gw_mesh_routes_free(struct gw_mesh *m);

/*
 * Compiling off the control thread. gw_route_cache_known (control thread)
 * lists what the cache holds; a job, made on any thread from a config and
 * that list, holds the route tables of conf that the list lacks (NULL with
 * errno 0 when there are none, or errno ENOMEM). gw_route_job_run compiles
 * them on any thread (conf must live until then); gw_route_job_finish, on
 * the control thread, puts them in the cache, held by the job, so that
 * gw_mesh_build finds them (0, or -errno with the first bad table's error
 * in err); gw_route_job_free (control thread) releases the holds (after the
 * build took its own) and frees whatever was not put in the cache.
 */
struct gw_route_known {
	unsigned int n;
	uint64_t hash[2 * CTL_MAX_ROUTE_TABLES];
	unsigned int n_routes[2 * CTL_MAX_ROUTE_TABLES];
};
void gw_route_cache_known(struct gw_route_known *k);
struct gw_route_job;
struct gw_route_job *gw_route_job_create(const struct ctl_config *conf,
					 const struct gw_route_known *k);
unsigned int gw_route_job_tables(const struct gw_route_job *j, unsigned int *n_routes);
void gw_route_job_run(struct gw_route_job *j);
int gw_route_job_finish(struct gw_route_job *j, char *err, size_t errlen);
void gw_route_job_free(struct gw_route_job *j);

/* gw_mesh_authz.c: the policies and identities of m from conf (svc_slot:
 * the slot of each config service), and their release. Control thread. */
int gw_mesh_authz_build(struct gw_mesh *m, const struct ctl_config *conf, const int *svc_slot);
void gw_mesh_authz_free(struct gw_mesh *m);
/* The declared identity of a local source address, or NULL. */
const struct gw_identity *gw_mesh_identity(const struct gw_mesh *m, uint32_t addr);

/* Worker: may a connection (http NULL) or a request of service (slot) from
 * saddr to port vport go on? Counts the deciding rule in worker's array.
 * No allocation, no lock. */
enum gw_authz {
	GW_AUTHZ_ALLOW,
	GW_AUTHZ_DRY_RUN_DENY,	 /* let through: the policy is a dry run */
	GW_AUTHZ_DENY,		 /* the policy denies */
	GW_AUTHZ_UNKNOWN_SOURCE, /* identities are declared, this source is not */
};
enum gw_authz gw_mesh_authorize(const struct gw_mesh *m, unsigned int service, unsigned int worker,
				uint32_t saddr, uint16_t vport, const struct gw_route_req *http);

/* gw_mesh_tls.c: every worker's server contexts of conf's tls.ingress
 * (0, or -errno after logging why), their release, and a worker's default
 * context of ingress tls (1 + index, as in ctl_service_conf.tls). */
struct gw_tls_ctx;
int gw_mesh_tls_build(struct gw_mesh *m, const struct ctl_config *conf);
void gw_mesh_tls_free(struct gw_mesh *m);
struct gw_tls_ctx *gw_mesh_tls_ctx(const struct gw_mesh *m, unsigned int tls, unsigned int worker);

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
 * GW_SLOTS_ENDPOINTS, indexed by slot like gw_mesh.endpoints, so drain and
 * ejection survive reloads. */
struct gw_ep_shared {
	uint64_t ejected_until; /* TSC; 0: not ejected */
	uint32_t ejections;	/* how many times so far (the next one lasts longer) */
	uint8_t drained;	/* `meshgwctl drain`: no new connections */
	uint8_t unhealthy;	/* active health checks failed (ctl_health.h) */
};

static inline bool
gw_ep_drained(const struct gw_ep_shared *s)
{
	return __atomic_load_n(&s->drained, __ATOMIC_RELAXED) != 0;
}

/* Healthy and not ejected (drain aside): counts towards the panic threshold. */
static inline bool
gw_ep_healthy(const struct gw_ep_shared *s, uint64_t now)
{
	return !__atomic_load_n(&s->unhealthy, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&s->ejected_until, __ATOMIC_RELAXED) <= now;
}

static inline bool
gw_ep_available(const struct gw_ep_shared *s, uint64_t now)
{
	return !gw_ep_drained(s) && gw_ep_healthy(s, now);
}

#endif /* MESHGW_GW_MESH_H */
