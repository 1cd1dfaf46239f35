/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_snapshot.h - the configuration snapshot workers run on, and its
 * publication under QSBR RCU.
 *
 * The control thread builds an immutable snapshot, publishes it by pointer
 * swap, and hands the old one to an RCU defer queue; it is freed only after
 * every worker has reported a quiescent state since the swap. Each worker
 * records the generation it runs; a reload is complete when every worker has
 * acknowledged it. A worker that sleeps (adaptive idle) goes offline first so
 * it never holds up a grace period.
 */
#ifndef MESHGW_GW_SNAPSHOT_H
#define MESHGW_GW_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "ctl_config.h"
#include "gw_mesh.h"
#include "stk.h"

/* A route table shared by consecutive snapshots while the routes do not
 * change: an rte_lpm costs 64 MiB, so a reload that leaves routes alone must
 * not build another. Reference counted by the control thread only (snapshots
 * are built and freed there). */
struct gw_routes_ref {
	unsigned int refcnt;
	uint64_t key; /* hash of the inputs: port addresses and static routes */
	struct stk_routes *routes;
};

/* Immutable once published. Everything it points to is freed with it. */
struct gw_snapshot {
	uint64_t generation;
	struct stk_routes *routes; /* == rref->routes, for the workers */
	struct gw_routes_ref *rref;
	struct gw_mesh *mesh; /* services, clusters, endpoints, VIPs */
	const struct ctl_config *conf;
	struct ctl_config *owned; /* == conf when freed with the snapshot (not the first) */
};

/* Builds a snapshot from conf (routes: connected from port addresses, then
 * static), sharing prev's route table when the routes are the same (prev may
 * be NULL), with slots from sl and VIPs keep still answered (NULL: none).
 * conf must outlive the snapshot (set `owned` to have it freed with it).
 * Control thread, after EAL init. NULL + errno. */
struct gw_snapshot *gw_snapshot_build(const struct ctl_config *conf, uint64_t generation,
				      const struct gw_snapshot *prev, struct gw_slots *sl,
				      const struct stk_vips *keep);
/* Accepts NULL. */
void gw_snapshot_free(struct gw_snapshot *s);

struct gw_snapmgr;

/* For n_workers readers (thread ids 0..n_workers-1). NULL + errno. */
struct gw_snapmgr *gw_snapmgr_create(unsigned int n_workers);
/* Frees the current snapshot and everything still deferred. Workers must have stopped. */
void gw_snapmgr_free(struct gw_snapmgr *m);

/* Control thread: publishes s (takes ownership); the previous snapshot is
 * retired, and freed once a grace period passed and no connection holds
 * its mesh any more. -EBUSY (s not taken) while GW_SNAP_RETIRED_MAX
 * retired snapshots are still held. */
#define GW_SNAP_RETIRED_MAX 64
int gw_snapmgr_publish(struct gw_snapmgr *m, struct gw_snapshot *s);
/* Control thread: frees retired snapshots nothing holds; returns how many remain. */
unsigned int gw_snapmgr_reclaim(struct gw_snapmgr *m);
/* Control thread: the oldest generation still alive (current or retired). */
uint64_t gw_snapmgr_oldest(const struct gw_snapmgr *m);
/* Control thread: the VIPs of live snapshots whose meshes connections
 * still hold (current included), for the next build. malloc'd; NULL: none
 * or out of memory. */
struct stk_vips *gw_snapmgr_held_vips(const struct gw_snapmgr *m);
/* Any thread: the generation most recently published. */
uint64_t gw_snapmgr_generation(const struct gw_snapmgr *m);
/* Any thread: the generation worker w last acknowledged (0: none yet). */
uint64_t gw_snapmgr_acked(const struct gw_snapmgr *m, unsigned int w);
/* Any thread: true when every worker acknowledged the current generation. */
int gw_snapmgr_all_acked(const struct gw_snapmgr *m);

/* Worker side. */
int gw_snapmgr_register(struct gw_snapmgr *m, unsigned int w);
void gw_snapmgr_unregister(struct gw_snapmgr *m, unsigned int w);
/* The current snapshot: valid until this worker's next gw_snapmgr_quiescent(). */
const struct gw_snapshot *gw_snapmgr_current(const struct gw_snapmgr *m);
/* Reports a quiescent state and acknowledges the generation the worker will use next. */
void gw_snapmgr_quiescent(struct gw_snapmgr *m, unsigned int w, uint64_t generation);
/* Around sleeps: an offline worker holds no references. */
void gw_snapmgr_offline(struct gw_snapmgr *m, unsigned int w);
void gw_snapmgr_online(struct gw_snapmgr *m, unsigned int w);

#endif /* MESHGW_GW_SNAPSHOT_H */
